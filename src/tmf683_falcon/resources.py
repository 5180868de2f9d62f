"""Falcon resources, one class per route.

Each responder reads the request, calls one service method and writes status,
headers and body; the rules live in the core. The same classes serve v4 and v5: the
two services take the same calls (:data:`Service`).
"""

from __future__ import annotations

import io
from urllib.parse import unquote

import falcon

from tmf683 import JsonPage, Page, PartyInteractionService, PartyInteractionServiceV5
from tmf683_falcon.auth import request_party
from tmf683_falcon.etags import etag, if_match
from tmf683_falcon.forwarded import api_root, external_root
from tmf683_falcon.media import JSON_TYPES, read_body, read_patch

Service = PartyInteractionService | PartyInteractionServiceV5
"""The service behind the routes: v4 or v5 (the same method names and arguments)."""

_URI_UNSAFE = str.maketrans({"<": "%3C", ">": "%3E", '"': "%22", " ": "%20"})


def link_header(
    req: falcon.Request, links: dict[str, tuple[int, int]], root: str | None = None
) -> str:
    """Render the ``Link`` header (RFC 8288) of a list page.

    Args:
        req: the list request; its other query parameters are kept as sent, with
            ``<``, ``>``, ``"`` and spaces percent-encoded (RFC 3986).
        links: relation -> ``(offset, limit)``, from :meth:`tmf683.Page.links`.
        root: scheme and host for the links (the server's ``--base-url``); default:
            the request's as the client sent it (:func:`external_root`).

    Returns:
        e.g. ``<http://h/p?status=open&offset=10&limit=10>; rel="next", ...``.
    """
    kept = [
        pair.translate(_URI_UNSAFE)
        for pair in req.query_string.split("&")
        if pair and unquote(pair.partition("=")[0]) not in ("offset", "limit")
    ]
    base = (root.rstrip("/") if root else external_root(req)) + req.path
    parts = []
    for relation, (offset, limit) in links.items():
        query = "&".join([*kept, f"offset={offset}", f"limit={limit}"])
        parts.append(f'<{base}?{query}>; rel="{relation}"')
    return ", ".join(parts)


class _Resource:
    def __init__(
        self,
        service: Service,
        base_url: str | None,
        base_path: str,
        partial_content: bool = False,
    ) -> None:
        self.service = service
        self.base_url = base_url
        self.base_path = base_path
        self.partial_content = partial_content

    def api_root(self, req: falcon.Request) -> str:
        """The API root for ``href``: the configured base URL or the client's."""
        return api_root(req, self.base_url, self.base_path)


class PartyInteractionCollection(_Resource):
    """``/partyInteraction``: list (GET) and create (POST)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List with TMF630 filters, ``fields``, ``offset`` and ``limit``."""
        page: Page | JsonPage
        if isinstance(self.service, PartyInteractionService):
            page = self.service.list_json(
                req.query_string, base_url=self.api_root(req), party=request_party(req)
            )
            resp.stream = io.BytesIO(page.body)
            resp.content_length = len(page.body)
            count = page.item_count
        else:
            page = self.service.list(
                req.query_string, base_url=self.api_root(req), party=request_party(req)
            )
            resp.media = page.items
            count = len(page.items)
        resp.set_header("X-Total-Count", str(page.total_count))
        resp.set_header("X-Result-Count", str(count))
        if links := page.links():
            resp.set_header("Link", link_header(req, links, self.base_url))
        if self.partial_content and page.is_partial:
            resp.status = falcon.HTTP_206

    on_head = on_get

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create; 201 with ``Location`` and ``ETag``."""
        created = self.service.create(
            read_body(req, JSON_TYPES),
            query=req.query_string,
            base_url=self.api_root(req),
            party=request_party(req),
        )
        resp.status = falcon.HTTP_201
        resp.location = created["href"]
        resp.set_header("ETag", etag(created.version))
        resp.media = created


class PartyInteractionItem(_Resource):
    """``/partyInteraction/{id}``: retrieve (GET), patch (PATCH), delete (DELETE).

    Responses with the document carry its ``ETag``; PATCH and DELETE with
    ``If-Match`` write only at that version (412 otherwise).
    """

    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        """Retrieve, with optional ``fields``."""
        found = self.service.retrieve(
            id,
            query=req.query_string,
            base_url=self.api_root(req),
            party=request_party(req),
        )
        resp.set_header("ETag", etag(found.version))
        resp.media = found

    on_head = on_get

    def on_patch(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        """Merge patch (``application/json`` too), JSON Patch or JSON Patch Query."""
        body, patch_format = read_patch(req)
        patched = self.service.patch(
            id,
            body,
            patch_format=patch_format,
            query=req.query_string,
            base_url=self.api_root(req),
            if_match=if_match(req),
            party=request_party(req),
        )
        resp.set_header("ETag", etag(patched.version))
        resp.media = patched

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        """Delete; 204."""
        self.service.delete(
            id,
            query=req.query_string,
            base_url=self.api_root(req),
            if_match=if_match(req),
            party=request_party(req),
        )
        resp.status = falcon.HTTP_204
