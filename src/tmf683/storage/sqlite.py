"""The embedded default store: one SQLite file, through sqlite-utils.

Each document is one row of ``party_interaction`` (``seq`` gives the creation order,
``id`` is unique, ``document`` is the JSON text). The database runs in WAL mode so
readers never wait for the writer; each thread gets its own connection, so the store
is safe under waitress's worker threads. Writes are single transactions
(``BEGIN IMMEDIATE``): a failed write leaves nothing behind.

Durability: ``synchronous=NORMAL`` in WAL mode survives a crash of the process (and
``kill -9``) without losing a committed write; after a power loss the newest commits
may be missing but the file is never corrupt.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from tmf683.errors import ConflictError, NotFoundError, StoreConfigurationError
from tmf683.query.ast import Query
from tmf683.storage._sql import order_by, where
from tmf683.storage.base import Document, DocumentChange, Page

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 1
"""Stored in ``PRAGMA user_version``; a later release migrates from it."""

_RESOURCE = "PartyInteraction"
_TABLE = "party_interaction"
_BUSY_TIMEOUT_SECONDS = 30.0


def _dumps(document: Document) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


class SQLiteStore:
    """PartyInteraction documents in one SQLite file.

    Implements :class:`tmf683.storage.base.PartyInteractionStore`.

    Args:
        path: the database file, created with its schema when missing.

    Raises:
        StoreConfigurationError: when the file cannot be opened or created, is not a
            SQLite database, or has a newer schema than this tmf683 knows.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self._create_schema()
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
            db = sqlite_utils.Database(connection)
            with self._lock:
                self._connections.append(connection)
            self._local.db = db
        return db

    def _create_schema(self) -> None:
        db = self._db()
        db.enable_wal()
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"{self.path} has schema version {version}; this tmf683 knows "
                    f"{SCHEMA_VERSION}: upgrade tmf683"
                )
            db.table(_TABLE).create(
                {"seq": int, "id": str, "document": str},
                pk="seq",
                not_null={"id", "document"},
                if_not_exists=True,
            )
            db.table(_TABLE).create_index(["id"], unique=True, if_not_exists=True)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite_utils.Database]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _read(self, db: sqlite_utils.Database, id: str) -> Document:
        row = db.execute(
            f"SELECT document FROM {_TABLE} WHERE id = ?",  # noqa: S608 - constant
            [id],
        ).fetchone()
        if row is None:
            raise NotFoundError(_RESOURCE, id)
        document: Document = json.loads(row[0])
        return document

    def add(self, document: Document) -> None:
        """Store a new document; see the protocol. Raises ConflictError."""
        try:
            with self._transaction() as db:
                db.execute(
                    f"INSERT INTO {_TABLE} (id, document) VALUES (?, ?)",  # noqa: S608
                    [document["id"], _dumps(document)],
                )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(_RESOURCE, document["id"]) from exc

    def get(self, id: str) -> Document:
        """Read one document; see the protocol. Raises NotFoundError."""
        return self._read(self._db(), id)

    def update(self, id: str, change: DocumentChange) -> Document:
        """Replace a document atomically; see the protocol. Raises NotFoundError."""
        with self._transaction() as db:
            new = change(self._read(db, id))
            db.execute(
                f"UPDATE {_TABLE} SET document = ? WHERE id = ?",  # noqa: S608
                [_dumps(new), id],
            )
        return new

    def delete(self, id: str) -> Document:
        """Remove a document; see the protocol. Raises NotFoundError."""
        with self._transaction() as db:
            old = self._read(db, id)
            db.execute(f"DELETE FROM {_TABLE} WHERE id = ?", [id])  # noqa: S608
        return old

    def find(self, query: Query) -> Page:
        """Answer a list query in SQL; see the protocol."""
        where_sql, where_params = where(query)
        order_sql, order_params = order_by(query)
        limit = -1 if query.limit is None else query.limit
        db = self._db()
        rows = db.execute(
            f"SELECT document FROM {_TABLE} {where_sql} {order_sql} "  # noqa: S608
            "LIMIT ? OFFSET ?",
            [*where_params, *order_params, limit, query.offset],
        ).fetchall()
        count_params: list[Any] = where_params
        (total,) = db.execute(
            f"SELECT count(*) FROM {_TABLE} {where_sql}",  # noqa: S608 - see _sql
            count_params,
        ).fetchone()
        return Page([json.loads(row[0]) for row in rows], total)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
