"""The bulk write of :meth:`PostgresStore.put_many` (``tmf683 import``), by ``COPY``.

One batch is one transaction, in the caller's connection:

1. The stored rows of the batch's ids are locked (``FOR UPDATE``), reading their
   ``seq`` only, in the order of ``id``: writers of the same stored ids (two
   imports with ``replace``) then wait for each other in turn. (Locked in the
   plan's order, a heap's that moves as rows are rewritten, two of them took the
   same locks in other orders and PostgreSQL failed one: ``deadlock detected``.)
2. New ids: ``COPY`` straight into the table (no statement per row), then one
   ``SELECT`` of their ``seq``. A writer adding one of these ids meanwhile makes
   the ``COPY`` fail on the unique index, and the whole batch with it; so does one
   adding some of them in another order (PostgreSQL fails one of the two for the
   cycle of their waits on the unique index): a ``ConflictError`` either way.
3. Replaced ids (``replace``): ``COPY`` into a temporary staging table, then one
   ``UPDATE ... FROM`` it; their old leaf rows are deleted.
4. The leaf rows (:mod:`tmf683.storage._sql.leaves`) of every row written, by
   ``COPY``.

SQL text here is built from module constants only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from tmf683._errors import ConflictError
from tmf683.storage._sql.tables import TABLE
from tmf683.storage._sql.text_index import TEXT_TABLE
from tmf683.storage.base import RESOURCE, Document
from tmf683.storage.postgres._dialect import DIALECT
from tmf683.storage.postgres._rows import (
    copy_rows,
    delete_leaves,
    write_leaves,
    write_texts,
)

STAGING = "tmf683_put_many"
"""The session's temporary table of the replaced documents (emptied at commit)."""


def put_rows(
    conn: psycopg.Connection[Any], chosen: Sequence[Document], *, replace: bool
) -> int:
    """Write documents by id in the caller's transaction, no events.

    Args:
        conn: a connection inside the write transaction.
        chosen: documents with ``"id"``, each id once, each one PostgreSQL can
            hold (:meth:`Dialect.can_hold`).
        replace: replace the stored documents of ids already there (else keep
            them).

    Returns:
        How many documents were written (new ones, and the replaced ones).

    Raises:
        psycopg.errors.UniqueViolation: another writer added one of the new ids
            meanwhile; the transaction is to be rolled back.
        ConflictError: another writer was adding some of the new ids in another
            order (``deadlock detected``); the same.
    """
    ids = [document["id"] for document in chosen]
    stored: dict[str, int] = dict(
        conn.execute(
            f"SELECT id, seq FROM {TABLE} WHERE id = ANY(%s) "  # noqa: S608
            "ORDER BY id FOR UPDATE",
            [ids],
        ).fetchall()
    )
    new = [document for document in chosen if document["id"] not in stored]
    replaced = (
        [(stored[doc["id"]], doc) for doc in chosen if doc["id"] in stored]
        if replace
        else []
    )
    if replaced:
        _replace(conn, replaced)
    written = [*replaced, *_copy_new(conn, new)] if new else replaced
    write_leaves(conn, written)
    write_texts(conn, written)
    return len(written)


def _copy_new(
    conn: psycopg.Connection[Any], new: Sequence[Document]
) -> list[tuple[int, Document]]:
    """``COPY`` new rows into the table; return ``(seq, document)`` of each.

    Raises:
        ConflictError: another writer was adding some of the same ids in another
            order: each waited on the unique index for an id the other had
            added, and PostgreSQL failed this one (``deadlock detected``).
    """
    try:
        copy_rows(
            conn,
            TABLE,
            "id, document, document_text",
            (_row(document["id"], document) for document in new),
        )
    except pg_errors.DeadlockDetected as exc:
        raise ConflictError(RESOURCE, ",".join(d["id"] for d in new)) from exc
    seqs: dict[str, int] = dict(
        conn.execute(
            f"SELECT id, seq FROM {TABLE} WHERE id = ANY(%s)",  # noqa: S608
            [[document["id"] for document in new]],
        ).fetchall()
    )
    return [(seqs[document["id"]], document) for document in new]


def _replace(
    conn: psycopg.Connection[Any], replaced: Sequence[tuple[int, Document]]
) -> None:
    """New documents into locked rows (each version one more), side rows dropped."""
    conn.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} "
        "(seq bigint NOT NULL, document jsonb NOT NULL, document_text text NOT NULL) "
        "ON COMMIT DELETE ROWS"
    )
    copy_rows(
        conn,
        STAGING,
        "seq, document, document_text",
        (_row(seq, document) for seq, document in replaced),
    )
    conn.execute(
        f"UPDATE {TABLE} AS t SET document = s.document, "  # noqa: S608
        "document_text = s.document_text, version = t.version + 1 "
        f"FROM {STAGING} AS s WHERE t.seq = s.seq"
    )
    delete_leaves(conn, [seq for seq, _ in replaced])
    conn.execute(
        f"DELETE FROM {TEXT_TABLE} WHERE seq = ANY(%s)",  # noqa: S608
        [[seq for seq, _ in replaced]],
    )


def _row(key: Any, document: Document) -> tuple[Any, str, str]:
    """``(key, jsonb text, wire text)``: a ``COPY`` row of a document."""
    values = DIALECT.document_values(document)
    return key, values["document"], values["document_text"]
