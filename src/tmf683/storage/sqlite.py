"""The embedded default store: one SQLite file, through sqlite-utils.

Each document is one row of ``party_interaction`` (``seq`` gives the creation order,
``id`` is unique, ``document`` is the JSON text), with indexed generated columns for
the attributes lists filter most and a side table for ids inside arrays (see
``tmf683.storage._sqlite_schema``). The database runs in WAL mode so readers never
wait for the writer; each thread gets its own connection, so the store is safe under
waitress's worker threads. Writes are single transactions (``BEGIN IMMEDIATE``): a
failed write leaves nothing behind.

Durability: ``synchronous=NORMAL`` in WAL mode survives a crash of the process (and
``kill -9``) without losing a committed write; after a power loss the newest commits
may be missing but the file is never corrupt.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from tmf683._errors import ConflictError, NotFoundError, StoreConfigurationError
from tmf683.query.ast import Query
from tmf683.query.regex import search
from tmf683.storage import _sqlite_events as events
from tmf683.storage._sql import Compiled, compile_query
from tmf683.storage._sqlite_schema import (
    SCHEMA_VERSION,
    TABLE,
    create_or_upgrade,
    delete_references,
    insert_references,
)
from tmf683.storage.base import (
    Delivery,
    Document,
    DocumentChange,
    Outbox,
    Page,
    Send,
    attempt_then_record,
)

__all__ = ["SCHEMA_VERSION", "SELECTIVE_MATCHES", "SQLiteStore"]

_RESOURCE = "PartyInteraction"
_SUBSCRIPTION = "EventSubscription"

SELECTIVE_MATCHES = 20_000
"""Up to this many matches, a page is read through the filter's index, then sorted."""
_BUSY_TIMEOUT_SECONDS = 30.0


def _dumps(document: Document) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _regexp(pattern: str, value: object) -> int:
    return int(search(pattern, value))


class SQLiteStore:
    """PartyInteraction documents in one SQLite file.

    Implements :class:`tmf683.storage.base.PartyInteractionStore`.

    Args:
        path: the database file, created with its schema when missing; an older
            schema is upgraded in place.
        selective_matches: up to this many matches a page is read through the
            filter's index (see :meth:`find`); a tuning knob, default
            :data:`SELECTIVE_MATCHES`.

    Raises:
        StoreConfigurationError: when the file cannot be opened or created, is not a
            SQLite database, or has a newer schema than this tmf683 knows.
    """

    def __init__(
        self, path: str | Path, *, selective_matches: int = SELECTIVE_MATCHES
    ) -> None:
        self.path = Path(path)
        self.selective_matches = selective_matches
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        try:
            db = self._db()
            db.enable_wal()
            with self._transaction() as db:
                create_or_upgrade(db, str(self.path))
        except sqlite3.Error as exc:
            self.close()
            raise StoreConfigurationError(
                str(path), f"cannot be opened as a SQLite database: {exc}"
            ) from exc

    def _db(self) -> sqlite_utils.Database:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=_BUSY_TIMEOUT_SECONDS,
            )
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.create_function("tmf683_regexp", 2, _regexp, deterministic=True)
            db = sqlite_utils.Database(connection)
            with self._lock:
                self._connections.append(connection)
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction; this process's writers queue on a lock first.

        SQLite's own busy handler polls with growing sleeps, which gave writes under
        load a tail latency of hundreds of milliseconds.
        """
        db = self._db()
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _read(self, db: sqlite_utils.Database, id: str) -> tuple[int, Document]:
        row = db.execute(
            f"SELECT seq, document FROM {TABLE} WHERE id = ?",  # noqa: S608 - constant
            [id],
        ).fetchone()
        if row is None:
            raise NotFoundError(_RESOURCE, id)
        document: Document = json.loads(row[1])
        return row[0], document

    def add(self, document: Document, outbox: Outbox | None = None) -> None:
        """Store a new document; see the protocol. Raises ConflictError."""
        self.add_many([document], outbox)

    def add_many(
        self, documents: Sequence[Document], outbox: Outbox | None = None
    ) -> None:
        """Store several new documents in one transaction; see the protocol."""
        current = None
        try:
            with self._transaction() as db:
                for current in documents:
                    cursor = db.execute(
                        f"INSERT INTO {TABLE} (id, document) VALUES (?, ?)",  # noqa: S608
                        [current["id"], _dumps(current)],
                    )
                    insert_references(db, typing.cast(int, cursor.lastrowid), current)
                    if outbox:
                        events.insert_deliveries(db, outbox(None, current))
        except sqlite3.IntegrityError as exc:
            raise ConflictError(_RESOURCE, str(current and current["id"])) from exc

    def get(self, id: str) -> Document:
        """Read one document; see the protocol. Raises NotFoundError."""
        return self._read(self._db(), id)[1]

    def update(
        self, id: str, change: DocumentChange, outbox: Outbox | None = None
    ) -> Document:
        """Replace a document atomically; see the protocol. Raises NotFoundError."""
        with self._transaction() as db:
            seq, current = self._read(db, id)
            delete_references(db, seq, current)
            new = change(json.loads(_dumps(current)))
            db.execute(
                f"UPDATE {TABLE} SET document = ? WHERE seq = ?",  # noqa: S608
                [_dumps(new), seq],
            )
            insert_references(db, seq, new)
            if outbox:
                events.insert_deliveries(db, outbox(current, new))
        return new

    def delete(self, id: str, outbox: Outbox | None = None) -> Document:
        """Remove a document; see the protocol. Raises NotFoundError."""
        with self._transaction() as db:
            seq, old = self._read(db, id)
            db.execute(f"DELETE FROM {TABLE} WHERE seq = ?", [seq])  # noqa: S608
            delete_references(db, seq, old)
            if outbox:
                events.insert_deliveries(db, outbox(old, None))
        return old

    def find(self, query: Query) -> Page:
        """Answer a list query in SQL; see the protocol and ``tmf683.storage._sql``.

        The count comes first and picks the page query: up to
        ``selective_matches`` matches are found through the filter's index and
        then ordered; more are found by walking the requested order, which meets a
        page of them soon. Both run in one read transaction, so page and count agree.
        """
        compiled = compile_query(query)
        db = self._db()
        db.execute("BEGIN")
        try:
            (total,) = db.execute(compiled.count, compiled.params).fetchone()
            rows = []
            if total > query.offset and query.limit != 0:
                page = self._page(query, total)
                rows = db.execute(
                    self._page_sql(page, total),
                    {
                        **page.params,
                        "limit": -1 if query.limit is None else query.limit,
                        "offset": query.offset,
                    },
                ).fetchall()
        finally:
            db.execute("COMMIT")
        return Page([json.loads(row[0]) for row in rows], total)

    def _page(self, query: Query, total: int) -> Compiled:
        """The compilation for the page: dense when the matches are many."""
        return compile_query(query, dense=total > self.selective_matches)

    def _page_sql(self, compiled: Compiled, total: int) -> str:
        if compiled.where and total <= self.selective_matches:
            matches = f"SELECT seq FROM {TABLE} {compiled.where}"  # noqa: S608
            return (
                f"SELECT document FROM {TABLE} WHERE seq IN ({matches}) "  # noqa: S608
                f"{compiled.order_by} LIMIT :limit OFFSET :offset"
            )
        return (
            f"SELECT document FROM {TABLE} {compiled.where} "  # noqa: S608 - see _sql
            f"{compiled.order_by} LIMIT :limit OFFSET :offset"
        )

    def explain(self, query: Query) -> list[str]:
        """Describe how SQLite answers a list query (``EXPLAIN QUERY PLAN``).

        Args:
            query: the parsed query.

        Returns:
            One line per plan step, for the page query then the count query; lines
            with ``USING INDEX`` or ``USING COVERING INDEX`` show index use.
        """
        compiled = compile_query(query)
        db = self._db()
        (total,) = db.execute(compiled.count, compiled.params).fetchone()
        lines: list[str] = []
        params = {**compiled.params, "limit": 100, "offset": 0}
        page = self._page(query, total)
        for sql, values in (
            (self._page_sql(page, total), {**page.params, "limit": 100, "offset": 0}),
            (compiled.count, params),
        ):
            plan = db.execute(f"EXPLAIN QUERY PLAN {sql}", values).fetchall()
            lines += [row[-1] for row in plan]
        return lines

    def add_subscription(self, subscription: Document) -> None:
        """Store a hub subscription; see the protocol."""
        try:
            with self._transaction() as db:
                db.execute(
                    f"INSERT INTO {events.SUBSCRIPTIONS} (id, document) VALUES (?, ?)",  # noqa: S608
                    [subscription["id"], _dumps(subscription)],
                )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(_SUBSCRIPTION, subscription["id"]) from exc

    def get_subscription(self, id: str) -> Document:
        """Read a hub subscription; see the protocol."""
        row = (
            self._db()
            .execute(
                f"SELECT document FROM {events.SUBSCRIPTIONS} WHERE id = ?",  # noqa: S608
                [id],
            )
            .fetchone()
        )
        if row is None:
            raise NotFoundError(_SUBSCRIPTION, id)
        subscription: Document = json.loads(row[0])
        return subscription

    def delete_subscription(self, id: str) -> None:
        """Remove a hub subscription and its pending deliveries; see the protocol."""
        with self._transaction() as db:
            cursor = db.execute(
                f"DELETE FROM {events.SUBSCRIPTIONS} WHERE id = ?",  # noqa: S608
                [id],
            )
            if cursor.rowcount == 0:
                raise NotFoundError(_SUBSCRIPTION, id)
            db.execute(
                f"DELETE FROM {events.DELIVERIES} WHERE subscription_id = ?",  # noqa: S608
                [id],
            )

    def subscriptions(self) -> list[Document]:
        """Every hub subscription, in registration order."""
        return events.subscription_rows(self._db())

    def due_deliveries(self, now: float, limit: int = 100) -> list[Delivery]:
        """The oldest pending delivery per callback, when due; see the protocol."""
        return events.due(self._db(), now, limit)

    def record_attempt(
        self,
        delivery_id: str,
        *,
        delivered: bool,
        next_attempt_at: float | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of an attempt; see the protocol."""
        with self._transaction() as db:
            events.record(db, delivery_id, delivered, next_attempt_at, error)

    def attempt_delivery(self, delivery: Delivery, now: float, send: Send) -> bool:
        """Attempt a delivery and record it; see the protocol (one process only)."""
        return attempt_then_record(self, delivery, send)

    def failed_deliveries(self) -> list[Delivery]:
        """Deliveries that failed for good; see the protocol."""
        return events.failed(self._db())

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
