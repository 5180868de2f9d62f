"""The PostgreSQL schema of :class:`~tmf683.storage.postgres.PostgresStore`.

Version 1:

- ``party_interaction``: ``seq`` (creation order), ``id`` (unique), ``document``
  (``jsonb``), and stored generated columns for the first-level attributes lists
  filter and sort most (:data:`tmf683.storage._sql.tables.COLUMNS`), in ``COLLATE "C"``
  with B-tree indexes ordered ``NULLS FIRST`` (absent values sort first).
- ``party_interaction_reference``: the ids inside the ``channel`` and
  ``relatedParty`` arrays (replaced by the leaf index in version 4).
- ``event_subscription`` and ``event_delivery``: the hub subscriptions and the
  transactional outbox (:mod:`tmf683.storage.postgres._outbox`).
- ``tmf683_schema``: one row holding the version.

Version 2 adds ``party_interaction.version`` (``bigint``, existing rows at 1): the
document's version for conditional writes (:mod:`tmf683.storage._sql.documents`).

Version 3 adds the partial index ``event_delivery (callback, seq) WHERE state =
'failed'``: the range the trim of a callback's failed deliveries reads
(``max_failed_per_callback``).

Version 4 replaces ``party_interaction_reference`` by the leaf index of every text
and number (:mod:`tmf683.storage._sql.leaves`): ``party_interaction_leaf (seq,
path, text, number)``, ``text`` in ``COLLATE "C"``, ``number`` a ``numeric``
(exact), one of them set; partial B-tree indexes ``(path, text, seq) WHERE text IS
NOT NULL`` and ``(path, number, seq) WHERE number IS NOT NULL``, and ``(seq)`` for
the writes that replace a document's rows. No foreign key: every write path deletes
the rows itself, and ``COPY`` checks no parent row. Filled from the stored documents
on upgrade, in SQL's order by ``seq``.


Version 5 adds the trigram index of the documents' texts
(:mod:`tmf683.storage._sql.text_index`): ``party_interaction_text (seq, path,
text)``, filled from the stored documents, with a GIN ``gin_trgm_ops`` index on
``text`` when the ``pg_trgm`` extension is there or can be created (it is a trusted
extension: a database owner may). Without it the table is kept all the same (a
``regex`` then reads it without an index: still right, slower) and a warning is
logged; upgrading again after ``CREATE EXTENSION pg_trgm`` does not add the index:
create it by hand (``CREATE INDEX party_interaction_text_trgm_idx ON
party_interaction_text USING gin (text gin_trgm_ops)``).

``event_subscription`` moves at every insert, update, delete and truncate, whoever
writes: each process's publisher indexes the subscriptions and reads them again only
when it moved (``tmf683.events.publish``).

Version 7 keeps every leaf row under the B-tree entry limit: texts cut by UTF-8
bytes too, no rows at paths longer than ``PATH_BYTES``
(:mod:`tmf683.storage._sql.leaves`); on upgrade the documents holding a row the
rule may change get their rows again. It also adds ``event_delivery_head`` (each
callback's head: when its oldest pending delivery is due, at the latest), its
triggers and ``event_delivery_head_check``, filled from the pending rows
(:mod:`tmf683.storage.postgres._outbox`).

Version 8 adds ``party_interaction.document_text`` (``text NOT NULL``): the
document's JSON as :func:`tmf683.encode_json` writes it, beside the ``jsonb`` the
queries read; reads of documents and list pages serve it (the key order as written).
Filled on upgrade from the ``jsonb``, in batches by ``seq`` (those rows keep
``jsonb``'s key order: the order they were written in is gone).

Version 9 adds ``party_interaction_count``, the table's exact number of rows kept
by statement triggers, which the unfiltered count reads
(:mod:`tmf683.storage.postgres._counts`), filled on upgrade by one ``count(*)``;
``event_delivery_head.seq``, which orders the due pass's heads
(:mod:`tmf683.storage.postgres._outbox`); and the triggers that fill
``document_text`` when a server from before version 8, still running during a
rolling update, writes ``document`` alone (:mod:`tmf683.storage.postgres._text_fill`).

Creation and upgrades run in one transaction under an advisory lock, so several
server processes starting together on an empty database create it once. SQL text
here is built from module constants only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import psycopg

from tmf683.query.schema import AttributeKind
from tmf683.storage._sql.leaves import CUT_BYTES, LEAF_TABLE, PATH_BYTES
from tmf683.storage._sql.tables import (
    COLUMNS,
    DELIVERIES,
    GENERATION,
    INDEXED_COLUMNS,
    SUBSCRIPTIONS,
    TABLE,
    UPGRADE_MESSAGE,
)
from tmf683.storage._sql.text_index import TEXT_TABLE
from tmf683.storage.base import FIRST_VERSION, Document
from tmf683.storage.postgres._counts import STATEMENTS as COUNT_STATEMENTS
from tmf683.storage.postgres._dialect import key_chain, typed_sql, wire_text
from tmf683.storage.postgres._outbox import CREATE_TABLES as EVENT_TABLES
from tmf683.storage.postgres._outbox import HEAD_STATEMENTS, ORDER_STATEMENTS
from tmf683.storage.postgres._rows import delete_leaves, write_leaves, write_texts
from tmf683.storage.postgres._text_fill import STATEMENTS as TEXT_STATEMENTS

SCHEMA_VERSION = 9
"""The schema this tmf683 writes; kept in ``tmf683_schema.version``."""

VERSION_TABLE = "tmf683_schema"
_LOGGER = logging.getLogger(__name__)
_LOCK_KEY = 683_000_001
"""``pg_advisory_xact_lock`` key serializing schema creation across processes."""


def _create_version_1(conn: psycopg.Connection[Any]) -> None:
    generated = []
    for path, column in COLUMNS.items():
        if column == "id":
            continue
        expression = typed_sql(key_chain("document", path), AttributeKind.STRING)
        generated.append(
            f'{column} text COLLATE "C" GENERATED ALWAYS AS {expression} STORED'
        )
    conn.execute(
        f"CREATE TABLE {TABLE} ("
        "seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        'id text COLLATE "C" NOT NULL UNIQUE, '
        "document jsonb NOT NULL, " + ", ".join(generated) + ")"
    )
    for column in sorted(INDEXED_COLUMNS):
        conn.execute(
            f"CREATE INDEX {TABLE}_{column}_idx ON {TABLE} ({column} NULLS FIRST)"
        )
    # the side table of ids it had is made no more: version 4 replaces it
    for statement in EVENT_TABLES:
        conn.execute(statement)


def _upgrade_to_version_2(conn: psycopg.Connection[Any]) -> None:
    """Add the document version of conditional writes; existing rows are at 1."""
    conn.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN version bigint NOT NULL "
        f"DEFAULT {FIRST_VERSION}"
    )


def _documents_in_batches(
    conn: psycopg.Connection[Any],
) -> Iterator[list[tuple[int, Document]]]:
    """Every stored ``(seq, document)``, in ``seq`` order, 5000 rows per list.

    Each batch is read after the caller has handled the one before (an upgrade step
    rewrites the rows of its batch), by ``seq > last``: no cursor is held open.
    """
    after = 0
    while rows := conn.execute(
        f"SELECT seq, document FROM {TABLE} WHERE seq > %s "  # noqa: S608 - constant
        "ORDER BY seq LIMIT 5000",
        [after],
    ).fetchall():
        yield rows
        after = rows[-1][0]


def _upgrade_to_version_3(conn: psycopg.Connection[Any]) -> None:
    """Index each callback's failed deliveries, for the trim of the oldest."""
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_failed_idx ON {DELIVERIES} "
        "(callback, seq) WHERE state = 'failed'"
    )


def _upgrade_to_version_4(conn: psycopg.Connection[Any]) -> None:
    """The leaf index of every text and number, in place of the side table."""
    conn.execute("DROP TABLE IF EXISTS party_interaction_reference")
    conn.execute(f"DROP TABLE IF EXISTS {LEAF_TABLE}")  # rebuilt from the documents
    conn.execute(
        f"CREATE TABLE {LEAF_TABLE} (seq bigint NOT NULL, "
        'path text COLLATE "C" NOT NULL, text text COLLATE "C", number numeric, '
        "CHECK ((text IS NULL) <> (number IS NULL)))"
    )
    for rows in _documents_in_batches(conn):
        write_leaves(conn, rows)
    conn.execute(
        f"CREATE INDEX {LEAF_TABLE}_text_idx ON {LEAF_TABLE} (path, text, seq) "
        "WHERE text IS NOT NULL"
    )
    conn.execute(
        f"CREATE INDEX {LEAF_TABLE}_number_idx ON {LEAF_TABLE} (path, number, seq) "
        "WHERE number IS NOT NULL"
    )
    conn.execute(f"CREATE INDEX {LEAF_TABLE}_seq_idx ON {LEAF_TABLE} (seq)")


def _upgrade_to_version_5(conn: psycopg.Connection[Any]) -> None:
    """The documents' texts, with a ``pg_trgm`` index if the extension is there."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {TEXT_TABLE} ("
        f"seq bigint NOT NULL REFERENCES {TABLE} (seq) ON DELETE CASCADE, "
        'path text COLLATE "C" NOT NULL, text text COLLATE "C" NOT NULL)'
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {TEXT_TABLE}_seq_idx ON {TEXT_TABLE} (seq)"
    )
    try:
        with conn.transaction():  # a savepoint: a refusal leaves the rest
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except psycopg.Error as exc:
        _LOGGER.warning(
            "pg_trgm is not available (%s): regex filters will read every text",
            " ".join(str(exc).split()),
        )
    else:
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {TEXT_TABLE}_trgm_idx ON {TEXT_TABLE} "
            "USING gin (text gin_trgm_ops)"
        )
    conn.execute(f"DELETE FROM {TEXT_TABLE}")  # noqa: S608 - rebuilt if there
    with conn.cursor(name="tmf683_texts") as cursor:
        cursor.execute(f"SELECT seq, document FROM {TABLE}")  # noqa: S608
        while batch := cursor.fetchmany(1000):
            write_texts(conn, batch)


def _upgrade_to_version_6(conn: psycopg.Connection[Any]) -> None:
    """Count the changes of the subscriptions, from a random start.

    The random start keeps a publisher that knew a dropped and recreated database
    from taking the new database's count for the one it indexed.
    """
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {GENERATION} (generation bigint NOT NULL)"
    )
    conn.execute(
        f"INSERT INTO {GENERATION} SELECT (random() * 1e12)::bigint "  # noqa: S608
        f"WHERE NOT EXISTS (SELECT 1 FROM {GENERATION})"
    )
    conn.execute(
        f"CREATE OR REPLACE FUNCTION {GENERATION}_move() RETURNS trigger "  # noqa: S608
        f"LANGUAGE plpgsql AS $$BEGIN UPDATE {GENERATION} SET generation = "
        "generation + 1; RETURN NULL; END$$"
    )
    conn.execute(f"DROP TRIGGER IF EXISTS {SUBSCRIPTIONS}_changed ON {SUBSCRIPTIONS}")
    conn.execute(
        f"CREATE TRIGGER {SUBSCRIPTIONS}_changed AFTER INSERT OR UPDATE OR DELETE "
        f"OR TRUNCATE ON {SUBSCRIPTIONS} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {GENERATION}_move()"
    )


def _upgrade_to_version_7(conn: psycopg.Connection[Any]) -> None:
    """Leaf rows cut in bytes, and the heads of the outbox's callbacks.

    A stored cut of 500 characters cuts again as its text would: only documents
    with a longer path or text than the rule keeps are written again.
    """
    seqs = [
        seq
        for (seq,) in conn.execute(
            f"SELECT DISTINCT seq FROM {LEAF_TABLE} WHERE "  # noqa: S608 - constants
            "octet_length(path) > %s OR octet_length(text) > %s ORDER BY seq",
            [PATH_BYTES, CUT_BYTES],
        ).fetchall()
    ]
    for start in range(0, len(seqs), 5000):
        batch = seqs[start : start + 5000]
        delete_leaves(conn, batch)
        rows = conn.execute(
            f"SELECT seq, document FROM {TABLE} WHERE seq = ANY(%s)",  # noqa: S608
            [batch],
        ).fetchall()
        write_leaves(conn, rows)
    for statement in HEAD_STATEMENTS:
        conn.execute(statement)


def _upgrade_to_version_8(conn: psycopg.Connection[Any]) -> None:
    """The wire text beside each ``jsonb`` document, filled 5000 rows at a time."""
    conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS document_text text")
    for rows in _documents_in_batches(conn):
        with conn.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {TABLE} SET document_text = %s WHERE seq = %s",  # noqa: S608
                [(wire_text(document), seq) for seq, document in rows],
            )
    conn.execute(f"ALTER TABLE {TABLE} ALTER COLUMN document_text SET NOT NULL")


def create_or_upgrade(conn: psycopg.Connection[Any], name: str) -> int:
    """Create the schema, or upgrade an older one, to :data:`SCHEMA_VERSION`.

    Args:
        conn: a connection inside a transaction (committed by the caller).
        name: the database, for messages.

    Returns:
        The version found before (0 for an empty database).

    Raises:
        psycopg.DataError: the database has a newer schema than this tmf683 knows.
    """
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version integer)")
    row = conn.execute(f"SELECT max(version) FROM {VERSION_TABLE}").fetchone()  # noqa: S608
    version = int(row[0]) if row and row[0] is not None else 0
    if version > SCHEMA_VERSION:
        raise psycopg.DataError(
            f"{name} has tmf683 schema version {version}; this tmf683 knows "
            f"{SCHEMA_VERSION}: upgrade tmf683"
        )
    if 0 < version < SCHEMA_VERSION:
        _LOGGER.warning(UPGRADE_MESSAGE, name, version, SCHEMA_VERSION)
    if version < 1:
        _create_version_1(conn)
    if version < 2:
        _upgrade_to_version_2(conn)
    if version < 3:
        _upgrade_to_version_3(conn)
    if version < 4:
        _upgrade_to_version_4(conn)
    if version < 5:
        _upgrade_to_version_5(conn)
    if version < 6:
        _upgrade_to_version_6(conn)
    if version < 7:
        _upgrade_to_version_7(conn)
    if version < 8:
        _upgrade_to_version_8(conn)
    if version < 9:
        for statement in (*COUNT_STATEMENTS, *ORDER_STATEMENTS, *TEXT_STATEMENTS):
            conn.execute(statement)
    if version < SCHEMA_VERSION:
        conn.execute(f"DELETE FROM {VERSION_TABLE}")  # noqa: S608 - constant
        conn.execute(
            f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)",  # noqa: S608
            [SCHEMA_VERSION],
        )
    return version
