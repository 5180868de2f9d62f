"""The SQLite schema of :class:`~tmf683.storage.sqlite.SQLiteStore`, and its upgrades.

Version 1: ``party_interaction(seq, id, document)``. Version 2 adds the indexed
generated columns of ``COLUMNS`` and the side table of ``REFERENCES`` (see
``tmf683.storage._sql.tables``), filled from the stored documents on upgrade.
Version 3 adds the hub subscriptions and the transactional outbox
(``tmf683.storage._sql.outbox``). Version 4 adds ``party_interaction.version``, the
document's version for conditional writes (``tmf683.storage._sql.documents``); rows
written before it start at 1. Version 6 adds the trigram index of the documents'
texts (``tmf683.storage._sql.text_index``): the distinct texts
``party_interaction_text (id, path, text)``, their FTS5 ``trigram`` index
``party_interaction_trigram`` (external content, kept by triggers), and
``party_interaction_text_use (text_id, seq)``, who holds each; filled from the
stored documents on upgrade.
Every statement runs inside the caller's transaction. SQL text here is built only
from these module constants, never from client input.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils

from tmf683.query.schema import AttributeKind
from tmf683.storage._sql.tables import (
    COLUMNS,
    DELIVERIES,
    INDEXED_COLUMNS,
    REFERENCE_TABLE,
    SUBSCRIPTIONS,
    TABLE,
    references,
)
from tmf683.storage._sql.text_index import (
    TEXT_TABLE,
    TEXT_USE_TABLE,
    TRIGRAM_TABLE,
    texts,
)
from tmf683.storage.base import FIRST_VERSION
from tmf683.storage.sqlite._dialect import json_path, typed_value_sql

SCHEMA_VERSION = 6
"""Stored in ``PRAGMA user_version``."""


def _create_version_1(db: sqlite_utils.Database) -> None:
    table = db.table(TABLE)
    table.create(
        {"seq": int, "id": str, "document": str},
        pk="seq",
        not_null={"id", "document"},
        if_not_exists=True,
    )
    table.create_index(["id"], unique=True, if_not_exists=True)


def _upgrade_to_version_2(db: sqlite_utils.Database) -> None:
    for path, column in COLUMNS.items():
        if column == "id":
            continue
        location = "'" + json_path(path) + "'"
        expression = typed_value_sql("document", location, AttributeKind.STRING)
        db.execute(
            f"ALTER TABLE {TABLE} ADD COLUMN {column} TEXT "
            f"GENERATED ALWAYS AS {expression} VIRTUAL"
        )
        if column in INDEXED_COLUMNS:
            db.execute(f"CREATE INDEX idx_{TABLE}_{column} ON {TABLE} ({column})")
    db.execute(
        f"CREATE TABLE {REFERENCE_TABLE} (path INTEGER NOT NULL, value TEXT NOT NULL, "
        "seq INTEGER NOT NULL, PRIMARY KEY (path, value, seq)) WITHOUT ROWID"
    )
    rows = db.execute(f"SELECT seq, document FROM {TABLE}").fetchall()  # noqa: S608
    for seq, text in rows:
        insert_references(db, seq, json.loads(text))


def _create_version_3(db: sqlite_utils.Database) -> None:
    db.execute(
        f"CREATE TABLE {SUBSCRIPTIONS} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL "
        "UNIQUE, document TEXT NOT NULL)"
    )
    db.execute(
        f"CREATE TABLE {DELIVERIES} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
        "subscription_id TEXT NOT NULL, callback TEXT NOT NULL, event TEXT NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0, "
        "state TEXT NOT NULL DEFAULT 'pending', last_error TEXT)"
    )
    db.execute(
        f"CREATE INDEX idx_{DELIVERIES}_pending ON {DELIVERIES} (state, callback, seq)"
    )


def _upgrade_to_version_4(db: sqlite_utils.Database) -> None:
    db.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN version INTEGER NOT NULL "
        f"DEFAULT {FIRST_VERSION}"
    )


def _upgrade_to_version_6(db: sqlite_utils.Database) -> None:
    """The distinct texts, their FTS5 ``trigram`` index, and who holds them.

    Run again on a file that has them (marked older by hand), it rebuilds them.
    """
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {TEXT_TABLE} (id INTEGER PRIMARY KEY, "
        "path TEXT NOT NULL, text TEXT NOT NULL, UNIQUE (path, text))"
    )
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {TEXT_USE_TABLE} (text_id INTEGER NOT NULL, "
        "seq INTEGER NOT NULL, PRIMARY KEY (text_id, seq)) WITHOUT ROWID"
    )
    db.execute(
        f"CREATE INDEX IF NOT EXISTS idx_{TEXT_USE_TABLE}_seq ON {TEXT_USE_TABLE} (seq)"
    )
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TRIGRAM_TABLE} USING fts5("
        f"path UNINDEXED, text, content='{TEXT_TABLE}', content_rowid='id', "
        "tokenize='trigram')"
    )
    db.execute(
        f"CREATE TRIGGER IF NOT EXISTS {TEXT_TABLE}_insert AFTER INSERT "  # noqa: S608
        f"ON {TEXT_TABLE} BEGIN INSERT INTO {TRIGRAM_TABLE} (rowid, path, text) "
        "VALUES (new.id, new.path, new.text); END"
    )
    db.execute(
        f"CREATE TRIGGER IF NOT EXISTS {TEXT_TABLE}_delete AFTER DELETE "  # noqa: S608
        f"ON {TEXT_TABLE} BEGIN INSERT INTO {TRIGRAM_TABLE} "
        f"({TRIGRAM_TABLE}, rowid, path, text) "
        "VALUES ('delete', old.id, old.path, old.text); END"
    )
    db.execute(f"DELETE FROM {TEXT_USE_TABLE}")  # noqa: S608
    db.execute(f"DELETE FROM {TEXT_TABLE}")  # noqa: S608
    rows = db.execute(f"SELECT seq, document FROM {TABLE}").fetchall()  # noqa: S608
    write_texts(db.conn, [(seq, json.loads(text)) for seq, text in rows])


def write_texts(
    conn: sqlite3.Connection,
    documents: Sequence[tuple[int, Mapping[str, Any]]],
    replaced: Sequence[int] = (),
) -> None:
    """Index the texts of written documents, in the caller's transaction.

    Args:
        conn: the connection, inside the write transaction.
        documents: ``(seq, document)`` of the documents as now stored.
        replaced: ``seq`` of documents whose former texts are to go first
            (updated or deleted ones); a text no document holds any more leaves
            the index.
    """
    old: list[int] = []
    for seq in replaced:
        old += [
            row[0]
            for row in conn.execute(
                f"SELECT text_id FROM {TEXT_USE_TABLE} WHERE seq = ?",  # noqa: S608
                [seq],
            )
        ]
    conn.executemany(
        f"DELETE FROM {TEXT_USE_TABLE} WHERE seq = ?",  # noqa: S608
        [(seq,) for seq in replaced],
    )
    pairs = [(seq, path, text) for seq, doc in documents for path, text in texts(doc)]
    conn.executemany(
        f"INSERT OR IGNORE INTO {TEXT_TABLE} (path, text) VALUES (?, ?)",  # noqa: S608
        [(path, text) for _, path, text in pairs],
    )
    conn.executemany(
        f"INSERT INTO {TEXT_USE_TABLE} (text_id, seq) SELECT id, ? FROM {TEXT_TABLE} "  # noqa: S608
        "WHERE path = ? AND text = ?",
        pairs,
    )
    conn.executemany(
        f"DELETE FROM {TEXT_TABLE} WHERE id = ? AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {TEXT_USE_TABLE} WHERE text_id = ?)",
        [(id, id) for id in set(old)],
    )


def insert_references(
    db: sqlite_utils.Database, seq: int, document: Mapping[str, Any]
) -> None:
    """Write a document's side-table rows, inside the caller's transaction."""
    _each_reference(
        db,
        f"INSERT INTO {REFERENCE_TABLE} (path, value, seq) VALUES (?, ?, ?)",  # noqa: S608
        seq,
        document,
    )


def delete_references(
    db: sqlite_utils.Database, seq: int, document: Mapping[str, Any]
) -> None:
    """Remove a document's side-table rows (computed from the stored document)."""
    _each_reference(
        db,
        f"DELETE FROM {REFERENCE_TABLE} WHERE path = ? AND value = ? AND seq = ?",  # noqa: S608
        seq,
        document,
    )


def _each_reference(
    db: sqlite_utils.Database, sql: str, seq: int, document: Mapping[str, Any]
) -> None:
    db.conn.executemany(
        sql, [(path, value, seq) for path, value in references(document)]
    )


def create_or_upgrade(db: sqlite_utils.Database, name: str) -> None:
    """Create the schema, or upgrade an older one, to :data:`SCHEMA_VERSION`.

    Args:
        db: the database, inside a write transaction.
        name: the file, for messages.

    Raises:
        sqlite3.DatabaseError: the file has a newer schema than this tmf683 knows.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"{name} has schema version {version}; this tmf683 knows "
            f"{SCHEMA_VERSION}: upgrade tmf683"
        )
    if version < 1:
        _create_version_1(db)
    if version < 2:
        _upgrade_to_version_2(db)
    if version < 3:
        _create_version_3(db)
    if version < 4:
        _upgrade_to_version_4(db)
    if version < 6:
        _upgrade_to_version_6(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
