"""Logs: the access log line of every request, request ids, text or JSON lines.

:class:`AccessLog` (Falcon middleware) takes the request's ``X-Request-ID`` when it is
sane (1 to 128 characters of ``A-Z a-z 0-9 . _ : -``) or makes one (a uuid4 in hex),
echoes it on the response and keeps it in a context variable for the request's
thread, so every line logged while the request runs (store, service, errors) carries
it; at the end it logs one line on the ``tmf683.access`` logger: method, route
template, path (without the query string, which may carry personal data as filter
values), status, bytes of the body, duration in seconds, request id and client
address. No header (``Authorization`` included) and no body is ever logged.

:func:`configure_logging` sets up the root logger once for ``tmf683-server`` and the
WSGI entry point: ``text`` lines (``2026-12-03T09:00:00.123Z INFO logger: message
[request_id=ID]``, the id on the lines of a request) or ``json`` lines, one JSON
object a line with ``timestamp`` (UTC ISO 8601), ``level``, ``logger``,
``message``, ``request_id`` and, on access lines, the access fields as keys.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import IO, Any

import falcon

ACCESS_LOGGER = "tmf683.access"
REQUEST_ID_HEADER = "X-Request-ID"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
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
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
UNMATCHED_ROUTE = "<unmatched>"
"""The route of a request no route matched (an unknown path)."""

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tmf683_request_id", default=None
)
"""The id of the request the current thread serves; ``None`` outside requests."""

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


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id``: the current request's, or ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``request_id`` (kept when the record has one already); keep it."""
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        return True


def _escape_controls(text: str) -> str:
    r"""``text`` with its control characters as escapes (``\n``, ``\x1b``, ...).

    A text line holds what clients send (a path, percent-decoded): a newline in
    it would otherwise start a forged log line, an ESC drive the terminal.
    """
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``2026-12-03T09:00:00.123Z INFO logger: message [request_id=ID]``, UTC.

    The request id is added to the lines logged while a request runs. Control
    characters of the message (a client's path may hold ``%0A``) are escaped, so
    one record is one line (a traceback alone adds lines).
    """

    def format(self, record: logging.LogRecord) -> str:
        """One line (a traceback follows on the next lines)."""
        line = f"{_timestamp(record)} {record.levelname} {record.name}: "
        line += _escape_controls(record.getMessage())
        rid = getattr(record, "request_id", "-")
        if rid != "-":
            line += f" [request_id={rid}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: a log shipper reads it as it is.

    Keys: ``timestamp`` (UTC ISO 8601, milliseconds), ``level``, ``logger``,
    ``message``, ``request_id``; on access lines the :data:`ACCESS_FIELDS`; with
    an exception, ``exception`` (its traceback, in the one line).
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            entry.update(access)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log record of the process to ``stream`` in one format.

    Replaces the root logger's handlers with one (so calling it again does not
    double lines), with the request id filter. waitress's "Task queue depth"
    warnings (a line per request under ordinary load) are kept to errors.

    Args:
        level: ``DEBUG``, ``INFO``, ``WARNING`` or ``ERROR`` (case ignored).
        fmt: ``text`` or ``json``.
        stream: where lines go; default ``sys.stderr``.

    Returns:
        The handler installed.

    Raises:
        ValueError: an unknown level or format.
    """
    name = level.upper()
    if name not in LOG_LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LOG_LEVELS)}")
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format {fmt!r} is not one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(name)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return handler


def add_log_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--log-level`` and ``--log-format`` to a command-line parser."""
    group = parser.add_argument_group("logs")
    group.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO",
        help="least severe level logged; INFO logs a line per request "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text lines, or JSON lines (one object a line) for a log shipper "
        "(default: %(default)s)",
    )
