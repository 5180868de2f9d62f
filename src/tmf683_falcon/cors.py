"""CORS: browser pages of other origins may call the API (Fetch standard, CORS).

Built on :class:`falcon.CORSMiddleware`, scoped to one API's path, with:

- ``Access-Control-Allow-Headers`` of a preflight naming the request headers this
  API reads (:data:`ALLOW_HEADERS`; falcon echoes whatever a preflight asks for),
- ``Access-Control-Expose-Headers`` naming the response headers a client needs
  (:data:`EXPOSE_HEADERS`),
- ``Vary: Origin`` on every response of the API (the CORS headers depend on it, so
  a cache must not hand one origin's answer to another),
- a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``)
  from an allowed origin needs no bearer token: browsers never send one with it.

No ``Access-Control-Allow-Credentials``: a bearer token goes in ``Authorization``,
which needs none (credentials are cookies and TLS client certificates).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import falcon

from tmf683 import parse_host_port

ALLOW_HEADERS = ("Authorization", "Content-Type", "If-Match", "X-Request-ID")
"""The request headers a preflight allows (``Accept`` is always allowed)."""
EXPOSE_HEADERS = (
    "ETag",
    "Link",
    "Location",
    "X-Request-ID",
    "X-Result-Count",
    "X-Total-Count",
)
"""The response headers a page's script may read, beside the CORS-safelisted ones."""
MAX_AGE_SECONDS = 600
"""How long a browser may keep a preflight's answer, in seconds (10 minutes)."""
PREFLIGHT_CONTEXT_KEY = "tmf683_cors_preflight"
"""Set on ``req.context`` for a preflight of an allowed origin: no token needed."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(text: str) -> str:
    """Read an origin a page may call from: ``scheme://host[:port]``, or ``*``.

    Args:
        text: e.g. ``"https://app.example.com"``, ``"http://localhost:3000"``
            (one trailing ``/`` is dropped), ``"*"`` for any origin.

    Returns:
        The origin as browsers send it in ``Origin``: scheme and host lower case,
        the scheme's default port dropped.

    Raises:
        ValueError: ``text`` is not one; the message says why.
    """
    if text.strip() == "*":
        return "*"
    scheme, sep, authority = text.strip().partition("://")
    scheme, authority = scheme.lower(), authority.removesuffix("/")
    if not sep or scheme not in _DEFAULT_PORTS:
        raise ValueError(f"'{text}' does not start with http:// or https://")
    if any(ch in authority for ch in "/?#"):
        raise ValueError(f"'{text}' has a path, query or fragment; an origin has none")
    try:
        host, port = parse_host_port(authority)
    except ValueError as exc:
        raise ValueError(f"'{text}' does not name a host: {exc}") from None
    shown = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown}"
    return f"{scheme}://{shown}:{port}"


def parse_origins(origins: Iterable[str]) -> tuple[str, ...]:
    """Read a list of origins (see :func:`parse_origin`), ``*`` only alone.

    Raises:
        ValueError: an entry is not an origin, or ``*`` comes with others.
    """
    parsed = tuple(dict.fromkeys(parse_origin(origin) for origin in origins))
    if "*" in parsed and len(parsed) > 1:
        raise ValueError("'*' (any origin) goes alone, without other origins")
    return parsed


def is_preflight(req: falcon.Request) -> bool:
    """Whether ``req`` is a CORS preflight request."""
    return (
        req.method == "OPTIONS"
        and req.get_header("Origin") is not None
        and req.get_header("Access-Control-Request-Method") is not None
    )


class Cors:
    """Falcon middleware: CORS for the requests under one API's path.

    Args:
        base_path: the API's route prefix (``""`` for every path).
        origins: origins as :func:`parse_origins` gives them (``("*",)`` for any).
    """

    def __init__(self, base_path: str, origins: tuple[str, ...]) -> None:
        self.base_path = base_path
        self.origins = frozenset(origins)
        self._falcon: falcon.CORSMiddleware[Any, Any] = falcon.CORSMiddleware(
            allow_origins="*" if origins == ("*",) else origins,
            expose_headers=EXPOSE_HEADERS,
        )

    def _under(self, req: falcon.Request) -> bool:
        path = req.path.rstrip("/")
        return path == self.base_path or path.startswith(self.base_path + "/")

    def _allowed(self, req: falcon.Request) -> bool:
        origin = req.get_header("Origin")
        return origin is not None and ("*" in self.origins or origin in self.origins)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Mark a preflight of an allowed origin: it needs no token."""
        if self._under(req) and is_preflight(req) and self._allowed(req):
            setattr(req.context, PREFLIGHT_CONTEXT_KEY, True)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        """Add the CORS headers of an API response (see the module)."""
        if not self._under(req):
            return
        self._falcon.process_response(req, resp, resource, req_succeeded)
        resp.append_header("Vary", "Origin")
        if resp.get_header("Access-Control-Allow-Methods") is not None:
            resp.set_header("Access-Control-Allow-Headers", ", ".join(ALLOW_HEADERS))
            resp.set_header("Access-Control-Max-Age", str(MAX_AGE_SECONDS))
