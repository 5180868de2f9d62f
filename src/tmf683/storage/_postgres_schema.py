"""The PostgreSQL schema of :class:`~tmf683.storage.postgres.PostgresStore`.

Version 1:

- ``party_interaction``: ``seq`` (creation order), ``id`` (unique), ``document``
  (``jsonb``), and stored generated columns for the first-level attributes lists
  filter and sort most (:data:`tmf683.storage._sql.COLUMNS`), in ``COLLATE "C"``
  with B-tree indexes ordered ``NULLS FIRST`` (absent values sort first).
- ``party_interaction_reference``: the ids inside the ``channel`` and
  ``relatedParty`` arrays (:data:`tmf683.storage._sql.REFERENCES`), one row per
  document and distinct id, as in SQLite; its primary key answers those filters
  and counts their matches from the index alone.
- ``event_subscription`` and ``event_delivery``: the hub subscriptions and the
  transactional outbox (:mod:`tmf683.storage._postgres_events`).
- ``tmf683_schema``: one row holding the version.

Creation and upgrades run in one transaction under an advisory lock, so several
server processes starting together on an empty database create it once. SQL text
here is built from module constants only.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import orjson
import psycopg

from tmf683.query.schema import AttributeKind
from tmf683.storage._postgres_events import CREATE_TABLES as EVENT_TABLES
from tmf683.storage._postgres_sql import TABLE, key_chain, typed_sql
from tmf683.storage._sql import (
    COLUMNS,
    INDEXED_COLUMNS,
    REFERENCE_TABLE,
    references,
)
from tmf683.storage.base import Document

__all__ = [
    "SCHEMA_VERSION",
    "VERSION_TABLE",
    "create_or_upgrade",
    "jsonb_text",
    "write_references",
]

SCHEMA_VERSION = 1
"""The schema this tmf683 writes; kept in ``tmf683_schema.version``."""

VERSION_TABLE = "tmf683_schema"
_LOCK_KEY = 683_000_001
"""``pg_advisory_xact_lock`` key serializing schema creation across processes."""


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        text = format(Decimal(value), "f")
        return orjson.Fragment(text if "." in text else text + ".0")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


def jsonb_text(document: Any) -> str:
    """JSON text of a document for a ``jsonb`` column, every float written exactly.

    ``jsonb`` keeps numbers as ``numeric``: written as Python writes a float
    (``0.1``), the stored number would not be the float the document holds, and
    comparisons with it would differ from Python's. Written as the float's exact
    decimal value (``0.1000000000000000055511151231257827021181583404541015625``),
    it compares exactly and reads back as the same float. Integral floats keep a
    ``.0`` so they read back as floats.

    Args:
        document: a JSON value (dicts with string keys, lists, text, numbers,
            booleans, ``None``).

    Returns:
        The JSON text.
    """
    return orjson.dumps(_exact(document)).decode()


def write_references(
    conn: psycopg.Connection[Any], documents: Iterable[tuple[int, Document]]
) -> None:
    """Write the side-table rows of stored documents (COPY, in the caller's write).

    Args:
        conn: a connection inside the write transaction.
        documents: ``(seq, document)`` pairs of rows just written.
    """
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {REFERENCE_TABLE} (path, value, seq) FROM STDIN") as copy,
    ):
        for seq, document in documents:
            for path, value in references(document):
                copy.write_row((path, value, seq))


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
    conn.execute(
        f"CREATE TABLE {REFERENCE_TABLE} (path smallint NOT NULL, "
        'value text COLLATE "C" NOT NULL, '
        f"seq bigint NOT NULL REFERENCES {TABLE} (seq) ON DELETE CASCADE, "
        "PRIMARY KEY (path, value, seq))"
    )
    conn.execute(f"CREATE INDEX {REFERENCE_TABLE}_seq_idx ON {REFERENCE_TABLE} (seq)")
    for statement in EVENT_TABLES:
        conn.execute(statement)


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
    if version < 1:
        _create_version_1(conn)
    if version < SCHEMA_VERSION:
        conn.execute(f"DELETE FROM {VERSION_TABLE}")  # noqa: S608 - constant
        conn.execute(
            f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)",  # noqa: S608
            [SCHEMA_VERSION],
        )
    return version
