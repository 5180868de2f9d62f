"""A PostgreSQL write of documents and their index rows, in one statement.

A create sends its documents, their leaf rows (:mod:`tmf683.storage._sql.leaves`)
and their texts (:mod:`tmf683.storage._sql.text_index`) to one ``INSERT`` with
data-modifying ``WITH`` queries (:func:`insert`); an update sends the new document
and only the rows that differ from the former version's (:func:`rewrite`). One
statement is one round trip and one pass of psycopg's statement machinery, where
the rows went by ``DELETE``, ``COPY`` and ``COPY`` again (each about two round
trips), and a patch of one attribute now deletes and inserts a row or two, not
every row of the document.

The rows go as JSON arrays of arrays (``json_array_elements``): orjson writes one
in C, where psycopg's text array dumper escapes each element in Python (about 0.1
ms a document). A NUL in a text arrives as ``\u0000``, which PostgreSQL refuses to
make a ``text`` of (``untranslatable_character``, the store's ``ValidationError``),
as the ``jsonb`` does.

Python compares the leaves as PostgreSQL does: a number's row holds its exact
``numeric`` (:class:`~decimal.Decimal` of the float or integer) and Python's ``==``
between an integer and a float is exact too, so a leaf is unchanged in Python
exactly when its row is in PostgreSQL. The text and statement triggers see these
rows as they saw the ``COPY`` ones (``party_interaction_count`` counts the
``INSERT``; the texts' foreign key is checked at the statement's end). SQL text
here is built from module constants only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from tmf683._errors import PreconditionFailedError
from tmf683.storage._sql.leaves import LEAF_TABLE, Leaf, leaves
from tmf683.storage._sql.tables import TABLE
from tmf683.storage._sql.text_index import TEXT_TABLE, texts
from tmf683.storage.base import RESOURCE, Document
from tmf683.storage.postgres._connections import Connection
from tmf683.storage.postgres._dialect import DIALECT

_LEAVES = (
    "(SELECT (e->>0)::bigint AS key, e->>1 AS path, e->>2 AS text, "
    "(e->>3)::numeric AS number FROM json_array_elements(%(leaves)s::json) AS e) AS l"
)
_TEXTS = (
    "(SELECT (e->>0)::bigint AS key, e->>1 AS path, e->>2 AS text "
    "FROM json_array_elements(%(texts)s::json) AS e) AS t"
)

_INSERT = (
    f"WITH added AS (INSERT INTO {TABLE} (id, document, document_text) "  # noqa: S608
    "SELECT e->>0, (e->>1)::jsonb, e->>2 FROM json_array_elements("
    "%(documents)s::json) WITH ORDINALITY AS d(e, key) ORDER BY d.key "
    "RETURNING seq, id), "
    "keyed AS (SELECT added.seq, d.key FROM added JOIN json_array_elements("
    "%(documents)s::json) WITH ORDINALITY AS d(e, key) ON d.e->>0 = added.id), "
    f"leaf_rows AS (INSERT INTO {LEAF_TABLE} (seq, path, text, number) "
    f"SELECT keyed.seq, l.path, l.text, l.number FROM {_LEAVES} "
    "JOIN keyed ON keyed.key = l.key), "
    f"text_rows AS (INSERT INTO {TEXT_TABLE} (seq, path, text) "
    f"SELECT keyed.seq, t.path, t.text FROM {_TEXTS} JOIN keyed ON keyed.key = t.key) "
    "SELECT seq, key FROM keyed"
)
"""The documents (``[id, jsonb text, wire text]`` each) and their rows, each row
keyed by its document's place in ``documents`` (from 1)."""

_REWRITE = (
    f"WITH changed AS (UPDATE {TABLE} SET document = %(document)s::jsonb, "  # noqa: S608
    "document_text = %(document_text)s, version = version + 1 "
    "WHERE seq = %(seq)s AND version = %(version)s RETURNING version), "
    f"leaves_gone AS (DELETE FROM {LEAF_TABLE} AS o USING "
    "(SELECT e->>1 AS path, e->>2 AS text, (e->>3)::numeric AS number "
    "FROM json_array_elements(%(gone_leaves)s::json) AS e) AS g "
    "WHERE o.seq = %(seq)s AND o.path = g.path "
    "AND (o.text = g.text OR o.number = g.number)), "
    f"leaves_come AS (INSERT INTO {LEAF_TABLE} (seq, path, text, number) "
    f"SELECT %(seq)s, l.path, l.text, l.number FROM {_LEAVES}), "
    f"texts_gone AS (DELETE FROM {TEXT_TABLE} AS o USING "
    "(SELECT e->>1 AS path, e->>2 AS text "
    "FROM json_array_elements(%(gone_texts)s::json) AS e) AS g "
    "WHERE o.seq = %(seq)s AND o.path = g.path AND o.text = g.text), "
    f"texts_come AS (INSERT INTO {TEXT_TABLE} (seq, path, text) "
    f"SELECT %(seq)s, t.path, t.text FROM {_TEXTS}) "
    "SELECT version FROM changed"
)
"""A row's new document, its leaf and text rows gone and come."""


def insert(conn: Connection, documents: Sequence[Document]) -> list[int]:
    """Insert new documents with their leaf and text rows; return their ``seq``.

    Args:
        conn: a connection inside the write transaction.
        documents: new documents, their ids distinct.

    Returns:
        The ``seq`` of each document, in order.

    Raises:
        ValidationError: a text holds NUL, which PostgreSQL refuses.
        psycopg.errors.UniqueViolation: an id is taken.
    """
    rows = []
    for document in documents:
        value = DIALECT.document_values(document)
        rows.append([document["id"], value["document"], value["document_text"]])
    params = {
        "documents": _json(rows),
        "leaves": _json(
            [
                _leaf_row(key, pair)
                for key, document in enumerate(documents, 1)
                for pair in leaves(document)
            ]
        ),
        "texts": _json(
            [
                [key, path, text]
                for key, document in enumerate(documents, 1)
                for path, text in texts(document)
            ]
        ),
    }
    keyed = dict(conn.execute(_INSERT, params).fetchall())
    order = {key: seq for seq, key in keyed.items()}
    return [int(order[key]) for key in range(1, len(documents) + 1)]


def rewrite(
    conn: Connection,
    id: str,
    seq: int,
    version: int,
    current: Document,
    new: Document,
) -> int:
    """Write a row's new document and the difference of its rows; the new version.

    Args:
        conn: a connection inside the write transaction, the row locked.
        id: the document's id (for the error).
        seq: the row.
        version: the version read under the lock.
        current: the document stored now (its rows are in the tables).
        new: the document to store.

    Raises:
        ValidationError: a text holds NUL, which PostgreSQL refuses.
        PreconditionFailedError: the row is no longer at ``version`` (a guard:
            the row is locked).
    """
    before, after = _changed_parts(current, new)
    old_leaves, new_leaves = leaves(before), leaves(after)
    old_texts, new_texts = set(texts(before)), set(texts(after))
    params: dict[str, Any] = {
        **DIALECT.document_values(new),
        "seq": seq,
        "version": version,
        "leaves": _json([_leaf_row(0, pair) for pair in new_leaves - old_leaves]),
        "gone_leaves": _json([_leaf_row(0, pair) for pair in old_leaves - new_leaves]),
        "texts": _json([[0, path, text] for path, text in new_texts - old_texts]),
        "gone_texts": _json([[0, path, text] for path, text in old_texts - new_texts]),
    }
    row = conn.execute(_REWRITE, params).fetchone()
    if row is None:  # pragma: no cover - the row is locked
        raise PreconditionFailedError(RESOURCE, id, version)
    return int(row[0])


def _changed_parts(current: Document, new: Document) -> tuple[Document, Document]:
    """The top-level attributes of two documents whose values differ, each side's.

    Every leaf row and text row lies under one top-level attribute, and the rows of
    two attributes never meet (their paths start with the names), so the rows of
    the rest are the same on both sides: a patch of ``status`` walks ``status``
    only. A value is the same when its JSON text is (``true``, ``1`` and ``1.0``
    are not: Python's ``==`` would take them for one another). Where two names'
    text paths could meet (a name holding a dot, the empty name) or a value has no
    orjson text (an integer past 64 bits), the whole documents are compared.
    """
    if any(not name or "." in name for name in (*current, *new)):
        return current, new
    before: Document = {}
    after: Document = {}
    try:
        for name in current.keys() | new.keys():
            if (
                name in current
                and name in new
                and orjson.dumps(current[name]) == orjson.dumps(new[name])
            ):
                continue
            if name in current:
                before[name] = current[name]
            if name in new:
                after[name] = new[name]
    except TypeError:  # an integer past 64 bits
        return current, new
    return before, after


def _leaf_row(key: int, pair: tuple[str, Leaf]) -> list[Any]:
    """``[key, path, text, number]``, the number as its exact decimal text.

    A float's shortest text (``0.1``) is not its value
    (``0.1000000000000000055511151231257827021181583404541015625``): the row holds
    the value, as the ``jsonb`` does (``_dialect.jsonb_text``).
    """
    path, value = pair
    if isinstance(value, str):
        return [key, path, value, None]
    return [key, path, None, str(Decimal(value))]


def _json(rows: list[list[Any]]) -> str:
    """Rows as a JSON array, for ``json_array_elements``."""
    return orjson.dumps(rows).decode()
