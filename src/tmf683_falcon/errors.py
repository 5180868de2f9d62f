"""The one table from core errors to HTTP, and the TMF Error body (TMF630 Part 1).

Every error response of the adapter, including falcon's own 404, 405 and 415, carries
``{"code", "reason", "message", "status"}`` with ``status`` as a string. Under a v5
base path the body also carries ``"@type": "Error"`` (the v5 OAS ``Error`` extends
``Extensible``, which requires ``@type``): :class:`ErrorTypeMarker` notes the API a
request is under, and every writer of an Error body reads it with :func:`error_type`.
"""

from __future__ import annotations

import http
import logging
from typing import Any

import falcon

from tmf683 import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    InsufficientScopeError,
    InvalidQueryError,
    KeysUnavailableError,
    NotFoundError,
    PatchConflictError,
    PreconditionFailedError,
    QueryTimeoutError,
    StoreUnavailableError,
    SubscriptionLimitError,
    Tmf683Error,
    ValidationError,
)
from tmf683_falcon.accept import NotAcceptableError
from tmf683_falcon.etags import InvalidIfMatchError
from tmf683_falcon.media import (
    MEDIA_TYPE,
    BodyTooLargeError,
    UnsupportedMediaTypeError,
    UntrustedHostError,
)

log = logging.getLogger(__name__)

ERROR_TABLE: dict[type[Tmf683Error], tuple[int, str, str]] = {
    InvalidQueryError: (400, "invalidQuery", "Invalid query parameter"),
    PatchConflictError: (409, "patchConflict", "Patch cannot be applied"),
    ValidationError: (400, "invalidBody", "Invalid request body"),
    NotFoundError: (404, "notFound", "Resource not found"),
    ConflictError: (409, "conflict", "Resource already exists"),
    PreconditionFailedError: (412, "preconditionFailed", "Precondition failed"),
    SubscriptionLimitError: (409, "tooManySubscriptions", "Subscription limit reached"),
    StoreUnavailableError: (503, "serviceUnavailable", "Service unavailable"),
    QueryTimeoutError: (503, "queryTimeout", "Query ran past its deadline"),
    AuthenticationError: (401, "unauthorized", "Unauthorized"),
    ForbiddenError: (403, "forbidden", "Forbidden"),
    KeysUnavailableError: (503, "serviceUnavailable", "Service unavailable"),
    Tmf683Error: (500, "internalError", "Internal server error"),
}
"""Core error class -> (HTTP status, TMF ``code``, TMF ``reason``); looked up by MRO.

Besides the body: an error's ``retry_after`` becomes ``Retry-After``
(:func:`handle_core_error`), and the auth errors get ``WWW-Authenticate``
(:func:`bearer_challenge`).
"""

_HTTP_CODES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "notFound",
    405: "methodNotAllowed",
    406: "notAcceptable",
    409: "conflict",
    412: "preconditionFailed",
    413: "payloadTooLarge",
    415: "unsupportedMediaType",
    500: "internalError",
    503: "serviceUnavailable",
}


V5_ERROR_TYPE = "Error"
"""The ``@type`` of a v5 Error body (schema ``Error`` of the v5 OAS)."""

_CONTEXT_KEY = "tmf683_error_type"


class ErrorTypeMarker:
    """Falcon middleware: notes which API a request is under, for its Error body.

    One per mounted API. A request under several mounted base paths belongs to the
    longest one (a v5 API at ``/api/v5`` beside a v4 one at ``/api``).

    Args:
        base_path: the API's route prefix, e.g. ``"/tmf-api/partyInteraction/v4"``
            (``""`` for the root).
        error_type: the Error ``@type`` of that API: ``None`` for v4 (no
            ``@type``), :data:`V5_ERROR_TYPE` for v5.
    """

    def __init__(self, base_path: str, error_type: str | None) -> None:
        self.base_path = base_path
        self.error_type = error_type

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Mark ``req`` when its path is under this API's, deeper than any before."""
        path = req.path.rstrip("/")
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return
        depth, _ = getattr(req.context, _CONTEXT_KEY, (-1, None))
        if len(self.base_path) > depth:
            setattr(req.context, _CONTEXT_KEY, (len(self.base_path), self.error_type))


def error_type(req: falcon.Request) -> str | None:
    """Return the Error ``@type`` for a request: ``"Error"`` under v5, else ``None``."""
    marked: tuple[int, str | None] = getattr(req.context, _CONTEXT_KEY, (-1, None))
    return marked[1]


def error_body(
    status: int,
    code: str,
    reason: str,
    message: str,
    *,
    type_name: str | None = None,
) -> dict[str, str]:
    """Build a TMF Error body.

    Args:
        status: the HTTP status, e.g. ``400``.
        code: the application error code, e.g. ``"invalidBody"``.
        reason: a short title.
        message: what is wrong and how to fix it.
        type_name: the ``@type`` to add (``"Error"`` in v5); ``None`` adds none (v4).

    Returns:
        ``{"code", "reason", "message", "status"}``, all strings, with ``@type``
        first when ``type_name`` is given.
    """
    body = {"code": code, "reason": reason, "message": message, "status": str(status)}
    return body if type_name is None else {"@type": type_name, **body}


def handle_core_error(
    req: falcon.Request, resp: falcon.Response, exc: Tmf683Error, params: Any
) -> None:
    """Falcon error handler turning a core error into its status and TMF Error body.

    Sets ``Retry-After`` (whole seconds) when the error knows its ``retry_after``,
    and the RFC 6750 challenge of an auth error. Logs a query timeout as a warning
    and every other 5xx with its traceback, except a keys outage, which the key set
    logs once for its whole length (``tmf683_falcon.auth``).
    """
    req.context.tmf683_core_error = exc  # counted by tmf683_falcon.metrics
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            status, code, reason = ERROR_TABLE[cls]
            break
    else:  # pragma: no cover - Tmf683Error is in the table
        status, code, reason = 500, "internalError", "Internal server error"
    if isinstance(exc, QueryTimeoutError):
        log.warning("%s %s: %s", req.method, req.path, exc)
    elif status >= 500 and not isinstance(exc, KeysUnavailableError):
        log.error("%s %s failed", req.method, req.path, exc_info=exc)
    if exc.retry_after is not None:
        resp.set_header("Retry-After", str(exc.retry_after))
    if (challenge := bearer_challenge(exc)) is not None:
        resp.set_header("WWW-Authenticate", challenge)
    resp.status = status
    resp.content_type = MEDIA_TYPE
    resp.media = error_body(status, code, reason, str(exc), type_name=error_type(req))


def _quoted(text: str) -> str:
    """``text`` as an RFC 6750 quoted value: printable ASCII, no quote or backslash."""
    kept = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)
    return f'"{kept}"'


def bearer_challenge(exc: Tmf683Error) -> str | None:
    """The ``WWW-Authenticate`` value (RFC 6750 section 3) of an auth error.

    Returns:
        ``Bearer`` for a request without a token; ``Bearer error="invalid_token",
        error_description="..."`` for a token that fails a check; ``Bearer
        error="insufficient_scope", scope="..."`` for a valid token without the
        scope; ``None`` for every other error (a plain
        :class:`~tmf683.ForbiddenError` included: no scope would help).
    """
    if isinstance(exc, AuthenticationError):
        if not exc.token_sent:
            return "Bearer"
        return f'Bearer error="invalid_token", error_description={_quoted(str(exc))}'
    if isinstance(exc, InsufficientScopeError):
        return (
            'Bearer error="insufficient_scope", '
            f"error_description={_quoted(str(exc))}, scope={_quoted(exc.scope)}"
        )
    return None


def serialize_http_error(
    req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError
) -> None:
    """Falcon error serializer: every HTTPError as a TMF Error body.

    Under a base path mounted for v5 the body carries ``"@type": "Error"``.
    """
    status = exc.status_code
    reason = http.HTTPStatus(status).phrase
    message = exc.description or {
        404: f"no resource at {req.path}; see the API paths under the base path",
        405: f"{req.method} is not allowed on {req.path}",
    }.get(status, reason)
    resp.content_type = MEDIA_TYPE
    resp.media = error_body(
        status,
        _HTTP_CODES.get(status, "error"),
        reason,
        message,
        type_name=error_type(req),
    )


def handle_route_http_error(
    req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError, params: Any
) -> None:
    """Falcon error handler for the TMF683 routes' HTTP errors (400, 406, 413, 415).

    Writes a TMF Error body whatever error serializer the host app has.
    """
    resp.status = exc.status
    resp.set_headers(exc.headers or {})
    serialize_http_error(req, resp, exc)


def add_error_handlers(app: falcon.App[falcon.Request, falcon.Response]) -> None:
    """Give the errors the TMF683 routes raise TMF Error bodies in any host app.

    Args:
        app: the application the routes are added to.
    """
    app.add_error_handler(Tmf683Error, handle_core_error)
    app.add_error_handler(UnsupportedMediaTypeError, handle_route_http_error)
    app.add_error_handler(NotAcceptableError, handle_route_http_error)
    app.add_error_handler(BodyTooLargeError, handle_route_http_error)
    app.add_error_handler(InvalidIfMatchError, handle_route_http_error)
    app.add_error_handler(UntrustedHostError, handle_route_http_error)
