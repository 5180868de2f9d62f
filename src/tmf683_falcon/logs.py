"""Logs: the access log line of every request, request ids, text or JSON lines.

:class:`AccessLog` (Falcon middleware) takes the request's ``X-Request-ID`` when it is
sane (1 to 128 characters of ``A-Z a-z 0-9 . _ : -``) or makes one (a uuid4 in hex),
echoes it on the response and keeps it in a context variable for the request's
thread, so every line logged while the request runs (store, service, errors) carries
it; at the end it logs one line on the ``tmf683.access`` logger: method, route
template, path (without the query string, which may carry personal data as filter
values), status, bytes of the body, duration in seconds, request id and client
address. No header (``Authorization`` included) and no body is ever logged.

:func:`~tmf683.configure_logging` (the core's, shared with ``tmf683-dispatcher``;
also exported here) sets up the text or JSON lines.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import falcon

from tmf683 import request_id

ACCESS_LOGGER = "tmf683.access"
REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_FIELDS = (
    "method",
    "route",
    "path",
    "status",
    "bytes",
    "duration_seconds",
    "request_id",
    "client",
)
"""The keys of an access line in JSON (and the ``extra`` of its log record)."""

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED_ROUTE = "<unmatched>"
"""The route of a request no route matched (an unknown path)."""

_START = "tmf683_access_start"
_RESET = "tmf683_access_reset"


def accepted_request_id(sent: str | None) -> str:
    """The id of a request: the one sent when sane, else a new uuid4 in hex.

    Args:
        sent: the ``X-Request-ID`` header, or ``None``.

    Returns:
        1 to 128 characters of ``[A-Za-z0-9._:-]``.
    """
    if sent is not None and _SANE_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


def route_of(req: falcon.Request) -> str:
    """The route template that matched ``req`` (bounded labels), or ``<unmatched>``."""
    return req.uri_template or UNMATCHED_ROUTE


def body_bytes(resp: falcon.Response) -> int:
    """The bytes of the response body as Falcon will send it (0 for a stream)."""
    if resp.stream is not None:
        return int(resp.content_length or 0)
    rendered = resp.render_body()
    return len(rendered) if rendered is not None else 0


class AccessLog:
    """Falcon middleware: request ids and one access line per request.

    Put it first (``falcon.App(middleware=[...])``): its ``process_response``
    then runs last and sees the final status.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or logging.getLogger(ACCESS_LOGGER)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Take or make the request id; start the clock."""
        rid = accepted_request_id(req.get_header(REQUEST_ID_HEADER))
        setattr(req.context, _START, time.perf_counter())
        setattr(req.context, _RESET, request_id.set(rid))
        resp.set_header(REQUEST_ID_HEADER, rid)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        """Log the access line; forget the request id."""
        start = getattr(req.context, _START, None)
        if start is None:  # pragma: no cover - process_request always ran
            return
        duration = time.perf_counter() - start
        fields: dict[str, Any] = {
            "method": req.method,
            "route": route_of(req),
            "path": req.path,
            "status": resp.status_code,
            "bytes": body_bytes(resp),
            "duration_seconds": round(duration, 6),
            "request_id": request_id.get() or "-",
            "client": req.remote_addr or "-",
        }
        self.log.info(
            "%s %s (%s) %s %d bytes %.6f s client %s",
            fields["method"],
            fields["path"],
            fields["route"],
            fields["status"],
            fields["bytes"],
            duration,
            fields["client"],
            extra={"access": fields},
        )
        token = getattr(req.context, _RESET, None)
        if token is not None:
            request_id.reset(token)
