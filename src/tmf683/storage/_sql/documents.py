"""The conditional writes of one document, in SQL, for both engines.

A write reads the row with its ``version`` under the write's lock (SQLite's
``BEGIN IMMEDIATE``, PostgreSQL's ``SELECT ... FOR UPDATE``: the dialect's
``lock_row``), checks the expected version there
(:func:`~tmf683.storage.base.check_version`), and writes with ``WHERE seq = ... AND
version = ...``: the check and the write are one transaction, and the statement
itself would not touch a row another write changed. Every function runs inside the
caller's transaction; SQL text here is built from module constants only.
"""

from __future__ import annotations

from collections.abc import Sequence

from tmf683._errors import NotFoundError, PreconditionFailedError
from tmf683.storage._sql.compiler import Compiled
from tmf683.storage._sql.dialect import Connection, Dialect
from tmf683.storage._sql.tables import TABLE
from tmf683.storage.base import (
    RESOURCE,
    Document,
    DocumentChange,
    ExpectedVersion,
    check_version,
)


def read(dialect: Dialect, conn: Connection, id: str) -> tuple[Document, int]:
    """The document and version of one row, read in one statement.

    Raises:
        NotFoundError: no document has that id.
    """
    key = dialect.placeholder("id")
    row = (
        conn.execute(
            f"SELECT {dialect.stored_document}, version FROM {TABLE} "  # noqa: S608
            f"WHERE id = {key}",
            {"id": id},
        ).fetchone()
        if dialect.can_hold(id)
        else None
    )
    if row is None:
        raise NotFoundError(RESOURCE, id)
    return dialect.load_stored(row[0]), int(row[1])


def read_for_write(
    dialect: Dialect, conn: Connection, id: str, expected: ExpectedVersion
) -> tuple[int, Document, int]:
    """Lock the row for the write and check its version.

    Returns:
        ``(seq, document, version)`` of the row.

    Raises:
        NotFoundError: no document has that id.
        PreconditionFailedError: the stored version is not the one expected.
    """
    key = dialect.placeholder("id")
    row = (
        conn.execute(
            f"SELECT seq, {dialect.stored_document}, version FROM {TABLE} "  # noqa: S608
            f"WHERE id = {key}{dialect.lock_row}",
            {"id": id},
        ).fetchone()
        if dialect.can_hold(id)
        else None
    )
    if row is None:
        raise NotFoundError(RESOURCE, id)
    version = int(row[2])
    check_version(RESOURCE, id, expected, version)
    return row[0], dialect.load_stored(row[1]), version


Ahead = tuple[int, str, Document] | None
"""What :func:`change_ahead` computed: ``(version, document's text, new document)``;
the text as the dialect's ``dump_document`` writes it."""


def change_ahead(
    dialect: Dialect,
    conn: Connection,
    id: str,
    change: DocumentChange,
    expected: ExpectedVersion,
) -> Ahead:
    """Run an update's change on a plain read, before the write takes its lock.

    A writer that computes the new document outside the lock holds the lock for
    the SQL and the commit only. :func:`change_again` decides under the lock
    whether the result stands.

    Args:
        dialect: the engine's rules.
        conn: a connection outside a transaction (one statement reads the row).
        id: the document's id.
        change: the update's change (run on a copy of the document).
        expected: the version the update expects; at another one, ``change`` is
            not run.

    Returns:
        ``(version, text, change(document))``; ``None`` when there is no such
        document, it is at another version than ``expected``, or ``change``
        raises: the run under the lock raises it again, or
        succeeds on a newer document.
    """
    try:
        current, version = read(dialect, conn, id)
        check_version(RESOURCE, id, expected, version)
        text = dialect.dump_document(current)
        new = change(dialect.load_document(text))
    except Exception:
        return None
    return version, text, new


def change_again(
    dialect: Dialect,
    ahead: Ahead,
    version: int,
    current: Document,
    change: DocumentChange,
) -> Document:
    """The new document of an update, under its lock, from :func:`change_ahead`.

    Args:
        dialect: the engine's rules.
        ahead: what :func:`change_ahead` computed before the lock.
        version: the row's version, read under the lock.
        current: the row's document, read under the lock.
        change: the update's change.

    Returns:
        The result computed ahead when the row holds the same document at the same
        version (the same JSON text: Python's ``==`` takes ``1``, ``1.0`` and
        ``true`` for one another, and a row deleted and added again starts at the
        same version); else ``change`` run now on a copy of ``current``.

    Raises:
        Exception: whatever ``change`` raises.
    """
    if ahead is not None and ahead[0] == version:
        text = dialect.dump_document(current)
        if text == ahead[1]:
            return ahead[2]
        return change(dialect.load_document(text))
    return change(dialect.load_document(dialect.dump_document(current)))


def rewrite(
    dialect: Dialect, conn: Connection, id: str, seq: int, version: int, new: Document
) -> int:
    """Write the new document of a row read at ``version``; return the new version.

    Raises:
        PreconditionFailedError: the row is no longer at ``version`` (not under the
            lock :func:`read_for_write` takes; a guard all the same).
    """
    at, key = dialect.placeholder("version"), dialect.placeholder("seq")
    cursor = conn.execute(
        f"UPDATE {TABLE} SET {dialect.document_assignment}, "  # noqa: S608
        f"version = version + 1 WHERE seq = {key} AND version = {at}",
        {**dialect.document_values(new), "version": version, "seq": seq},
    )
    if cursor.rowcount != 1:  # pragma: no cover - the row is locked
        raise PreconditionFailedError(RESOURCE, id, version)
    return version + 1


def remove(dialect: Dialect, conn: Connection, id: str, seq: int, version: int) -> None:
    """Delete a row read at ``version``.

    Raises:
        PreconditionFailedError: the row is no longer at ``version`` (a guard, as
            in :func:`rewrite`).
    """
    at, key = dialect.placeholder("version"), dialect.placeholder("seq")
    cursor = conn.execute(
        f"DELETE FROM {TABLE} WHERE seq = {key} AND version = {at}",  # noqa: S608
        {"version": version, "seq": seq},
    )
    if cursor.rowcount != 1:  # pragma: no cover - the row is locked
        raise PreconditionFailedError(RESOURCE, id, version)


def batch_after(
    dialect: Dialect, conn: Connection, compiled: Compiled, after: int, size: int
) -> list[tuple[int, Document]]:
    """The next ``size`` matching rows after position ``after``, in creation order.

    Args:
        dialect: the engine's rules.
        conn: a connection.
        compiled: the filter (its ``where`` and parameters; no sort).
        after: the ``seq`` of the last row read before (0 at the start).
        size: the most rows returned.

    Returns:
        ``(seq, document)`` pairs, ``seq`` increasing.
    """
    where = compiled.where.removeprefix("WHERE ")
    test = f" AND ({where})" if where else ""
    after_key, size_key = dialect.placeholder("after"), dialect.placeholder("size")
    rows = conn.execute(
        f"SELECT seq, {dialect.stored_document} FROM {TABLE} "  # noqa: S608 - see _sql
        f"WHERE seq > {after_key}{test} "
        f"ORDER BY seq LIMIT {size_key}",
        {**compiled.params, "after": after, "size": size},
    ).fetchall()
    return [(int(row[0]), dialect.load_stored(row[1])) for row in rows]


def stored_rows(
    dialect: Dialect, conn: Connection, ids: Sequence[str]
) -> dict[str, tuple[int, Document]]:
    """The stored rows of those ids, locked for the caller's write.

    Args:
        dialect: the engine's rules.
        conn: a connection inside the write transaction.
        ids: ids, each one a stored text can be (:meth:`Dialect.can_hold`).

    Returns:
        ``{id: (seq, document)}`` for the ids stored.
    """
    key = dialect.placeholder("ids")
    rows = conn.execute(
        f"SELECT id, seq, {dialect.stored_document} FROM {TABLE} "  # noqa: S608
        f"WHERE id {dialect.among(key)}{dialect.lock_row}",
        {"ids": dialect.text_list(ids)},
    ).fetchall()
    return {row[0]: (int(row[1]), dialect.load_stored(row[2])) for row in rows}


def replace_rows(
    dialect: Dialect, conn: Connection, rows: Sequence[tuple[int, Document]]
) -> None:
    """Write new documents into locked rows, each version one more.

    Args:
        dialect: the engine's rules.
        conn: a connection inside the write transaction.
        rows: ``(seq, new document)`` pairs of rows :func:`stored_rows` read.
    """
    key = dialect.placeholder("seq")
    dialect.executemany(
        conn,
        f"UPDATE {TABLE} SET {dialect.document_assignment}, "  # noqa: S608
        f"version = version + 1 WHERE seq = {key}",
        [{**dialect.document_values(new), "seq": seq} for seq, new in rows],
    )
