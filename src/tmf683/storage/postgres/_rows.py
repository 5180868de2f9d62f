"""Writing the leaf and text-index rows of stored documents by ``COPY``.

The upgrades (:mod:`tmf683.storage.postgres._schema`) and the bulk writes
(:mod:`tmf683.storage.postgres._bulk`) write the rows of many documents at once;
one document's create or update writes them in its own statement
(:mod:`tmf683.storage.postgres._index`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import psycopg

from tmf683.storage._sql.leaves import LEAF_TABLE, leaves
from tmf683.storage._sql.text_index import TEXT_TABLE, texts
from tmf683.storage.base import Document


def copy_rows(
    conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterable[Any]
) -> None:
    """``COPY`` rows into a table, in the caller's transaction.

    Args:
        conn: a connection inside the write transaction.
        table: a table of this module's constants.
        columns: its columns, e.g. ``"seq, path, text"`` (constants too).
        rows: one tuple per row, in ``columns`` order.
    """
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def write_leaves(
    conn: psycopg.Connection[Any], documents: Iterable[tuple[int, Document]]
) -> None:
    """Write the leaf rows of stored documents (COPY, in the caller's write).

    Args:
        conn: a connection inside the write transaction.
        documents: ``(seq, document)`` pairs of rows just written (their old leaf
            rows deleted).
    """
    copy_rows(
        conn,
        LEAF_TABLE,
        "seq, path, text, number",
        (
            (seq, path, value, None)
            if isinstance(value, str)
            else (seq, path, None, Decimal(value))
            for seq, document in documents
            for path, value in leaves(document)
        ),
    )


def delete_leaves(conn: psycopg.Connection[Any], seqs: list[int]) -> None:
    """Remove the leaf rows of the documents at ``seqs`` (through the seq index)."""
    conn.execute(f"DELETE FROM {LEAF_TABLE} WHERE seq = ANY(%s)", [seqs])  # noqa: S608


def write_texts(
    conn: psycopg.Connection[Any], documents: Iterable[tuple[int, Document]]
) -> None:
    """Write the text-index rows of stored documents (COPY, in the caller's write).

    Args:
        conn: a connection inside the write transaction.
        documents: ``(seq, document)`` pairs of rows just written (their old text
            rows deleted).
    """
    copy_rows(
        conn,
        TEXT_TABLE,
        "seq, path, text",
        (
            (seq, path, text)
            for seq, document in documents
            for path, text in texts(document)
        ),
    )
