"""The SQLite store (see the package)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from tmf683._errors import (
    QueryTimeoutError,
    StoreConfigurationError,
    StoreUnavailableError,
)
from tmf683.query.ast import Query
from tmf683.query.regex import guarded
from tmf683.storage._deadline import Deadline
from tmf683.storage._sql import outbox as shared
from tmf683.storage._sql.compiler import Compiled, compile_query
from tmf683.storage._sql.tables import SELECTIVE_MATCHES, TABLE
from tmf683.storage.base import (
    DEFAULT_QUERY_TIMEOUT,
    Delivery,
    Page,
    Send,
    attempt_then_record,
)
from tmf683.storage.encoded import EncodedRows, SelectedRows, wire_rows
from tmf683.storage.sqlite._dialect import DIALECT, REGEXP, regexp
from tmf683.storage.sqlite._group import GroupCommit
from tmf683.storage.sqlite._schema import (
    SCHEMA_VERSION,
    NewerSchemaError,
    create_or_upgrade,
)
from tmf683.storage.sqlite._writer import SQLiteWrites

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


class SQLiteStore(SQLiteWrites):
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
        self._group = GroupCommit(self._db, self._write_lock)
        try:
            db = self._db()
            db.enable_wal()
            with self._transaction() as db:
                create_or_upgrade(db, str(self.path))
        except NewerSchemaError as exc:
            self.close()
            raise StoreConfigurationError(str(path), str(exc)) from exc
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
    def _read(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, outside a transaction (one statement)."""
        yield self._db().conn

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
