"""Log lines of the tmf683 commands: text or JSON, stamped in UTC, with request ids.

:func:`configure_logging` sets up the root logger of ``tmf683-server``, its WSGI
entry point and ``tmf683-dispatcher``: ``text`` lines (``2026-12-03T09:00:00.123Z
INFO logger: message [request_id=ID]``, the id on the lines logged while a request
runs) or ``json`` lines, one JSON object a line with ``timestamp`` (UTC ISO 8601),
``level``, ``logger``, ``message``, ``request_id`` and, on access lines, the access
fields as keys. :func:`add_log_options` adds ``--log-level`` and ``--log-format``.
:data:`request_id` is the context variable an HTTP adapter sets for each request
(``tmf683_falcon.logs.AccessLog`` does).
"""

from __future__ import annotations

import argparse
import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
"""The levels of ``--log-level``, least severe first."""
LOG_FORMATS = ("text", "json")
"""The formats of ``--log-format``: text lines, or one JSON object a line."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tmf683_request_id", default=None
)
"""The id of the request the current thread serves; ``None`` outside requests."""


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
    ``message``, ``request_id``; on access lines the keys of the record's
    ``access`` mapping (an HTTP adapter's access log puts them there); with an
    exception, ``exception`` (its traceback, in the one line).
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
