"""``{root}/openapi.json``: each API root serves its own contract.

The document is the core's :func:`tmf683.contract_document`: TM Forum's file for the
version, with this server's address in place of the placeholder (v4 ``host``,
``basePath`` and ``schemes``, v5 ``servers``), taken from ``--base-url`` when set,
otherwise from the request (its scheme and ``Host``, which the Host check of
:func:`~tmf683_falcon.mount` has vetted), and with a bearer security scheme when the
routes require tokens. It is public metadata, as ODA components and FIWARE's TMF
servers publish theirs: no token is needed to read it (docs/security.md). Each
rendering is kept (a few per address), serialized once.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import urlsplit

import falcon
import orjson

from tmf683 import contract_document
from tmf683_falcon.forwarded import api_root
from tmf683_falcon.media import UntrustedHostError

CONTRACT_NAME = "openapi.json"
"""The contract's path below each API root."""
_RENDERINGS_KEPT = 32


@lru_cache(maxsize=_RENDERINGS_KEPT)
def rendered(version: str, root: str, bearer: bool) -> tuple[bytes, str]:
    """The contract of ``version`` at ``root`` as JSON bytes, and its ETag.

    Args:
        version: ``"v4"`` or ``"v5"``.
        root: the API root URL, e.g. ``"http://127.0.0.1:8080/tmf-api/x/v4"``.
        bearer: declare a bearer security scheme.

    Returns:
        ``(body, etag)``; the ETag is a strong validator of the body
        (``"<sha256 hex prefix>"``, quoted).
    """
    parts = urlsplit(root)
    document = contract_document(
        version,
        scheme=parts.scheme,
        host=parts.netloc,
        base_path=parts.path,
        bearer=bearer,
    )
    body = orjson.dumps(document)
    return body, entity_tag(body)


def entity_tag(body: bytes) -> str:
    """A strong ETag of ``body``: a quoted SHA-256 prefix (RFC 9110 section 8.8.3)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def send(
    req: falcon.Request,
    resp: falcon.Response,
    body: bytes,
    etag: str,
    content_type: str,
    cache_control: str,
) -> None:
    """Answer with ``body``, or 304 Not Modified when ``If-None-Match`` names ``etag``.

    Args:
        req: the ``GET`` or ``HEAD`` request.
        resp: its response.
        body: the representation.
        etag: its strong ETag, quoted.
        content_type: e.g. ``"application/json"``.
        cache_control: the ``Cache-Control`` value, e.g. ``"no-cache"``.
    """
    resp.set_header("ETag", etag)
    resp.cache_control = [cache_control]
    resp.set_header("X-Content-Type-Options", "nosniff")
    wanted = req.get_header("If-None-Match") or ""
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    if etag in tags or "*" in tags:
        resp.status = falcon.HTTP_304
        return
    resp.content_type = content_type
    resp.data = body


class OpenApiDocument:
    """``GET``/``HEAD {root}/openapi.json``: the contract of one API version.

    Args:
        version: ``"v4"`` or ``"v5"``.
        base_url: ``--base-url`` (scheme, host, optional path prefix); ``None``:
            from each request.
        path: the API's route prefix, e.g. ``"/tmf-api/partyInteraction/v4"``.
        bearer: the routes require bearer tokens: declare it in the document.
    """

    def __init__(
        self, version: str, base_url: str | None, path: str, bearer: bool
    ) -> None:
        self.version = version
        self.base_url = base_url
        self.path = path
        self.bearer = bearer

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 with the document as ``application/json`` (304 if unchanged)."""
        root = api_root(req, self.base_url, self.path)
        try:
            body, etag = rendered(self.version, root, self.bearer)
        except ValueError as exc:  # a Host no guard vetted (mount without one)
            raise UntrustedHostError(
                description=f"cannot serve the contract: {exc}"
            ) from None
        send(req, resp, body, etag, falcon.MEDIA_JSON, "no-cache")

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer as ``GET`` does, without the body."""
        self.on_get(req, resp)
