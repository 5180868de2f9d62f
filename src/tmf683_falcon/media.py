"""Request bodies and content types for the TMF683 routes (TMF630 Part 1 and 5)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import falcon
import orjson

from tmf683 import PatchFormat, ValidationError, encode_json, parse_json
from tmf683_falcon.forwarded import external_origin

MEDIA_TYPE = "application/json;charset=utf-8"
"""The content type of every response (the swagger's ``produces``)."""

JSON_TYPES = frozenset({"application/json"})
PATCH_TYPES = {"application/json": PatchFormat.MERGE} | {
    patch_format.value: patch_format for patch_format in PatchFormat
}
"""PATCH media type -> format; ``application/json`` is taken as a merge patch."""
MAX_BODY_BYTES = 1024 * 1024
"""Default largest request body, in bytes (1 MiB); a larger one gets 413 before any
byte of it is parsed (``max_body_bytes`` of :func:`~tmf683_falcon.create_app`,
``--max-body-bytes`` of ``tmf683-server``)."""

_LIMIT_KEY = "tmf683_max_body_bytes"


class UnsupportedMediaTypeError(falcon.HTTPUnsupportedMediaType):
    """A request body in a media type the route does not take (HTTP 415)."""


class BodyTooLargeError(falcon.HTTPContentTooLarge):
    """A request body over the body limit (HTTP 413)."""


def _too_large(limit: int) -> BodyTooLargeError:
    return BodyTooLargeError(description=f"the body is larger than {limit} bytes")


class BodyLimit:
    """Falcon middleware: the body limit of one mounted API, checked before reading.

    A request under ``base_path`` whose ``Content-Length`` is over ``max_bytes``
    gets 413 at once; :func:`read_body` reads at most ``max_bytes + 1`` bytes of a
    body without a length (chunked), so no more than the limit is ever parsed.

    Args:
        base_path: the API's route prefix (``""`` for the root).
        max_bytes: the largest body accepted, in bytes.
    """

    def __init__(self, base_path: str, max_bytes: int) -> None:
        self.base_path = base_path
        self.max_bytes = max_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Note the limit on ``req`` under this API; refuse a declared larger body."""
        path = req.path.rstrip("/")
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return
        setattr(req.context, _LIMIT_KEY, self.max_bytes)
        if (req.content_length or 0) > self.max_bytes:
            raise _too_large(self.max_bytes)


class UntrustedHostError(falcon.HTTPBadRequest):
    """A request whose ``Host`` is not on the allow list, with no base URL (400)."""


_HOST_VALUE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?")
"""A ``Host`` value links may be built from: a name or address and a port at most
(no userinfo, path, query or fragment, which would move a link's host elsewhere)."""


def host_name(netloc: str) -> str:
    """The host of a ``Host`` value, lower case, without port or IPv6 brackets."""
    text = netloc.strip().lower()
    if text.startswith("["):
        return text[1:].partition("]")[0]
    if text.count(":") > 1:  # a bare IPv6 address
        return text
    return text.partition(":")[0]


class HostGuard:
    """Falcon middleware: links are built from a trusted ``Host`` only.

    Without a base URL, ``href``, ``Location``, ``Link``, a hub subscription's root
    (the root of its events) are built from the request's ``Host``; a request
    under ``base_path`` whose ``Host`` is not on ``allowed`` gets a 400 TMF Error
    before anything runs. Behind a trusted proxy the host checked is the one it
    forwarded (:func:`~tmf683_falcon.forwarded.external_origin`), the one links
    are built from; the proxy's own ``Host`` is then not used, so not checked.
    With a base URL the ``Host`` is never used, so it is not checked.

    Args:
        base_path: the API's route prefix (``""`` for the root).
        allowed: host names (a port in a ``Host`` is kept as sent: pin it with a
            base URL), compared case-insensitively.
    """

    def __init__(self, base_path: str, allowed: Iterable[str]) -> None:
        self.base_path = base_path
        self.allowed = frozenset(host_name(host) for host in allowed)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse a request under this API whose ``Host`` is not allowed."""
        path = req.path.rstrip("/")
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return
        netloc = external_origin(req)[1]  # a trusted proxy's forwarded host
        if not _HOST_VALUE.fullmatch(netloc) or host_name(netloc) not in self.allowed:
            raise UntrustedHostError(
                description=f"the Host '{netloc}' is not one this server "
                "answers for; use one of its allowed hosts (tmf683-server "
                "--allowed-host, or --base-url)"
            )


def body_limit(req: falcon.Request) -> int:
    """Return the body limit of a request: its API's, else :data:`MAX_BODY_BYTES`."""
    limit: int = getattr(req.context, _LIMIT_KEY, MAX_BODY_BYTES)
    return limit


def _dumps(value: Any) -> bytes:
    return encode_json(value)


def json_handler() -> falcon.media.JSONHandler:
    """Return the JSON media handler: orjson, UTF-8, non-ASCII text kept as is."""
    return falcon.media.JSONHandler(dumps=_dumps, loads=orjson.loads)


def media_type(req: falcon.Request) -> str:
    """Return the request's media type, lower case, without parameters (or ``""``)."""
    return (req.content_type or "").split(";")[0].strip().lower()


def read_patch(req: falcon.Request) -> tuple[Any, PatchFormat]:
    """Read a PATCH body in any format of :data:`PATCH_TYPES`.

    Args:
        req: the request.

    Returns:
        ``(body, format)``: the parsed JSON value and its PATCH format.

    Raises:
        UnsupportedMediaTypeError, BodyTooLargeError, ValidationError: as
            :func:`read_body`.
    """
    body = read_body(req, frozenset(PATCH_TYPES))
    return body, PATCH_TYPES[media_type(req)]


def read_body(req: falcon.Request, accepted: frozenset[str]) -> Any:
    """Read a JSON request body after checking its content type.

    Args:
        req: the request.
        accepted: media types the route takes, without parameters.

    Returns:
        The parsed JSON value, read by :func:`tmf683.parse_json` (integers exact,
        not orjson, which turns integers beyond 64 bits into floats; ``NaN`` and
        ``Infinity`` refused).

    Raises:
        UnsupportedMediaTypeError: another media type, or a charset other than UTF-8.
        BodyTooLargeError: a body over the limit (:func:`body_limit`).
        ValidationError: an empty body, or bytes that are not UTF-8 JSON.
    """
    raw_type = req.content_type or ""
    media_type, *params = (part.strip().lower() for part in raw_type.split(";"))
    charsets = [
        p.split("=", 1)[1].strip('"') for p in params if p.startswith("charset=")
    ]
    if media_type not in accepted or any(c not in ("utf-8", "utf8") for c in charsets):
        wanted = " or ".join(sorted(accepted))
        raise UnsupportedMediaTypeError(
            description=f"Content-Type '{raw_type or '(none)'}' is not supported here; "
            f"send {wanted} in UTF-8"
        )
    limit = body_limit(req)
    if (req.content_length or 0) > limit:
        raise _too_large(limit)
    data = req.bounded_stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if not data.strip():
        raise ValidationError([("$", "is missing: send a JSON object as the body")])
    return parse_json(data)
