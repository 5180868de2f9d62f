"""Falcon resources of the hub: ``POST /hub``, ``GET`` and ``DELETE /hub/{id}``.

Under v4 they answer the swagger's ``EventSubscription`` (``{id, callback, query}``);
under v5 the OAS's ``Hub`` entity (``{id, href, callback, query, @type}``) through
:class:`~tmf683.versions.v5hub.HubV5`. Each version's hub sees only its own
subscriptions.
"""

from __future__ import annotations

import falcon

from tmf683 import Document, PartyInteractionServiceV5
from tmf683_falcon.forwarded import api_root
from tmf683_falcon.media import JSON_TYPES, read_body
from tmf683_falcon.resources import Service


class _HubResource:
    def __init__(self, service: Service, base_url: str | None, base_path: str) -> None:
        self.service = service
        self.base_url = base_url
        self.base_path = base_path

    def api_root(self, req: falcon.Request) -> str:
        """The API root of this request, e.g. ``http://h:8080/tmf-api/.../v5``."""
        return api_root(req, self.base_url, self.base_path)


class HubCollection(_HubResource):
    """``/hub``: register a listener (POST)."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Register; 201 with ``Location`` and the subscription."""
        body = read_body(req, JSON_TYPES)
        root = self.api_root(req)
        subscription: Document
        if isinstance(self.service, PartyInteractionServiceV5):
            subscription = self.service.events.register(body, base_url=root)
        else:
            subscription = self.service.events.register(body, api_root=root)
        resp.status = falcon.HTTP_201
        resp.location = f"{root}/hub/{subscription['id']}"
        resp.media = subscription


class HubItem(_HubResource):
    """``/hub/{id}``: read (GET) or unregister (DELETE) a listener."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        """Read a subscription; 404 when unknown."""
        if isinstance(self.service, PartyInteractionServiceV5):
            resp.media = self.service.events.retrieve(id, base_url=self.api_root(req))
        else:
            resp.media = self.service.events.retrieve(id)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        """Unregister; 204, 404 when unknown."""
        self.service.events.unregister(id)
        resp.status = falcon.HTTP_204
