"""The PostgreSQL store (see the package)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from psycopg import errors as pg_errors

from tmf683._errors import (
    ConflictError,
    ValidationError,
)
from tmf683.query.ast import Query
from tmf683.storage import safe_location
from tmf683.storage._deadline import Deadline
from tmf683.storage._sql import documents
from tmf683.storage._sql import outbox as shared
from tmf683.storage._sql.compiler import Compiled
from tmf683.storage._sql.store import SQLStore
from tmf683.storage._sql.tables import SELECTIVE_MATCHES, TABLE
from tmf683.storage.base import (
    DEFAULT_QUERY_TIMEOUT,
    RESOURCE,
    Delivery,
    Document,
    DocumentChange,
    ExpectedVersion,
    Outbox,
    Page,
    Send,
    VersionedDocument,
    distinct_by_id,
)
from tmf683.storage.encoded import EncodedRows, wire_rows
from tmf683.storage.postgres import _index as index
from tmf683.storage.postgres import _outbox as events
from tmf683.storage.postgres._bulk import put_rows
from tmf683.storage.postgres._connections import Connection, Connections
from tmf683.storage.postgres._dialect import DIALECT, read_text, wire_text
from tmf683.storage.postgres._read import (
    SELECTIVE_SHARE,
    compile_filter,
    count,
    find_rows,
    page_sql,
    table_rows,
)
from tmf683.storage.postgres._ready import check_ready
from tmf683.storage.postgres._rows import delete_leaves
from tmf683.storage.postgres._schema import create_or_upgrade


class PostgresStore(SQLStore):
    """PartyInteraction documents in a PostgreSQL database (psycopg 3).

    Implements :class:`tmf683.storage.base.PartyInteractionStore`. Any number of
    processes, on any number of hosts, may open the same database at once.

    Args:
        conninfo: a libpq connection string or URL, e.g.
            ``postgresql://tmf683@db.example.com:5432/tmf683``. Tables go in the
            connection's schema (``?options=-csearch_path%3Dmyschema`` picks one).
        min_connections: connections the pool keeps open.
        max_connections: most connections the pool opens; a request thread holds
            one per operation and a dispatcher worker one per delivery attempt.
        connect_timeout: seconds to wait for the first connection.
        wait_timeout: seconds an operation waits for a free pooled connection.
        attempt_timeout: seconds a delivery attempt may hold its row lock while the
            process does nothing on its connection (it is sending); past that,
            PostgreSQL ends the session, which frees the delivery for another
            dispatcher even when this process is frozen. Keep it above the
            dispatcher's send timeout (10 seconds by default).
        selective_matches: up to this many matches (and a tenth of the table,
            ``selective_share``) a page is collected through
            the filter's indexes (see :meth:`find`); a tuning knob.
        query_timeout: most seconds one list query (:meth:`find`) may run, in
            PostgreSQL (its ``statement_timeout``) and in this process (the
            ``regex`` matching): past it the query stops with
            :class:`~tmf683.QueryTimeoutError`; ``None`` for no deadline.

    Operations raise :class:`~tmf683._errors.StoreUnavailableError` when the
    database cannot be reached or no connection frees up in ``wait_timeout``; a
    pooled connection is checked before each use (a round trip only when its
    socket has something to read), so one broken by a database restart is
    replaced instead of failing an operation.

    Raises:
        StoreConfigurationError: the database cannot be reached, or has a newer
            tmf683 schema than this version knows.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        min_connections: int = 1,
        max_connections: int = 32,
        connect_timeout: float = 10.0,
        wait_timeout: float = 10.0,
        attempt_timeout: float = 60.0,
        selective_matches: int = SELECTIVE_MATCHES,
        query_timeout: float | None = DEFAULT_QUERY_TIMEOUT,
    ) -> None:
        self.dialect = DIALECT
        self.query_timeout = query_timeout
        self.integrity_error = pg_errors.UniqueViolation
        self.conninfo = conninfo
        self.wait_timeout = wait_timeout
        self.attempt_timeout = attempt_timeout
        self.selective_matches = selective_matches
        self.selective_share = SELECTIVE_SHARE
        self._connections = Connections(
            conninfo,
            min_size=min_connections,
            max_size=max_connections,
            connect_timeout=connect_timeout,
            wait_timeout=wait_timeout,
            idle_timeout=attempt_timeout,
            prepare=create_or_upgrade,
        )

    def _write(self) -> AbstractContextManager[Connection]:
        """A connection inside a transaction (see ``_connections``)."""
        return self._connections.transaction()

    def _read(self) -> AbstractContextManager[Connection]:
        """A connection inside a transaction: reads are transactions too."""
        return self._connections.transaction()

    def _statement(self) -> AbstractContextManager[Connection]:
        """A connection outside a transaction, for a read by id (one statement)."""
        return self._connections.statement()

    def add(self, document: Document, outbox: Outbox | None = None) -> None:
        """Store a new document; see the protocol. Raises ConflictError."""
        self.add_many([document], outbox)

    def add_many(
        self, documents: Sequence[Document], outbox: Outbox | None = None
    ) -> None:
        """Store several new documents in one transaction; see the protocol."""
        if not documents:
            return
        ids = [document["id"] for document in documents]
        if not all(DIALECT.can_hold(id) for id in ids):
            raise ValidationError(
                [("$.id", "holds a NUL character or an unpaired surrogate")]
            )
        repeated = [id for id, count in Counter(ids).items() if count > 1]
        if repeated:
            raise ConflictError(RESOURCE, repeated[0])
        try:
            with self._write() as conn:
                index.insert(conn, documents)
                if outbox:  # one call: it locks the heads in callback order
                    shared.insert_deliveries(
                        DIALECT,
                        conn,
                        [d for document in documents for d in outbox(None, document)],
                        self.max_pending_per_callback,
                        self.max_failed_per_callback,
                    )
        except pg_errors.UniqueViolation as exc:
            if not DIALECT.taken_id(exc, TABLE):
                raise
            taken = (exc.diag.message_detail or "").partition("=(")[2].rpartition(")")
            raise ConflictError(RESOURCE, taken[0] or ",".join(ids)) from exc

    def put_many(self, documents: Sequence[Document], *, replace: bool = False) -> int:
        """Write documents by id in one transaction, no events; see the protocol.

        The stored rows of the ids are locked first (``FOR UPDATE``); new rows go
        in by ``COPY``, replaced ones by ``COPY`` to a staging table and one
        ``UPDATE``, with ``synchronous_commit`` off for the transaction (see
        ``_bulk``).

        Raises:
            ConflictError: another writer added one of the new ids meanwhile
                (or was adding them in another order: PostgreSQL failed one of
                the two, ``deadlock detected``); nothing is written.
        """
        chosen = distinct_by_id(documents, replace=replace)
        if not chosen:
            return 0
        if not all(DIALECT.can_hold(document["id"]) for document in chosen):
            raise ValidationError(
                [("$.id", "holds a NUL character or an unpaired surrogate")]
            )
        try:
            with self._write() as conn:
                return put_rows(conn, chosen, replace=replace)
        except pg_errors.UniqueViolation as exc:
            if not DIALECT.taken_id(exc, TABLE):
                raise
            raise ConflictError(RESOURCE, ",".join(d["id"] for d in chosen)) from exc

    def update(
        self,
        id: str,
        change: DocumentChange,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> VersionedDocument:
        """Replace a document atomically; see the protocol and ``_sql.documents``.

        The row stays locked (``SELECT ... FOR UPDATE``) from the version check to
        the commit; the document and the rows of it that changed go in one
        statement (``_index.rewrite``). ``change`` gets a copy of the stored
        document (its wire text read again: cheaper than ``copy.deepcopy``).
        """
        with self._write() as conn:
            seq, current, version = documents.read_for_write(
                DIALECT, conn, id, expected_version
            )
            new = change(read_text(wire_text(current)))
            version = index.rewrite(conn, id, seq, version, current, new)
            if outbox:
                shared.insert_deliveries(
                    DIALECT,
                    conn,
                    outbox(current, new),
                    self.max_pending_per_callback,
                    self.max_failed_per_callback,
                )
        return VersionedDocument(new, version)

    def delete(
        self,
        id: str,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> Document:
        """Remove a document; see the protocol and ``_sql.documents``."""
        with self._write() as conn:
            seq, old, version = documents.read_for_write(
                DIALECT, conn, id, expected_version
            )
            documents.remove(DIALECT, conn, id, seq, version)
            delete_leaves(conn, [seq])
            if outbox:
                shared.insert_deliveries(
                    DIALECT,
                    conn,
                    outbox(old, None),
                    self.max_pending_per_callback,
                    self.max_failed_per_callback,
                )
        return old

    def find(self, query: Query) -> Page:
        """Answer a list query in SQL; see the protocol and ``_sql.compiler``.

        The count, the page and the texts a ``regex`` accepts come from one
        snapshot, so they agree with each other. The count also picks the page
        query: up to ``selective_matches`` matches are collected through the
        filter's indexes first and then ordered; more are found by walking the
        requested order, which meets a page of them soon. (Left to itself, the
        planner may walk the creation order looking for matches that all sit at
        its far end, such as the newest 1 %.)
        """
        rows, total = self._find_rows(query)
        return Page([read_text(text) for _, text in rows], total)

    def find_encoded(self, query: Query, omit: Sequence[str]) -> EncodedRows:
        """Answer a list query with the stored wire texts (``document_text``).

        Each row's text is :func:`tmf683.encode_json`'s, written beside the
        ``jsonb`` by every write (schema version 8), so it goes on as it is
        unless it holds an ``omit`` key
        (:func:`~tmf683.storage.encoded.wire_rows` with ``wire=True``); the
        ``jsonb`` column serves the filters and sorts only.
        """
        rows, total = self._find_rows(query)
        return EncodedRows(
            wire_rows([(id, text.encode()) for id, text in rows], omit, wire=True),
            total,
        )

    def _find_rows(self, query: Query) -> tuple[list[tuple[str, str]], int]:
        """The page's ``(id, document_text)`` rows and the count."""
        with self._write() as conn:
            return find_rows(conn, query, self.query_timeout, self._page_sql)

    def _compile(self, conn: Any, query: Query, deadline: Deadline) -> Compiled:
        """The filter in PostgreSQL's SQL, its ``regex`` texts looked up on ``conn``."""
        return compile_filter(conn, query, deadline.at)

    def _page_sql(self, conn: Connection, compiled: Compiled, total: int) -> str:
        return page_sql(
            compiled,
            total,
            table_rows(conn),
            self.selective_matches,
            self.selective_share,
        )

    def explain(self, query: Query) -> list[str]:
        """Describe how PostgreSQL answers a list query's page (``EXPLAIN``).

        Args:
            query: the parsed query.

        Returns:
            The plan's lines for a page of 100; ``Index`` and ``Bitmap`` lines show
            index use.
        """
        with self._write() as conn:
            compiled, total = count(conn, query)
            rows = conn.execute(
                f"EXPLAIN {self._page_sql(conn, compiled, total)}",
                {**compiled.params, "limit": 100, "offset": 0},
            ).fetchall()
        return [row[0] for row in rows]

    def due_deliveries(self, now: float, limit: int = 100) -> list[Delivery]:
        """The oldest pending delivery per callback, when due and not being sent."""
        with self._write() as conn:
            return events.due(conn, now, limit)

    def attempt_delivery(self, delivery: Delivery, now: float, send: Send) -> bool:
        """Attempt a delivery under its row lock and record it; see the protocol.

        The transaction holding the lock stays open while ``send`` runs, so no
        other dispatcher sends the delivery, or the next one to its callback, until
        the outcome is written; if this process dies, the lock goes with it.
        """
        with self._write() as conn:  # its session ends if idle attempt_timeout
            locked = events.lock_if_due(conn, delivery.id, now)
            if locked is None:
                return False
            outcome = send(locked)
            shared.record(
                DIALECT,
                conn,
                locked.id,
                outcome.delivered,
                outcome.next_attempt_at,
                outcome.error,
                self.max_failed_per_callback,
            )
        return True

    def check_ready(self, timeout: float) -> None:
        """Read the schema version on a pooled connection within ``timeout`` seconds.

        The wait for a connection and the statement (its ``statement_timeout``)
        are each bounded by ``timeout``.

        Raises:
            StoreUnavailableError: no connection in time, the database does not
                answer in time or answers with an error, or it has another
                schema version than ``SCHEMA_VERSION``.
        """
        check_ready(self._connections, safe_location(self.conninfo), timeout)

    def close(self) -> None:
        """Close the pool's connections."""
        self._connections.close()
