"""Writing SQLite's leaf rows and texts (the leaf and trigram indexes) of documents.

:func:`write_index` runs in every write's transaction and writes only what a write
changes; :func:`insert_leaves` and :func:`write_texts` fill the indexes from stored
documents on upgrade (``_schema``). The rows are :mod:`tmf683.storage._sql.leaves`'s;
SQL text here is built only from module constants.

A write's new texts wait (``indexed = 0``) until :data:`TRIGRAM_BATCH` of them
have come, and the write that brings the last goes through :func:`flush_texts`:
FTS5 writes a segment of its index per transaction, which cost a create about a
quarter of its CPU for its ~5 new texts, and a batch shares one. A ``regex`` takes
the waiting texts at its path as candidates besides the index's
(``_dialect.text_candidates``) and RE2 tests them all, so what it finds is the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from tmf683.storage._sql.leaves import (
    LEAF_TABLE,
    Leaf,
    cut,
    leaf_texts,
    leaves,
    leaves_and_texts,
)
from tmf683.storage._sql.text_index import TEXT_TABLE, TRIGRAM_TABLE

TRIGRAM_BATCH = 256
"""Waiting texts (written, not yet in the FTS5 index) that make a write flush them.

A ``regex`` with a literal reads at most this many texts besides the index's
candidates; a flush of 256 texts costs about 2-3 ms of CPU."""


def write_texts(
    conn: sqlite3.Connection, documents: Iterable[Mapping[str, Any]]
) -> None:
    """Index the texts of stored documents, in the caller's transaction.

    The upgrade's fill (version 6): each text goes into the FTS5 index at once
    (its trigger); the writes use :func:`write_index`.
    """
    texts = {pair for doc in documents for pair in leaf_texts(doc)}
    _write_texts(conn, texts, set(), waiting=False)


def flush_texts(conn: sqlite3.Connection) -> int:
    """Put the waiting texts into the FTS5 index, in the caller's transaction.

    Returns:
        How many texts were waiting.
    """
    conn.execute(
        f"INSERT INTO {TRIGRAM_TABLE} (rowid, text) SELECT id, text "  # noqa: S608
        f"FROM {TEXT_TABLE} WHERE indexed = 0"
    )
    return conn.execute(
        f"UPDATE {TEXT_TABLE} SET indexed = 1 WHERE indexed = 0"  # noqa: S608
    ).rowcount


def _write_texts(
    conn: sqlite3.Connection,
    new: set[tuple[str, str]],
    old: set[tuple[str, str]],
    *,
    waiting: bool = True,
) -> None:
    """Add the texts ``new``; remove those of ``old`` no leaf row holds any more.

    Run after the leaf rows are written. A text longer than the leaves keep stays
    while a leaf holds its cut: two such texts alike in their cut part may then
    stay a while, which only adds candidates. New texts wait for the FTS5 index
    (see the module) unless ``waiting`` is false (the fill of version 6, before
    the ``indexed`` column: the insert trigger indexes them).
    """
    rows = [
        (path, text, leaf if (leaf := cut(text)) != text else None)
        for path, text in sorted(new)
    ]
    if waiting:
        conn.executemany(
            f"INSERT OR IGNORE INTO {TEXT_TABLE} (path, text, leaf, indexed) "  # noqa: S608
            "VALUES (?, ?, ?, 0)",
            rows,
        )
    else:
        conn.executemany(
            f"INSERT OR IGNORE INTO {TEXT_TABLE} (path, text, leaf) VALUES (?, ?, ?)",  # noqa: S608
            rows,
        )
    conn.executemany(
        f"DELETE FROM {TEXT_TABLE} WHERE path = ? AND text = ? AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {LEAF_TABLE} WHERE path = ? AND value = ?)",
        [(path, text, path, cut(text)) for path, text in sorted(old - new)],
    )
    if waiting and rows:
        (count,) = conn.execute(
            f"SELECT count(*) FROM {TEXT_TABLE} WHERE indexed = 0"  # noqa: S608
        ).fetchone()
        if count >= TRIGRAM_BATCH:
            flush_texts(conn)


def write_index(
    db: sqlite_utils.Database,
    written: Sequence[tuple[int, Mapping[str, Any]]],
    replaced: Sequence[tuple[int, Mapping[str, Any]]] = (),
) -> None:
    """Write the leaf rows and texts of documents, in the caller's transaction.

    Each document is walked once. Only the difference is written: the leaf rows
    of ``replaced`` that ``written`` no longer holds at the same ``seq`` go (by
    primary key), those it did not hold come, then the texts no former version
    held (as :func:`write_texts`) and the former texts left (see
    :func:`_write_texts`). A patch of one attribute thus rewrites one or two rows,
    not all of them: every row deleted and inserted again dirtied its page, which
    the commit then wrote to the WAL (about 30 pages per document).

    Args:
        db: the database, inside the write transaction.
        written: ``(seq, document)`` of the documents as now stored.
        replaced: ``(seq, document)`` of the former versions of updated or
            deleted documents.
    """
    old_leaves: dict[int, set[tuple[str, Leaf]]] = {}
    old_texts: set[tuple[str, str]] = set()
    for seq, document in replaced:
        found, texts = leaves_and_texts(document)
        old_leaves.setdefault(seq, set()).update(found)
        old_texts |= texts
    new_leaves: dict[int, set[tuple[str, Leaf]]] = {}
    new_texts: set[tuple[str, str]] = set()
    for seq, document in written:
        found, texts = leaves_and_texts(document)
        new_leaves.setdefault(seq, set()).update(found)
        new_texts |= texts
    db.conn.executemany(
        f"DELETE FROM {LEAF_TABLE} WHERE path = ? AND value = ? AND seq = ?",  # noqa: S608
        _sorted(
            (seq, _gone(found, new_leaves.get(seq, set())))
            for seq, found in old_leaves.items()
        ),
    )
    db.conn.executemany(
        f"INSERT OR IGNORE INTO {LEAF_TABLE} (path, value, seq) VALUES (?, ?, ?)",  # noqa: S608
        _sorted(
            (seq, _gone(found, old_leaves.get(seq, set())))
            for seq, found in new_leaves.items()
        ),
    )
    _write_texts(db.conn, new_texts - old_texts, old_texts - new_texts)


def _gone(
    leaves: set[tuple[str, Leaf]], kept: set[tuple[str, Leaf]]
) -> set[tuple[str, Leaf]]:
    """The leaves of ``leaves`` not in ``kept``, as SQLite compares them.

    Python's ``1 == 1.0`` is SQLite's too (and its primary key's); an integer
    past 64 bits and its nearest float are one number for SQLite only.
    """
    if not kept:
        return leaves
    stored = {(path, _stored(value)) for path, value in kept}
    return {pair for pair in leaves if (pair[0], _stored(pair[1])) not in stored}


_INT64 = range(-(2**63), 2**63)


def _stored(value: Leaf) -> Leaf:
    """A leaf as SQLite binds it: an integer past 64 bits as the nearest float."""
    if isinstance(value, int) and value not in _INT64:
        return float(value)
    return value


def _rows(documents: Iterable[tuple[int, Mapping[str, Any]]]) -> list[Any]:
    """The leaf rows of documents, in primary-key order.

    A batch's writes then meet the B-tree's pages in turn instead of at random.
    """
    return _sorted((seq, leaves(document)) for seq, document in documents)


def _sorted(found: Iterable[tuple[int, Iterable[tuple[str, Leaf]]]]) -> list[Any]:
    rows = [
        (path, _stored(value), seq) for seq, pairs in found for path, value in pairs
    ]
    rows.sort(key=_order)
    return rows


def _order(row: tuple[str, Leaf, int]) -> tuple[str, int, Leaf, int]:
    path, value, seq = row
    return path, isinstance(value, str), value, seq  # numbers before texts


def insert_leaves(
    db: sqlite_utils.Database, documents: Iterable[tuple[int, Mapping[str, Any]]]
) -> None:
    """Write the leaf rows of ``(seq, document)`` pairs, in the caller's transaction.

    Two leaves of one document that SQLite holds as one number (an integer past
    64 bits and its nearest float) are written once.
    """
    db.conn.executemany(
        f"INSERT OR IGNORE INTO {LEAF_TABLE} (path, value, seq) VALUES (?, ?, ?)",  # noqa: S608
        _rows(documents),
    )
