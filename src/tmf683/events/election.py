"""One dispatcher among several processes serving one store: the one holding a lock.

Under a pre-forking WSGI server (``gunicorn -w 4``) every worker process runs the
application; the stores claim each delivery (SQLite with a claim time pushed into
the delivery's due time, PostgreSQL ``FOR UPDATE SKIP LOCKED``), so concurrent
dispatchers would deliver each event once all the same, but one dispatcher polls
the outbox once instead of once a worker. :class:`ElectedDispatcher` runs a
:class:`~tmf683.events.dispatch.Dispatcher` only while this process holds the
store's dispatcher lock (:func:`dispatcher_lock`):

- PostgreSQL: ``pg_try_advisory_lock`` on a connection of its own;
- SQLite: ``fcntl.flock`` on the file ``<database>-dispatcher.lock`` beside it;
- the memory store: always held (no other process reaches that store).

The other processes try again every few seconds; the operating system releases
both kinds of lock when the holder dies, even by ``kill -9``, so a standby takes
over within those seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tmf683.events.dispatch import Dispatcher
from tmf683.storage.base import AttemptOutcome, PartyInteractionStore

log = logging.getLogger("tmf683.dispatcher")

RETRY_SECONDS = 3.0
"""How often a process without the lock tries to take it (and the holder checks it
still holds it)."""

ADVISORY_LOCK_KEYS = (0x746D66, 683)
"""The two ``int4`` keys of the PostgreSQL advisory lock (``'tmf'``, 683)."""

LOCK_FILE_SUFFIX = "-dispatcher.lock"
"""Appended to a SQLite database's path to name its dispatcher lock file."""


class DispatcherLock(Protocol):
    """A lock at most one process holds at a time, freed when that process dies."""

    def acquire(self) -> bool:
        """Take the lock if it is free; return whether this process holds it now."""

    def held(self) -> bool:
        """Whether this process still holds the lock (a lost connection loses it)."""

    def release(self) -> None:
        """Let the lock go (nothing when not held)."""


class ProcessLock:
    """The lock of a store only this process reaches (the memory store): always held."""

    def acquire(self) -> bool:
        """Return True."""
        return True

    def held(self) -> bool:
        """Return True."""
        return True

    def release(self) -> None:
        """Do nothing."""


class FileLock:
    """An exclusive ``flock`` on a file, created when missing (mode 0600).

    Args:
        path: the lock file, e.g. ``tmf683.db-dispatcher.lock``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock unless another open file holds it; True when held.

        Raises:
            OSError: the file cannot be created or opened.
        """
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def held(self) -> bool:
        """Whether :meth:`acquire` took the lock and it was not released since."""
        return self._fd is not None

    def release(self) -> None:
        """Close the file, which releases the lock."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class AdvisoryLock:
    """A PostgreSQL session advisory lock, held on a connection of its own.

    The connection stays open between tries (a standby does not connect every few
    seconds); closing it releases the lock.

    Args:
        conninfo: the database's URL or connection string (as the store's).
        keys: the two ``int4`` keys of the lock.
    """

    def __init__(
        self, conninfo: str, keys: tuple[int, int] = ADVISORY_LOCK_KEYS
    ) -> None:
        self.conninfo = conninfo
        self.keys = keys
        self._connection: Any = None
        self._held = False

    def acquire(self) -> bool:
        """Try ``pg_try_advisory_lock``; True when this process holds it.

        Raises:
            psycopg.Error: the database cannot be reached (the connection is
                dropped, and opened again at the next try).
        """
        if self._held:
            return True
        if self._connection is None:
            import psycopg  # the postgres extra; only a PostgreSQL store gets here

            self._connection = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=10
            )
        try:
            row = self._connection.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", self.keys
            ).fetchone()
        except BaseException:
            self.release()
            raise
        self._held = bool(row and row[0])
        return self._held

    def held(self) -> bool:
        """Whether the lock's connection still answers (a lost one lost the lock)."""
        if not self._held:
            return False
        try:
            self._connection.execute("SELECT 1")
        except Exception:
            self.release()
            return False
        return True

    def release(self) -> None:
        """Unlock and close the connection.

        Unlocked first: a closed session's lock is freed only when its server
        process ends, a moment later.
        """
        connection, self._connection = self._connection, None
        held, self._held = self._held, False
        if connection is None:
            return
        with contextlib.suppress(Exception):
            if held:
                connection.execute("SELECT pg_advisory_unlock(%s, %s)", self.keys)
        with contextlib.suppress(Exception):
            connection.close()


def dispatcher_lock(store: PartyInteractionStore) -> DispatcherLock:
    """The dispatcher lock of a store of tmf683 (see the module).

    Args:
        store: a :class:`~tmf683.SQLiteStore`, :class:`~tmf683.PostgresStore` or
            :class:`~tmf683.MemoryStore`.

    Returns:
        A :class:`FileLock` beside a SQLite file, an :class:`AdvisoryLock` on a
        PostgreSQL database, else a :class:`ProcessLock`.
    """
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return FileLock(f"{path}{LOCK_FILE_SUFFIX}")
    conninfo = getattr(store, "conninfo", None)
    if isinstance(conninfo, str):
        return AdvisoryLock(conninfo)
    return ProcessLock()


class ElectedDispatcher:
    """A dispatcher that runs in this process only while it holds a lock.

    :meth:`start` starts a thread that tries the lock every ``retry_seconds``; on
    taking it, it starts a dispatcher from ``make`` (a new one each time the lock
    is taken again after a loss), and checks the lock at the same pace.

    Args:
        make: builds the dispatcher to run, e.g.
            ``lambda: dispatcher_from(store, args)``.
        lock: the lock the processes share (:func:`dispatcher_lock`).
        retry_seconds: seconds between two tries of the lock.
    """

    def __init__(
        self,
        make: Callable[[], Dispatcher],
        lock: DispatcherLock,
        *,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.make = make
        self.lock = lock
        self.retry_seconds = retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: Dispatcher | None = None
        self._guard = threading.Lock()
        self._stop_timeout = 15.0
        self.on_outcome: Callable[[AttemptOutcome], None] | None = None
        """Told each attempt's outcome by every dispatcher this object runs (as
        :attr:`~tmf683.events.dispatch.Dispatcher.on_outcome`; ``/metrics``
        counts attempts with it)."""

    def start(self) -> ElectedDispatcher:
        """Start trying the lock, in a daemon thread; nothing when started already.

        Returns:
            This object.

        Raises:
            RuntimeError: it was closed.
        """
        with self._guard:
            if self._stop.is_set():
                raise RuntimeError("the elected dispatcher is closed")
            if self._thread is None:
                thread = threading.Thread(
                    target=self._elect, name="tmf683-election", daemon=True
                )
                thread.start()
                self._thread = thread  # once started: close() joins only a started one
        return self

    def is_alive(self) -> bool | None:
        """Whether this process's dispatcher runs.

        Returns:
            None when this process runs no dispatcher now (another holds the lock,
            or not started); True while it runs; False when it should and its
            thread died.
        """
        running = self._running
        return None if running is None else running.is_alive()

    def holds_lock(self) -> bool:
        """Whether this process holds the lock and runs the dispatcher."""
        return self._running is not None

    def _elect(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception as exc:  # a database down: try again later
                log.warning("dispatcher election failed (%s); retrying", exc)
                self._drop()
            self._stop.wait(self.retry_seconds)
        self._drop()

    def _step(self) -> None:
        if self._running is None:
            if self.lock.acquire():
                dispatcher = self.make()
                dispatcher.on_outcome = self.on_outcome
                with self._guard:
                    if self._stop.is_set():
                        dispatcher.close(0)
                        self.lock.release()
                        return
                    self._running = dispatcher.start()
                log.info("process %s delivers hub events (holds the lock)", os.getpid())
        elif not self.lock.held():
            log.warning("process %s lost the dispatcher lock", os.getpid())
            self._drop()

    def _drop(self) -> None:
        with self._guard:
            running, self._running = self._running, None
        if running is not None:
            running.close(self._stop_timeout)
        self.lock.release()

    def close(self, timeout: float = 15.0) -> None:
        """Stop the dispatcher (its deliveries in flight first) and free the lock.

        Args:
            timeout: seconds to wait for the dispatcher, in all.
        """
        with self._guard:
            self._stop_timeout = timeout
            self._stop.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout + self.retry_seconds)
        self._drop()
