"""The one table from core errors to HTTP, and the TMF Error body (TMF630 Part 1).

Every error response of the adapter, including falcon's own 404, 405 and 415, carries
``{"code", "reason", "message", "status"}`` with ``status`` as a string.
"""

from __future__ import annotations

import http
import logging
from typing import Any

import falcon

from tmf683 import (
    ConflictError,
    InvalidQueryError,
    NotFoundError,
    PatchConflictError,
    StoreUnavailableError,
    Tmf683Error,
    ValidationError,
)
from tmf683_falcon.media import (
    MEDIA_TYPE,
    BodyTooLargeError,
    UnsupportedMediaTypeError,
)

log = logging.getLogger(__name__)

ERROR_TABLE: dict[type[Tmf683Error], tuple[int, str, str]] = {
    InvalidQueryError: (400, "invalidQuery", "Invalid query parameter"),
    PatchConflictError: (409, "patchConflict", "Patch cannot be applied"),
    ValidationError: (400, "invalidBody", "Invalid request body"),
    NotFoundError: (404, "notFound", "Resource not found"),
    ConflictError: (409, "conflict", "Resource already exists"),
    StoreUnavailableError: (503, "serviceUnavailable", "Service unavailable"),
    Tmf683Error: (500, "internalError", "Internal server error"),
}
"""Core error class -> (HTTP status, TMF ``code``, TMF ``reason``); looked up by MRO."""

_HTTP_CODES = {
    400: "badRequest",
    404: "notFound",
    405: "methodNotAllowed",
    406: "notAcceptable",
    409: "conflict",
    413: "payloadTooLarge",
    415: "unsupportedMediaType",
    500: "internalError",
    503: "serviceUnavailable",
}


def error_body(status: int, code: str, reason: str, message: str) -> dict[str, str]:
    """Build a TMF Error body.

    Args:
        status: the HTTP status, e.g. ``400``.
        code: the application error code, e.g. ``"invalidBody"``.
        reason: a short title.
        message: what is wrong and how to fix it.

    Returns:
        ``{"code", "reason", "message", "status"}``, all strings.
    """
    return {"code": code, "reason": reason, "message": message, "status": str(status)}


def handle_core_error(
    req: falcon.Request, resp: falcon.Response, exc: Tmf683Error, params: Any
) -> None:
    """Falcon error handler turning a core error into its status and TMF Error body."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            status, code, reason = ERROR_TABLE[cls]
            break
    else:  # pragma: no cover - Tmf683Error is in the table
        status, code, reason = 500, "internalError", "Internal server error"
    if status >= 500:
        log.error("%s %s failed", req.method, req.path, exc_info=exc)
    resp.status = status
    resp.content_type = MEDIA_TYPE
    resp.media = error_body(status, code, reason, str(exc))


def serialize_http_error(
    req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError
) -> None:
    """Falcon error serializer: every HTTPError as a TMF Error body."""
    status = exc.status_code
    reason = http.HTTPStatus(status).phrase
    message = exc.description or {
        404: f"no resource at {req.path}; see the API paths under the base path",
        405: f"{req.method} is not allowed on {req.path}",
    }.get(status, reason)
    resp.content_type = MEDIA_TYPE
    resp.media = error_body(status, _HTTP_CODES.get(status, "error"), reason, message)


def handle_route_http_error(
    req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError, params: Any
) -> None:
    """Falcon error handler for the HTTP errors the TMF683 routes raise (413, 415).

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
    app.add_error_handler(BodyTooLargeError, handle_route_http_error)
