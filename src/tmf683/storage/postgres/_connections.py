"""The connections of :class:`~tmf683.storage.postgres.PostgresStore`.

The pool, one transaction per operation (shared by nested use on a thread), and the
mapping of driver errors to the core's.

Every connection talks UTF-8, prepares no statements on the server (a generic plan
ignores the values: a list filter's selectivity, the outbox's time) and has
``idle_in_transaction_session_timeout`` set, so a frozen process cannot keep its
locks. Pooled connections are checked before use: one broken by a database restart
is replaced instead of failing an operation. The check costs no round trip while the
connection's socket has nothing to read (an idle session the server has not ended);
see :func:`check_pooled`.

While the pool's last attempt to connect failed (the database is down or refuses
connections), an operation that finds no usable connection in the pool fails at once
with :class:`~tmf683._errors.StoreUnavailableError` instead of waiting
``wait_timeout`` for a connection that cannot come: a request thread is not held
for nothing. The first successful connection (the pool keeps retrying in the
background) ends that state.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors

from tmf683._errors import (
    StoreConfigurationError,
    StoreUnavailableError,
    ValidationError,
)
from tmf683.storage import safe_location

Connection = psycopg.Connection[Any]


def check_pooled(conn: Connection) -> None:
    """Check a pooled connection before it is handed out; raise if it is unusable.

    A session the server ended (a restart, ``pg_terminate_backend``, an idle
    timeout) has sent its last message and closed its side: the socket is
    readable. An idle session's socket has nothing to read, so such a connection is
    handed out without a round trip (one more per operation: half of a read by
    id's two). Anything readable, or a connection libpq no longer holds as
    open, gets psycopg's own check (an empty query), which raises for a broken
    one; the pool then replaces it.

    Raises:
        psycopg.OperationalError: the connection is broken.
    """
    if not conn.closed and not conn.broken:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN)
        if not poller.poll(0):
            return
    psycopg_pool.ConnectionPool.check_connection(conn)


class Connections:
    """A pool of connections to one database, handed out as transactions.

    Args:
        conninfo: a libpq URL or keyword string.
        min_size: connections kept open.
        max_size: most connections opened.
        connect_timeout: seconds to wait for the first connection.
        wait_timeout: seconds an operation waits for a free connection.
        idle_timeout: seconds a session may sit idle inside a transaction before
            PostgreSQL ends it.
        prepare: run once on a first connection, inside a transaction, before the
            pool opens (the schema); gets the connection and a safe name for
            messages.

    Raises:
        StoreConfigurationError: the database cannot be reached, is not in UTF8,
            or ``prepare`` raised a database error.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int,
        max_size: int,
        connect_timeout: float,
        wait_timeout: float,
        idle_timeout: float,
        prepare: Callable[[Connection, str], object],
    ) -> None:
        self.wait_timeout = wait_timeout
        self.idle_timeout = idle_timeout
        self._local = threading.local()
        self.unreachable: str | None = None
        """Why the pool's last connection attempt failed; ``None`` once one works."""
        connections = self

        class WatchedConnection(psycopg.Connection[Any]):
            """A pooled connection whose opening tells the pool's state."""

            @classmethod
            def connect(cls, *args: Any, **kwargs: Any) -> WatchedConnection:
                try:
                    conn = super().connect(*args, **kwargs)
                except psycopg.OperationalError as exc:
                    connections.unreachable = " ".join(str(exc).split())
                    raise
                connections.unreachable = None
                return conn

        self._pool = psycopg_pool.ConnectionPool(
            conninfo,
            connection_class=WatchedConnection,
            min_size=min_size,
            max_size=max_size,
            kwargs={
                "autocommit": True,
                "client_encoding": "utf8",
                "prepare_threshold": None,
            },
            configure=self._configure,
            check=check_pooled,
            open=False,
            name="tmf683",
        )
        name = safe_location(conninfo)
        try:
            # One plain connection first: it fails fast, with libpq's own reason,
            # where the pool would retry quietly until its timeout.
            with psycopg.connect(
                conninfo,
                connect_timeout=max(1, round(connect_timeout)),
                client_encoding="utf8",
            ) as conn:
                # the upgrade reads what committed while it waited (see _configure)
                conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
                encoding = conn.info.parameter_status("server_encoding")
                if encoding != "UTF8":
                    raise StoreConfigurationError(
                        name,
                        f"has encoding {encoding}; tmf683 needs a UTF8 database "
                        "(CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)",
                    )
                prepare(conn, name)
            self._pool.open(wait=True, timeout=connect_timeout)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            self._pool.close()
            reason = " ".join(str(exc).split())
            message = f"cannot be used as a PostgreSQL store: {reason}"
            raise StoreConfigurationError(name, message) from exc
        except StoreConfigurationError:
            self._pool.close()
            raise

    def _configure(self, conn: Connection) -> None:
        """Set up a new pooled connection: frozen sessions must not keep locks.

        Its transactions (and single statements) run at ``READ COMMITTED``
        whatever the database's ``default_transaction_isolation``: the kept count's
        folds, the schema upgrade and the outbox's heads rely on each statement
        seeing what committed before it (a page read asks for its own snapshot).
        """
        conn.execute(
            "SELECT set_config('idle_in_transaction_session_timeout', %s, false), "
            "set_config('default_transaction_isolation', 'read committed', false)",
            [f"{round(self.idle_timeout * 1000)}ms"],
        )

    def transaction(
        self, wait: float | None = None
    ) -> AbstractContextManager[Connection]:
        """A connection inside a transaction, committed at the end of the block.

        Args:
            wait: seconds to wait for a free connection, at most
                ``wait_timeout`` (its default).

        Nested use on one thread shares the outer transaction: an outbox function
        that reads the subscriptions does so inside the write that calls it.

        Raises:
            StoreUnavailableError: the database cannot be reached, no connection
                freed up in ``wait_timeout``, or the session ended.
            ValidationError: a text PostgreSQL cannot hold (NUL), or one too long
                for its index.
        """
        return self._connection(wait, in_transaction=True)

    def statement(self) -> AbstractContextManager[Connection]:
        """A connection for one statement, outside a transaction (autocommit).

        A single statement sees one snapshot by itself: this saves the ``BEGIN``
        and ``COMMIT`` round trips of :meth:`transaction` (half of those of a read
        by id). Inside a :meth:`transaction` on the same thread, that
        transaction's connection. Raises as :meth:`transaction`.
        """
        return self._connection(None, in_transaction=False)

    @contextmanager
    def _connection(
        self, wait: float | None, *, in_transaction: bool
    ) -> Iterator[Connection]:
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        # the database is known to be unreachable: take a pooled connection if one
        # is there (it is checked), never wait for one that cannot be opened
        unreachable = self.unreachable
        timeout = self.wait_timeout if unreachable is None else 0.0
        if wait is not None:
            timeout = min(timeout, wait)
        try:
            with self._pool.connection(timeout=timeout) as conn:
                if not in_transaction:
                    yield conn
                    return
                self._local.conn = conn
                try:
                    with conn.transaction():
                        yield conn
                finally:
                    self._local.conn = None
        except pg_errors.UntranslatableCharacter as exc:
            raise ValidationError(
                [("$", "holds a NUL character (U+0000), which PostgreSQL refuses")]
            ) from exc
        except pg_errors.ProgramLimitExceeded as exc:
            # an id, status, direction or date text too long for its B-tree index
            message = " ".join(str(exc).split())
            raise ValidationError([("$", f"holds a text too long: {message}")]) from exc
        except psycopg_pool.PoolTimeout as exc:
            if unreachable is not None:
                raise StoreUnavailableError(
                    f"the database cannot be reached: {unreachable}"
                ) from exc
            raise StoreUnavailableError(" ".join(str(exc).split())) from exc
        except (
            psycopg.OperationalError,
            pg_errors.IdleInTransactionSessionTimeout,
        ) as exc:
            raise StoreUnavailableError(" ".join(str(exc).split())) from exc

    def close(self) -> None:
        """Close every connection."""
        self._pool.close()
