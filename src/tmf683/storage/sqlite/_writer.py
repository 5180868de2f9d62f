"""The SQLite store's writes: its transactions and the document writes.

Creates, updates and deletes go through the store's ``GroupCommit``: writers
of one process that meet share a transaction, each under its own savepoint (see
``tmf683.storage.sqlite._group``). The other writes (``put_many``, the
subscriptions, the deliveries' claims and records) keep a transaction each.
"""

from __future__ import annotations

import sqlite3
import threading
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlite_utils

from tmf683._errors import ConflictError
from tmf683.storage._sql import documents as documents_sql
from tmf683.storage._sql import outbox as shared
from tmf683.storage._sql.store import SQLStore
from tmf683.storage._sql.tables import TABLE
from tmf683.storage.base import (
    RESOURCE,
    Document,
    DocumentChange,
    ExpectedVersion,
    Outbox,
    VersionedDocument,
    distinct_by_id,
)
from tmf683.storage.sqlite._dialect import DIALECT, dumps
from tmf683.storage.sqlite._group import GroupCommit, rollback
from tmf683.storage.sqlite._index import write_index


class SQLiteWrites(SQLStore):
    """The write half of :class:`~tmf683.SQLiteStore` (see there and the protocol).

    The store sets ``_write_lock`` and ``_group`` and gives ``_db``.
    """

    _write_lock: threading.Lock
    _group: GroupCommit

    def _db(self) -> sqlite_utils.Database:
        """This thread's connection (the store's)."""
        raise NotImplementedError

    @contextmanager
    def _transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction of its own; this process's writers queue on a lock.

        SQLite's own busy handler polls with growing sleeps, which gave writes under
        load a tail latency of hundreds of milliseconds. A failed ``COMMIT`` (which
        may leave SQLite's transaction open) and a statement that ended the
        transaction itself are rolled back as the group commit's are, so the
        caller gets the first error and the connection is left outside any
        transaction.
        """
        db = self._db()
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                rollback(db)
                raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """The shared methods' write transaction (see ``_transaction``)."""
        with self._transaction() as db:
            yield db.conn

    def _deliveries(
        self,
        db: sqlite_utils.Database,
        outbox: Outbox | None,
        old: Document | None,
        new: Document | None,
    ) -> None:
        """Queue the write's events (inside its transaction or savepoint)."""
        if outbox:
            shared.insert_deliveries(
                DIALECT,
                db.conn,
                outbox(old, new),
                self.max_pending_per_callback,
                self.max_failed_per_callback,
            )

    def add(self, document: Document, outbox: Outbox | None = None) -> None:
        """Store a new document; see the protocol. Raises ConflictError."""
        self.add_many([document], outbox)

    def add_many(
        self, documents: Sequence[Document], outbox: Outbox | None = None
    ) -> None:
        """Store several new documents in one transaction; see the protocol.

        The transaction may be shared with other threads' writes (group commit).
        """
        texts = [dumps(document) for document in documents]  # before the lock

        def work(db: sqlite_utils.Database) -> None:
            current = None
            written: list[tuple[int, Document]] = []  # leaves, all at once
            try:
                for current, text in zip(documents, texts, strict=True):
                    cursor = db.execute(
                        f"INSERT INTO {TABLE} (id, document) VALUES (?, ?)",  # noqa: S608
                        [current["id"], text],
                    )
                    written.append((typing.cast(int, cursor.lastrowid), current))
                    self._deliveries(db, outbox, None, current)
            except sqlite3.IntegrityError as exc:
                if not DIALECT.taken_id(exc, TABLE):
                    raise
                raise ConflictError(RESOURCE, str(current and current["id"])) from exc
            write_index(db, written)  # all at once: fewer calls

        self._group.run(work)

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
        write came between, maybe one earlier in the same group), ``change`` runs
        again on it, as it would without the first run (then on the group leader's
        thread). Any error of the first run is ignored: the run under the lock
        raises it (or succeeds, on a newer document).
        """
        ahead = documents_sql.change_ahead(
            DIALECT, self._db().conn, id, change, expected_version
        )

        def work(db: sqlite_utils.Database) -> VersionedDocument:
            seq, current, version = documents_sql.read_for_write(
                DIALECT, db.conn, id, expected_version
            )
            new = documents_sql.change_again(DIALECT, ahead, version, current, change)
            version = documents_sql.rewrite(DIALECT, db.conn, id, seq, version, new)
            write_index(db, [(seq, new)], [(seq, current)])
            self._deliveries(db, outbox, current, new)
            return VersionedDocument(new, version)

        return self._group.run(work)

    def delete(
        self,
        id: str,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> Document:
        """Remove a document; see the protocol and ``_sql.documents``."""

        def work(db: sqlite_utils.Database) -> Document:
            seq, old, version = documents_sql.read_for_write(
                DIALECT, db.conn, id, expected_version
            )
            documents_sql.remove(DIALECT, db.conn, id, seq, version)
            write_index(db, [], [(seq, old)])
            self._deliveries(db, outbox, old, None)
            return old

        return self._group.run(work)
