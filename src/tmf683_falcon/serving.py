"""waitress as ``tmf683-server`` runs it: TMF Error bodies and a request read deadline.

waitress answers some requests itself, before the app sees them: a body over its
``max_request_body_size``, a malformed request line or header. :class:`TmfChannel`
gives those answers a TMF Error body too (``"@type": "Error"`` under a v5 path), and
closes a connection whose request has taken longer than the read deadline to arrive
(a client trickling a byte now and then is never idle long enough for waitress's
``channel_timeout``).
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any

import orjson
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from tmf683_falcon.errors import error_body

ErrorTypeOf = Callable[[str], "str | None"]
"""Request path -> the Error ``@type`` of the API it is under (``None`` for v4)."""


class TmfErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's own error answers (413, 400, 500) with a TMF Error body."""

    def execute(self) -> None:
        """Write the error as ``{"code", "reason", "message", "status"}`` JSON."""
        error = self.request.error
        status = int(error.code)
        code = {
            400: "badRequest",
            413: "payloadTooLarge",
            431: "headersTooLarge",
            500: "internalError",
        }.get(status, "error")
        path = getattr(self.request, "path", "") or ""
        listener = self.channel.server
        type_of: ErrorTypeOf | None = getattr(listener, "tmf683_error_type", None)
        type_name = type_of(path) if type_of is not None else None
        message = error.body
        if status == 413 and getattr(listener, "tmf683_max_body_bytes", None):
            message = f"the body is larger than {listener.tmf683_max_body_bytes} bytes"
        body = orjson.dumps(
            error_body(status, code, error.reason, message, type_name=type_name)
        )
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json;charset=utf-8"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class TmfChannel(HTTPChannel):  # type: ignore[misc]
    """A waitress channel with TMF error bodies and a request read deadline."""

    error_task_class = TmfErrorTask
    _request_started: float | None = None

    def received(self, data: bytes) -> bool:
        """Read bytes; close the connection when one request takes too long."""
        now = time.monotonic()
        if self.request is None:
            self._request_started = now
        deadline: float = getattr(self.server, "tmf683_read_deadline", 0.0)
        started = self._request_started
        if (
            deadline
            and self.request is not None
            and started is not None
            and now - started > deadline
        ):
            self.will_close = True
            return False
        result: bool = super().received(data)
        return result


def _close_stalled_readers(listener: Any, now: float) -> None:
    """Run the idle check, also on a client that stops reading its answers.

    waitress closes only idle channels with no request pending; a client that sends
    requests and never reads the answers keeps its task thread blocked on a full
    output buffer for good, so a few such sockets (as many as ``--threads``) stop
    the server. Such a channel, with nothing sent for the idle timeout, is closed:
    its task thread is released.
    """
    BaseWSGIServer.maintenance(listener, now)
    cutoff = now - listener.adj.channel_timeout
    for channel in list(listener.active_channels.values()):
        if (
            channel.requests
            and channel.total_outbufs_len > channel.adj.outbuf_high_watermark
            and channel.last_activity < cutoff
        ):
            channel.handle_close()  # the socket is not writable: close it here


def install(
    server: Any,
    *,
    error_type_of: ErrorTypeOf,
    max_body_bytes: int,
    read_deadline: float | None = None,
) -> None:
    """Make every listener of a waitress server use :class:`TmfChannel`.

    Args:
        server: what :func:`waitress.create_server` returned (one listener or a
            ``MultiSocketServer``).
        error_type_of: the Error ``@type`` of a request path.
        max_body_bytes: the body limit, named in the message of waitress's 413
            (give waitress ``max_request_body_size=max_body_bytes + 1``).
        read_deadline: most seconds one request (line, headers, body) may take to
            arrive, counted from its first byte; ``None`` or 0 for no deadline.
    """
    listeners = [
        dispatcher
        for dispatcher in getattr(server, "map", {}).values()
        if isinstance(dispatcher, BaseWSGIServer)
    ] or [server]
    for listener in listeners:
        listener.channel_class = TmfChannel
        listener.maintenance = types.MethodType(_close_stalled_readers, listener)
        listener.tmf683_error_type = error_type_of
        listener.tmf683_max_body_bytes = max_body_bytes
        listener.tmf683_read_deadline = float(read_deadline or 0)
