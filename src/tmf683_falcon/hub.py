"""Falcon resources of the hub: ``POST /hub``, ``GET`` and ``DELETE /hub/{id}``."""

from __future__ import annotations

import falcon

from tmf683 import PartyInteractionService
from tmf683_falcon.media import JSON_TYPES, read_body


class _HubResource:
    def __init__(
        self, service: PartyInteractionService, base_url: str | None, base_path: str
    ) -> None:
        self.service = service
        self.base_url = base_url
        self.base_path = base_path

    def hub_url(self, req: falcon.Request, subscription_id: str) -> str:
        """The URL of one subscription, for ``Location``."""
        root = (self.base_url or req.prefix).rstrip("/") + self.base_path
        return f"{root}/hub/{subscription_id}"


class HubCollection(_HubResource):
    """``/hub``: register a listener (POST)."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Register; 201 with ``Location`` and ``{id, callback, query}``."""
        subscription = self.service.events.register(read_body(req, JSON_TYPES))
        resp.status = falcon.HTTP_201
        resp.location = self.hub_url(req, subscription["id"])
        resp.media = subscription


class HubItem(_HubResource):
    """``/hub/{id}``: read (GET) or unregister (DELETE) a listener."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        """Read a subscription; 404 when unknown."""
        resp.media = self.service.events.retrieve(id)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        """Unregister; 204, 404 when unknown."""
        self.service.events.unregister(id)
        resp.status = falcon.HTTP_204
