"""The bearer token sent with each delivery, read from a file that may be rotated.

A listener protected with a bearer check (``tmf683_falcon.mount_listener(...,
auth=BearerAuth(...))``) accepts an event only with a token (RFC 6750). The token is
issued elsewhere (a client-credentials job, a Kubernetes secret) and written to a
file; :class:`TokenFile` reads it and reads it again when the file changes, so a
rotated token is sent from the next delivery on, without a restart.

The token's text never goes into a message, a log line or a ``repr``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tmf683._errors import DeliveryTokenError

log = logging.getLogger(__name__)

BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
"""An RFC 6750 ``b64token``, the only text sent after ``Authorization: Bearer``."""
RECENT_WRITE_SECONDS = 2.0
"""Seconds during which a freshly modified file is read again at every use, since a
second write in the same timestamp tick, of the same size, changes none of what is
compared."""

_Stamp = tuple[int, int, int, int]  # device, inode, size, mtime in ns


def is_bearer_token(text: str) -> bool:
    """Whether ``text`` may follow ``Bearer`` in a header (RFC 6750 ``b64token``)."""
    return BEARER_TOKEN.fullmatch(text) is not None


class TokenFile:
    """The current bearer token of a file: call it to get the token.

    The file holds the token on one line (surrounding whitespace and the final
    newline are stripped). Each call compares the file's device, inode, size and
    modification time with those of the last read and reads it again when one
    differs, so a token rewritten in place, or replaced by a rename (as a
    Kubernetes secret volume does, swapping a symlinked directory), is picked up
    at the next delivery (a file modified in the last
    :data:`RECENT_WRITE_SECONDS` is read at every call, so two writes within one
    timestamp tick are not missed). A file that has gone, or that holds no usable token
    (being written, say), keeps the last token: a warning is logged once until a
    good token is read again.

    Safe to call from several threads. Give it to
    :class:`~tmf683.events.dispatch.Dispatcher` as ``token``.

    Args:
        path: the token file (symlinks are followed).
        clock: seconds since the epoch, compared with the file's modification time.

    Raises:
        DeliveryTokenError: the file cannot be read now, is empty, or does not hold
            one RFC 6750 token.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._warned = False
        token, stamp = self._read()
        if isinstance(token, str):
            self._token = token
            self._stamp: _Stamp | None = stamp
        else:
            raise DeliveryTokenError(str(self.path), token.message)

    def __repr__(self) -> str:
        return f"TokenFile({str(self.path)!r})"

    def __call__(self) -> str:
        """The token to send now (the last good one if the file went bad).

        Returns:
            The token, without whitespace.
        """
        with self._lock:
            try:
                stamp = _stamp_of(os.stat(self.path))
            except OSError as exc:
                self._warn(f"cannot be read ({exc.strerror or type(exc).__name__})")
                return self._token
            if stamp == self._stamp and not self._recent(stamp):
                return self._token
            token, read = self._read()
            if isinstance(token, str):
                if token != self._token:
                    log.info("delivery token read again from %s", self.path)
                self._token, self._stamp, self._warned = token, read, False
            else:
                self._stamp = None  # read again at the next call
                self._warn(token.message)
            return self._token

    def _recent(self, stamp: _Stamp) -> bool:
        return self._clock() - stamp[3] / 1e9 < RECENT_WRITE_SECONDS

    def _warn(self, problem: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "delivery token file %s %s; sending the last token read",
                self.path,
                problem,
            )

    def _read(self) -> tuple[str | DeliveryTokenError, _Stamp | None]:
        """The file's token (or what is wrong with it) and its stamp when read."""
        path = str(self.path)
        try:
            with self.path.open("rb") as file:
                stamp = _stamp_of(os.fstat(file.fileno()))
                data = file.read(64 * 1024 + 1)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return DeliveryTokenError(path, f"cannot be read ({reason})"), None
        try:
            text = data.decode("ascii").strip()
        except UnicodeDecodeError:
            text = "\0"  # not a token either way
        if not text:
            return DeliveryTokenError(path, "is empty"), None
        if len(data) > 64 * 1024 or not is_bearer_token(text):
            message = "does not hold one RFC 6750 bearer token"
            return DeliveryTokenError(path, message), None
        return text, stamp


def _stamp_of(status: os.stat_result) -> _Stamp:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
