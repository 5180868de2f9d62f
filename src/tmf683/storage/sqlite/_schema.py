"""The SQLite schema of :class:`~tmf683.storage.sqlite.SQLiteStore`, and its upgrades.

Version 1: ``party_interaction(seq, id, document)``. Version 2 adds the indexed
generated columns of ``COLUMNS`` (see ``tmf683.storage._sql.tables``) and a side
table of the ids in ``channel`` and ``relatedParty`` (``party_interaction_reference``,
replaced in version 5).
Version 3 adds the hub subscriptions and the transactional outbox
(``tmf683.storage._sql.outbox``). Version 4 adds ``party_interaction.version``, the
document's version for conditional writes (``tmf683.storage._sql.documents``); rows
written before it start at 1. Version 5 replaces the side table by the leaf index
of every text and number (``tmf683.storage._sql.leaves``): ``party_interaction_leaf
(path, value, seq)``, its primary key in that order, ``WITHOUT ROWID``; ``value``
has no type affinity, so texts stay texts and numbers numbers (every number sorts
before every text); filled from the stored documents on upgrade.
Version 6 adds the trigram index of the documents'
texts (``tmf683.storage._sql.text_index``): the distinct texts of the leaves,
whole, ``party_interaction_text (id, path, text, leaf)`` (``path`` the leaf path,
``leaf`` the text as the leaf index keeps it when it is cut, else NULL), and their
FTS5 ``trigram`` index ``party_interaction_trigram`` (external content, kept by
triggers, ``columnsize=0``); the leaf index tells which documents hold a text.
Filled from the stored documents on upgrade.
Version 7 adds ``event_subscription_generation``,
one number that triggers on ``event_subscription`` move at every insert, update and
delete, whoever writes: each process's publisher indexes the subscriptions and reads
them again only when it moved (``tmf683.events.publish``); and
``event_delivery_head``, the oldest pending delivery of each callback with its due
time, kept by triggers on ``event_delivery`` (SQLite runs one write at a time, so
they see every change in order) and filled from the pending rows on upgrade: the
due lookup reads the heads that are due from its index.
Version 8 cuts texts by UTF-8 bytes too and keeps no leaf rows (nor texts) at paths
longer than ``PATH_BYTES`` (``tmf683.storage._sql.leaves``, the rule PostgreSQL
needs, kept alike so one compiler serves both): on upgrade the rows that may
change are made again from their documents.
Version 9 adds ``idx_party_interaction_seq``, an index of ``seq`` alone: the
narrowest walk in creation order, so the rows an ``OFFSET`` skips are read from it
instead of from the table (2-3 documents per page), and the smallest index for an
unfiltered ``count(*)``; built from the table on upgrade.
Every statement runs inside the caller's transaction. SQL text here is built only
from these module constants, never from client input.
"""

from __future__ import annotations

import json
import logging
import sqlite3

import sqlite_utils

from tmf683.query.schema import AttributeKind
from tmf683.storage._sql.leaves import CUT_BYTES, LEAF_TABLE, PATH_BYTES, cut
from tmf683.storage._sql.tables import (
    COLUMNS,
    DELIVERIES,
    GENERATION,
    INDEXED_COLUMNS,
    SUBSCRIPTIONS,
    TABLE,
    UPGRADE_IN_PLACE,
    UPGRADE_MESSAGE,
)
from tmf683.storage._sql.text_index import TEXT_TABLE, TRIGRAM_TABLE
from tmf683.storage.base import FIRST_VERSION
from tmf683.storage.sqlite._dialect import json_path, typed_value_sql
from tmf683.storage.sqlite._heads import create_delivery_heads
from tmf683.storage.sqlite._index import insert_leaves, write_texts

SCHEMA_VERSION = 10
"""Stored in ``PRAGMA user_version``."""

_LAST_REBUILD = 9
"""The last version whose upgrade builds an index from the stored rows (``seq``)."""

_LOGGER = logging.getLogger(__name__)


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
    # its side table of ids is made and filled no more: version 5 replaces it


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
    """The distinct texts of the leaves and their FTS5 ``trigram`` index.

    Run again on a file that has them (marked older by hand), it rebuilds them.
    """
    db.execute(f"DROP TABLE IF EXISTS {TRIGRAM_TABLE}")
    db.execute("DROP TABLE IF EXISTS party_interaction_text_use")  # an earlier draft
    db.execute(f"DROP TABLE IF EXISTS {TEXT_TABLE}")  # its triggers go with it
    db.execute(
        f"CREATE TABLE {TEXT_TABLE} (id INTEGER PRIMARY KEY, path TEXT NOT NULL, "
        "text TEXT NOT NULL, leaf TEXT, UNIQUE (path, text))"
    )
    db.execute(
        f"CREATE VIRTUAL TABLE {TRIGRAM_TABLE} USING fts5("
        f"text, content='{TEXT_TABLE}', content_rowid='id', tokenize='trigram', "
        "columnsize=0)"  # no row of token counts per text: only ranking reads it
    )
    db.execute(
        f"CREATE TRIGGER {TEXT_TABLE}_insert AFTER INSERT "  # noqa: S608
        f"ON {TEXT_TABLE} BEGIN INSERT INTO {TRIGRAM_TABLE} (rowid, text) "
        "VALUES (new.id, new.text); END"
    )
    db.execute(
        f"CREATE TRIGGER {TEXT_TABLE}_delete AFTER DELETE "  # noqa: S608
        f"ON {TEXT_TABLE} BEGIN INSERT INTO {TRIGRAM_TABLE} "
        f"({TRIGRAM_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    rows = db.execute(f"SELECT document FROM {TABLE}").fetchall()  # noqa: S608
    write_texts(db.conn, [json.loads(text) for (text,) in rows])


def _upgrade_to_version_7(db: sqlite_utils.Database) -> None:
    """Count the changes of the subscriptions, from a random start.

    The random start keeps a publisher that knew a deleted and recreated file from
    taking the new file's count for the one it indexed.
    """
    db.execute(f"CREATE TABLE IF NOT EXISTS {GENERATION} (generation INTEGER NOT NULL)")
    db.execute(
        f"INSERT INTO {GENERATION} SELECT abs(random() % 1000000000000) "  # noqa: S608
        f"WHERE NOT EXISTS (SELECT 1 FROM {GENERATION})"
    )
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {SUBSCRIPTIONS}_{event.lower()} "  # noqa: S608
            f"AFTER {event} ON "
            f"{SUBSCRIPTIONS} BEGIN UPDATE {GENERATION} SET generation = "
            "generation + 1; END"
        )
    create_delivery_heads(db)


def _upgrade_to_version_5(db: sqlite_utils.Database) -> None:
    """The leaf index of every text and number, in place of the side table."""
    db.execute("DROP TABLE IF EXISTS party_interaction_reference")
    db.execute(f"DROP TABLE IF EXISTS {LEAF_TABLE}")  # rebuilt from the documents
    db.execute(
        f"CREATE TABLE {LEAF_TABLE} (path TEXT NOT NULL, value NOT NULL, "
        "seq INTEGER NOT NULL, PRIMARY KEY (path, value, seq)) WITHOUT ROWID"
    )
    rows = db.execute(f"SELECT seq, document FROM {TABLE}").fetchall()  # noqa: S608
    insert_leaves(db, ((seq, json.loads(text)) for seq, text in rows))


_LONG_LEAF = (
    f"length(CAST(path AS BLOB)) > {PATH_BYTES} OR (typeof(value) = 'text' "
    f"AND length(CAST(value AS BLOB)) > {CUT_BYTES})"
)
"""The leaf rows version 8 may change: a path it leaves out, a text it may cut."""


def _upgrade_to_version_8(db: sqlite_utils.Database) -> None:
    """Leaf rows and texts by the cut in bytes and the path limit of version 8.

    A stored cut of 500 characters cuts again as its text would, so only the rows
    of :data:`_LONG_LEAF` go; their documents' rows come again (``OR IGNORE``
    keeps the others).
    """
    seqs = db.execute(f"SELECT DISTINCT seq FROM {LEAF_TABLE} WHERE {_LONG_LEAF}")  # noqa: S608
    changed = json.dumps([seq for (seq,) in seqs.fetchall()])
    db.execute(f"DELETE FROM {LEAF_TABLE} WHERE {_LONG_LEAF}")  # noqa: S608
    rows = db.execute(
        f"SELECT seq, document FROM {TABLE} WHERE seq IN "  # noqa: S608
        "(SELECT value FROM json_each(?))",
        [changed],
    ).fetchall()
    insert_leaves(db, ((seq, json.loads(text)) for seq, text in rows))
    db.execute(
        f"DELETE FROM {TEXT_TABLE} WHERE length(CAST(path AS BLOB)) > {PATH_BYTES}"  # noqa: S608
    )
    texts = db.execute(
        f"SELECT id, text FROM {TEXT_TABLE} "  # noqa: S608
        f"WHERE length(CAST(text AS BLOB)) > {CUT_BYTES}"
    ).fetchall()
    db.conn.executemany(
        f"UPDATE {TEXT_TABLE} SET leaf = ? WHERE id = ?",  # noqa: S608
        [(leaf if (leaf := cut(text)) != text else None, id) for id, text in texts],
    )


SEQ_INDEX = f"idx_{TABLE}_seq"
"""Version 9's index of ``party_interaction (seq)``."""


def _upgrade_to_version_9(db: sqlite_utils.Database) -> None:
    """The index of ``seq`` alone (1M interactions: built in about 5 s)."""
    db.execute(f"CREATE INDEX IF NOT EXISTS {SEQ_INDEX} ON {TABLE} (seq)")


TEXTS_WAITING = f"idx_{TEXT_TABLE}_waiting"
"""Version 10's index of the texts not yet in the FTS5 index (``indexed = 0``)."""


def _upgrade_to_version_10(db: sqlite_utils.Database) -> None:
    """New texts wait for the FTS5 index and go in by batches (``_index``).

    The texts there are in the index (``indexed`` 1). A text written with
    ``indexed`` 0 waits; one written without it (``indexed`` 1: the fill of version
    6, or a server of an earlier version still running) goes into the index at once,
    as every text did before. A text leaves the index only if it is in it (a
    ``delete`` of a row FTS5 never held would corrupt its index). Run again on a
    file that has them (marked older by hand), it changes nothing.
    """
    if "indexed" not in db.table(TEXT_TABLE).columns_dict:
        db.execute(
            f"ALTER TABLE {TEXT_TABLE} ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1"
        )
    db.execute(f"DROP TRIGGER IF EXISTS {TEXT_TABLE}_insert")
    db.execute(f"DROP TRIGGER IF EXISTS {TEXT_TABLE}_delete")
    db.execute(
        f"CREATE TRIGGER {TEXT_TABLE}_insert AFTER INSERT "  # noqa: S608
        f"ON {TEXT_TABLE} WHEN new.indexed = 1 BEGIN INSERT INTO {TRIGRAM_TABLE} "
        "(rowid, text) VALUES (new.id, new.text); END"
    )
    db.execute(
        f"CREATE TRIGGER {TEXT_TABLE}_delete AFTER DELETE "  # noqa: S608
        f"ON {TEXT_TABLE} WHEN old.indexed = 1 BEGIN INSERT INTO {TRIGRAM_TABLE} "
        f"({TRIGRAM_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    db.execute(
        f"CREATE INDEX IF NOT EXISTS {TEXTS_WAITING} ON {TEXT_TABLE} (id) "
        "WHERE indexed = 0"
    )


class NewerSchemaError(sqlite3.DatabaseError):
    """A SQLite file written by a newer tmf683 (its schema version is higher)."""


def create_or_upgrade(db: sqlite_utils.Database, name: str) -> None:
    """Create the schema, or upgrade an older one, to :data:`SCHEMA_VERSION`.

    Args:
        db: the database, inside a write transaction.
        name: the file, for messages.

    Raises:
        NewerSchemaError: the file has a newer schema than this tmf683 knows.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"has schema version {version}; this tmf683 knows "
            f"{SCHEMA_VERSION}: upgrade tmf683"
        )
    if 0 < version < SCHEMA_VERSION:
        quick = version >= _LAST_REBUILD  # version 10 adds a column and triggers
        message = UPGRADE_IN_PLACE if quick else UPGRADE_MESSAGE
        _LOGGER.warning(message, name, version, SCHEMA_VERSION)
    if version < 1:
        _create_version_1(db)
    if version < 2:
        _upgrade_to_version_2(db)
    if version < 3:
        _create_version_3(db)
    if version < 4:
        _upgrade_to_version_4(db)
    if version < 5:
        _upgrade_to_version_5(db)
    if version < 6:
        _upgrade_to_version_6(db)
    if version < 7:
        _upgrade_to_version_7(db)
    if version < 8:
        _upgrade_to_version_8(db)
    if version < 9:
        _upgrade_to_version_9(db)
    if version < 10:
        _upgrade_to_version_10(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
