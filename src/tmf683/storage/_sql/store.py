"""The methods both SQL stores share: reads by id, subscriptions, the outbox.

``SQLStore`` is a base class: an engine's store supplies its dialect, its
transactions and its driver's integrity error; the SQL comes from
:mod:`tmf683.storage._sql.hub` (subscriptions) and :mod:`tmf683.storage._sql.outbox`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from tmf683._errors import ConflictError, NotFoundError, QueryTimeoutError
from tmf683.query.ast import Query
from tmf683.query.regex import guarded
from tmf683.storage._deadline import Deadline
from tmf683.storage._sql import documents, hub, outbox
from tmf683.storage._sql.compiler import Compiled
from tmf683.storage._sql.dialect import Connection, Dialect
from tmf683.storage._sql.tables import SUBSCRIPTIONS
from tmf683.storage.base import (
    SCAN_BATCH,
    SUBSCRIPTION,
    Delivery,
    Document,
    OutboxStats,
    VersionedDocument,
)


class SQLStore:
    """What a SQL store does the same on every engine (see the protocol).

    Subclasses set :attr:`dialect` and :attr:`integrity_error` and implement
    :meth:`_write`, :meth:`_read` and :meth:`_compile`.

    Attributes:
        dialect: the engine's rules.
        integrity_error: what the driver raises for a taken unique id.
        max_pending_per_callback: the most pending deliveries per callback; a
            write queueing more fails the oldest. ``None``: no limit.
        max_failed_per_callback: the most failed deliveries kept per callback;
            failing more deletes the oldest failed, in the same transaction.
            ``None``: no limit.
    """

    dialect: Dialect
    integrity_error: type[Exception]
    max_pending_per_callback: int | None = None
    max_failed_per_callback: int | None = None

    def _write(self) -> AbstractContextManager[Connection]:
        """A connection inside a write transaction, committed at the end."""
        raise NotImplementedError  # pragma: no cover

    def _read(self) -> AbstractContextManager[Connection]:
        """A connection for a read of one statement."""
        raise NotImplementedError  # pragma: no cover

    def _statement(self) -> AbstractContextManager[Connection]:
        """A connection for a read that is one statement and nothing else.

        :meth:`_read` unless the engine has a cheaper way (PostgreSQL: no
        transaction around it).
        """
        return self._read()

    query_timeout: float | None = None

    def _compile(self, conn: Connection, query: Query, deadline: Deadline) -> Compiled:
        """The query's filter, compiled on ``conn`` (inside its statement's read)."""
        raise NotImplementedError  # pragma: no cover

    def scan(
        self, query: Query, batch_size: int = SCAN_BATCH
    ) -> Iterator[list[Document]]:
        """Yield the matching documents in batches of ``seq``; see the protocol."""
        deadline = Deadline(self.query_timeout)
        after = 0
        while True:
            deadline.check()
            try:
                with self._read() as conn, guarded(deadline.check):
                    compiled = self._compile(conn, query, deadline)
                    rows = documents.batch_after(
                        self.dialect, conn, compiled, after, batch_size
                    )
            except QueryTimeoutError:
                raise
            except Exception as exc:
                # SQLite reports the deadline's check in its regex function as
                # the function's failure
                if deadline.expired():
                    raise QueryTimeoutError(deadline.timeout or 0.0) from exc
                raise
            if not rows:
                return
            after = rows[-1][0]
            yield [document for _, document in rows]
            if len(rows) < batch_size:
                return

    def _find_one(self, resource: str, table: str, id: str) -> Document:
        if self.dialect.can_hold(id):
            with self._read() as conn:
                found = hub.read_one(self.dialect, conn, table, id)
            if found is not None:
                return found
        raise NotFoundError(resource, id)

    def get(self, id: str) -> VersionedDocument:
        """Read one document with its version; see the protocol."""
        with self._statement() as conn:
            document, version = documents.read(self.dialect, conn, id)
        return VersionedDocument(document, version)

    def add_subscription(
        self, subscription: Document, *, limit: int | None = None
    ) -> None:
        """Store a hub subscription; see the protocol. Raises ConflictError."""
        try:
            with self._write() as conn:
                if limit is not None:
                    hub.check_room(self.dialect, conn, limit)
                hub.add_subscription(self.dialect, conn, subscription)
        except self.integrity_error as exc:
            if not self.dialect.taken_id(exc, SUBSCRIPTIONS):
                raise
            raise ConflictError(SUBSCRIPTION, subscription["id"]) from exc

    def get_subscription(self, id: str) -> Document:
        """Read a hub subscription; see the protocol. Raises NotFoundError."""
        return self._find_one(SUBSCRIPTION, SUBSCRIPTIONS, id)

    def delete_subscription(self, id: str) -> None:
        """Remove a hub subscription and its deliveries; see the protocol."""
        if self.dialect.can_hold(id):
            with self._write() as conn:
                if hub.delete_subscription(self.dialect, conn, id):
                    return
                raise NotFoundError(SUBSCRIPTION, id)
        raise NotFoundError(SUBSCRIPTION, id)

    def subscriptions(self) -> list[Document]:
        """Every hub subscription, in registration order."""
        with self._read() as conn:
            return hub.subscriptions(self.dialect, conn)

    def subscription_generation(self) -> int:
        """The subscriptions' generation, moved by triggers; see the protocol."""
        with self._read() as conn:
            return hub.generation(conn)

    def due_deliveries(self, now: float, limit: int = 100) -> list[Delivery]:
        """The oldest pending delivery per callback, when due; see the protocol."""
        with self._read() as conn:
            return outbox.due(self.dialect, conn, now, limit)

    def record_attempt(
        self,
        delivery_id: str,
        *,
        delivered: bool,
        next_attempt_at: float | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of an attempt; see the protocol."""
        with self._write() as conn:
            outbox.record(
                self.dialect,
                conn,
                delivery_id,
                delivered,
                next_attempt_at,
                error,
                self.max_failed_per_callback,
            )

    def failed_deliveries(self) -> list[Delivery]:
        """Deliveries that failed for good; see the protocol."""
        with self._read() as conn:
            return outbox.failed(self.dialect, conn)

    def outbox_stats(self) -> OutboxStats:
        """The outbox's counts and oldest pending event; see the protocol."""
        with self._read() as conn:
            return outbox.stats(self.dialect, conn)
