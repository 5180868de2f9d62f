"""The SQLite store (see the package)."""

from __future__ import annotations

import sqlite3
import threading
import time
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from tmf683._errors import (
    ConflictError,
    QueryTimeoutError,
    StoreConfigurationError,
    StoreUnavailableError,
)
from tmf683.query.ast import Query
from tmf683.query.regex import guarded
from tmf683.storage._deadline import Deadline
from tmf683.storage._sql import documents
from tmf683.storage._sql import documents as documents_sql
from tmf683.storage._sql import outbox as shared
from tmf683.storage._sql.compiler import Compiled, compile_query
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
    attempt_then_record,
    distinct_by_id,
)
from tmf683.storage.encoded import EncodedRows, SelectedRows, wire_rows
from tmf683.storage.sqlite._dialect import DIALECT, REGEXP, dumps, regexp
from tmf683.storage.sqlite._index import write_index
from tmf683.storage.sqlite._schema import SCHEMA_VERSION, create_or_upgrade

_BUSY_TIMEOUT_SECONDS = 30.0
# How long a delivery claimed for an attempt stays claimed: longer than an attempt
# lasts (the dispatcher cuts one off after its timeout, 10 s by default).
_CLAIM_SECONDS = 15.0


_CACHE_KIB = 8192
"""Each connection's page cache (``PRAGMA cache_size``; SQLite's default, 2,000 KiB,
let a 1000-item page and the ``count(*)`` of 100k rows push each other out)."""

_PROGRESS_STEPS = 1000
"""SQLite virtual machine steps between two looks at a query's deadline."""

SYNCHRONOUS_MODES = ("full", "normal")
"""The ``synchronous`` settings a :class:`SQLiteStore` takes (SQLite's PRAGMA)."""


class SQLiteStore(SQLStore):
    """PartyInteraction documents in one SQLite file.

    Implements :class:`tmf683.storage.base.PartyInteractionStore`.

    Args:
        path: the database file, created with its schema when missing; an older
            schema is upgraded in place.
        selective_matches: up to this many matches a page is read through the
            filter's index (see :meth:`find`); a tuning knob, default
            20 000.
        synchronous: ``"full"`` (the default: a write is acknowledged once it is
            on disk, so it survives a power loss, as on PostgreSQL) or ``"normal"``
            (faster; in WAL mode it survives a crash of the process, but the
            newest commits may be lost in a power loss).
        query_timeout: most seconds one list query (:meth:`find`) may run before
            it is stopped with :class:`~tmf683.QueryTimeoutError`; ``None`` for no
            deadline.

    Raises:
        StoreConfigurationError: when the file cannot be opened or created, is not a
            SQLite database, or has a newer schema than this tmf683 knows.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        selective_matches: int = SELECTIVE_MATCHES,
        synchronous: str = "full",
        query_timeout: float | None = DEFAULT_QUERY_TIMEOUT,
    ) -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise StoreConfigurationError(
                str(path),
                f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, "
                f"not {synchronous!r}",
            )
        self.synchronous = synchronous
        self.query_timeout = query_timeout
        self.dialect = DIALECT
        self.integrity_error = sqlite3.IntegrityError
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
            connection.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            connection.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            connection.create_function(REGEXP, 2, regexp, deterministic=True)
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

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """The shared methods' write transaction (see ``_transaction``)."""
        with self._transaction() as db:
            yield db.conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, outside a transaction (one statement)."""
        yield self._db().conn

    def add(self, document: Document, outbox: Outbox | None = None) -> None:
        """Store a new document; see the protocol. Raises ConflictError."""
        self.add_many([document], outbox)

    def add_many(
        self, documents: Sequence[Document], outbox: Outbox | None = None
    ) -> None:
        """Store several new documents in one transaction; see the protocol."""
        current = None
        texts = [dumps(document) for document in documents]  # before the lock
        try:
            with self._transaction() as db:
                written: list[tuple[int, Document]] = []  # leaves, all at once
                for current, text in zip(documents, texts, strict=True):
                    cursor = db.execute(
                        f"INSERT INTO {TABLE} (id, document) VALUES (?, ?)",  # noqa: S608
                        [current["id"], text],
                    )
                    written.append((typing.cast(int, cursor.lastrowid), current))
                    if outbox:
                        shared.insert_deliveries(
                            DIALECT,
                            db.conn,
                            outbox(None, current),
                            self.max_pending_per_callback,
                            self.max_failed_per_callback,
                        )
                write_index(db, written)  # all at once: fewer calls
        except sqlite3.IntegrityError as exc:
            if not DIALECT.taken_id(exc, TABLE):
                raise
            raise ConflictError(RESOURCE, str(current and current["id"])) from exc

    def put_many(self, documents: Sequence[Document], *, replace: bool = False) -> int:
        """Write documents by id in one transaction, no events; see the protocol."""
        chosen = distinct_by_id(documents, replace=replace)
        if not chosen:
            return 0
        written = 0
        with self._transaction() as db:
            stored = documents_sql.stored_rows(
                DIALECT, db.conn, [document["id"] for document in chosen]
            )
            replaced: list[tuple[int, Document]] = []
            former: list[tuple[int, Document]] = []  # what the replaced ones were
            written_rows: list[tuple[int, Document]] = []  # leaves, all at once
            for document in chosen:
                found = stored.get(document["id"])
                if found is None:
                    cursor = db.execute(
                        f"INSERT INTO {TABLE} (id, document) VALUES (?, ?)",  # noqa: S608
                        [document["id"], dumps(document)],
                    )
                    seq = typing.cast(int, cursor.lastrowid)
                elif replace:
                    seq = found[0]
                    replaced.append((seq, document))
                    former.append((seq, found[1]))
                else:
                    continue
                written_rows.append((seq, document))
                written += 1
            documents_sql.replace_rows(DIALECT, db.conn, replaced)
            write_index(db, written_rows, former)
        return written

    def update(
        self,
        id: str,
        change: DocumentChange,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> VersionedDocument:
        """Replace a document atomically; see the protocol and ``_sql.documents``.

        ``change`` runs first on a plain read, before the write lock, so that the
        lock is held for the SQL and the commit only; under the lock, the row is
        read again and, unless it is the same document at the same version (another
        write came between), ``change`` runs again on it, as it would without the
        first run. Any error of the first run is ignored: the run under the lock
        raises it (or succeeds, on a newer document).
        """
        ahead = documents.change_ahead(
            DIALECT, self._db().conn, id, change, expected_version
        )
        with self._transaction() as db:
            seq, current, version = documents.read_for_write(
                DIALECT, db.conn, id, expected_version
            )
            new = documents.change_again(DIALECT, ahead, version, current, change)
            version = documents.rewrite(DIALECT, db.conn, id, seq, version, new)
            write_index(db, [(seq, new)], [(seq, current)])
            if outbox:
                shared.insert_deliveries(
                    DIALECT,
                    db.conn,
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
        with self._transaction() as db:
            seq, old, version = documents.read_for_write(
                DIALECT, db.conn, id, expected_version
            )
            documents.remove(DIALECT, db.conn, id, seq, version)
            write_index(db, [], [(seq, old)])
            if outbox:
                shared.insert_deliveries(
                    DIALECT,
                    db.conn,
                    outbox(old, None),
                    self.max_pending_per_callback,
                    self.max_failed_per_callback,
                )
        return old

    def find(self, query: Query) -> Page:
        """Answer a list query in SQL; see the protocol and ``_sql.compiler``.

        The count comes first and picks the page query: up to
        ``selective_matches`` matches are found through the filter's index and
        then ordered; more are found by walking the requested order, which meets a
        page of them soon. Both run in one read transaction, so page and count agree.
        """
        rows, total = self._find_rows(query, "document", {})
        return Page([DIALECT.load_document(row[0]) for row in rows], total)

    def find_encoded(self, query: Query, omit: Sequence[str]) -> EncodedRows:
        """Answer a list query with the stored texts; see :mod:`tmf683.storage.encoded`.

        The texts are read as stored; the few that orjson would write otherwise,
        or that hold an ``omit`` key, are decoded
        (:func:`~tmf683.storage.encoded.wire_rows`). (SQLite's ``instr`` and
        ``json_remove`` were measured: looking for the texts in SQL costs 10 times
        as much as in Python.)
        """
        rows, total = self._find_rows(query, "id, CAST(document AS BLOB)", {})
        return EncodedRows(wire_rows([(row[0], row[1]) for row in rows], omit), total)

    def find_selected(self, query: Query, names: Sequence[str]) -> SelectedRows:
        """Answer a list query with first-level values as text (the protocol's).

        See :class:`~tmf683.storage.encoded.SelectingListStore`. One ``->`` per
        name (SQLite parses each text once per row for all of them), and the
        whole text beside them for the key order and the rows that need decoding
        (:func:`tmf683._listing.encode_selected`).
        """
        params: dict[str, Any] = {}

        def bind(value: Any) -> str:
            name = f"selected{len(params)}"
            params[name] = value
            return DIALECT.placeholder(name)

        values = [DIALECT.attribute_text(bind, "document", name) for name in names]
        select = ", ".join(["id", "CAST(document AS BLOB)", *values])
        rows, total = self._find_rows(query, select, params)
        return SelectedRows([(row[0], row[1], tuple(row[2:])) for row in rows], total)

    def _find_rows(
        self, query: Query, select: str, select_params: dict[str, Any]
    ) -> tuple[list[Any], int]:
        """The page's rows of the SQL expressions ``select``, and the count."""
        compiled = compile_query(query, DIALECT)
        db = self._db()
        timeout = self.query_timeout
        deadline = Deadline(timeout)
        if deadline.at is not None:
            at = deadline.at
            db.conn.set_progress_handler(lambda: time.monotonic() > at, _PROGRESS_STEPS)
        db.execute("BEGIN")
        try:
            with guarded(deadline.check):
                (total,) = db.execute(compiled.count, compiled.params).fetchone()
                rows = []
                if total > query.offset and query.limit != 0:
                    page = self._page(query, total)
                    rows = db.execute(
                        self._page_sql(page, total, select),
                        {
                            **select_params,
                            **page.params,
                            "limit": -1 if query.limit is None else query.limit,
                            "offset": query.offset,
                        },
                    ).fetchall()
        except sqlite3.OperationalError as exc:
            # interrupted by the progress handler, or by the deadline's check in
            # the regex function (which SQLite reports as the function's failure)
            if timeout is not None and (
                "interrupted" in str(exc) or deadline.expired()
            ):
                raise QueryTimeoutError(timeout) from exc
            raise
        finally:
            db.conn.set_progress_handler(None, 0)
            if db.conn.in_transaction:
                db.execute("COMMIT")
        return rows, total

    def _compile(self, conn: Any, query: Query, deadline: Deadline) -> Compiled:
        """The filter in SQLite's SQL (regex by its function, no lookup needed)."""
        return compile_query(query, DIALECT)

    def _page(self, query: Query, total: int) -> Compiled:
        """The compilation for the page: dense when the matches are many."""
        return compile_query(query, DIALECT, dense=total > self.selective_matches)

    def _page_sql(
        self, compiled: Compiled, total: int, select: str = "document"
    ) -> str:
        """The page query, with ``:limit`` and ``:offset`` placeholders.

        Few matches (a filter, at most ``selective_matches``) are collected
        through the filter's indexes, then ordered. Otherwise the walk in the
        requested order selects the page's ``seq`` alone, then only the page's
        rows are read: the rows an ``OFFSET`` skips come from an index where one
        answers (no filter, creation order: ``_schema.SEQ_INDEX``; 1M rows, offset
        500,000: 151 -> 5 ms), not from the table's pages.
        """
        if compiled.where and total <= self.selective_matches:
            matches = f"SELECT seq FROM {TABLE} {compiled.where}"  # noqa: S608
            return (
                f"SELECT {select} FROM {TABLE} WHERE seq IN ({matches}) "  # noqa: S608
                f"{compiled.order_by} LIMIT :limit OFFSET :offset"
            )
        page = (
            f"SELECT seq FROM {TABLE} {compiled.where} "  # noqa: S608 - see _sql
            f"{compiled.order_by} LIMIT :limit OFFSET :offset"
        )
        return (
            f"SELECT {select} FROM {TABLE} WHERE seq IN ({page}) "  # noqa: S608
            f"{compiled.order_by}"
        )

    def explain(self, query: Query) -> list[str]:
        """Describe how SQLite answers a list query (``EXPLAIN QUERY PLAN``).

        Args:
            query: the parsed query.

        Returns:
            One line per plan step, for the page query then the count query; lines
            with ``USING INDEX`` or ``USING COVERING INDEX`` show index use.
        """
        compiled = compile_query(query, DIALECT)
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

    claim_seconds: float = _CLAIM_SECONDS
    """How long a claimed delivery is not due for any other dispatcher."""

    def attempt_delivery(self, delivery: Delivery, now: float, send: Send) -> bool:
        """Claim a delivery, attempt it and record it; see the protocol.

        The claim (its due time pushed ``claim_seconds`` ahead, committed before
        the send) keeps any other dispatcher on the file, in this process or
        another, from sending it or the next one to its callback meanwhile; if
        this process dies mid-attempt, the delivery is due again when the claim
        ends, and sent again with the same ``eventId``.
        """
        with self._write() as conn:
            claimed = shared.claim(
                DIALECT, conn, delivery.id, now, now + self.claim_seconds
            )
        if not claimed:
            return False
        return attempt_then_record(self, delivery, send)

    def check_ready(self, timeout: float) -> None:
        """Open the file anew, read-only, and check its schema version.

        A connection of its own, closed at once: it sees the file a process
        starting now would (one moved away, replaced or damaged since this
        store opened it fails), and the probe's threads leave no connection
        behind. It waits ``timeout`` seconds at most for a lock.

        Raises:
            StoreUnavailableError: the file cannot be opened or read, or has
                another schema version than ``SCHEMA_VERSION``.
        """
        uri = self.path.absolute().as_uri() + "?mode=ro"
        try:
            connection = sqlite3.connect(
                uri, uri=True, timeout=timeout, check_same_thread=False
            )
            try:
                shared.check_schema(
                    connection, "PRAGMA user_version", SCHEMA_VERSION, str(self.path)
                )
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"{self.path} cannot be read: {exc}") from exc

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
