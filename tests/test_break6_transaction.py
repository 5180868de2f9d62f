"""The SQLite store's own transactions (``put_many``, subscriptions, deliveries)
end cleanly when SQLite refuses them, as the group commit's do.

A failed ``COMMIT`` (a deferred foreign key a trigger breaks) leaves SQLite's
transaction open: without a rollback the thread's connection stayed inside it,
holding the file's write lock, and every later write of that thread failed with
"cannot start a transaction within a transaction". A statement that ends the
transaction itself (``RAISE(ROLLBACK)``) made the ``ROLLBACK`` fail, and its
"no transaction is active" replaced the statement's own error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tmf683 import SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "t.db")
    with sqlite3.connect(opened.path) as conn:
        conn.executescript(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
            "CREATE TABLE dangling (ref INTEGER REFERENCES parent (id)"
            " DEFERRABLE INITIALLY DEFERRED);"
            "CREATE TRIGGER poison AFTER INSERT ON party_interaction"
            " WHEN NEW.id = 'poison' BEGIN INSERT INTO dangling VALUES (1); END;"
            "CREATE TRIGGER boom BEFORE INSERT ON party_interaction"
            " WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ROLLBACK, 'boom'); END;"
        )
    yield opened
    opened.close()


def _ids(store: SQLiteStore) -> set[str]:
    with sqlite3.connect(store.path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM party_interaction")}


def test_a_failed_commit_of_put_many_leaves_no_transaction_open(
    store: SQLiteStore,
) -> None:
    store._db().execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):
        store.put_many([{"id": "poison"}, {"id": "kept-not"}])
    assert not store._db().conn.in_transaction
    assert _ids(store) == set()
    store.put_many([{"id": "next"}])
    store.add({"id": "added"})
    assert _ids(store) == {"next", "added"}


def test_a_statement_that_ends_the_transaction_reaches_the_caller(
    store: SQLiteStore,
) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        store.put_many([{"id": "boom"}])
    assert not store._db().conn.in_transaction
    store.put_many([{"id": "next"}])
    assert _ids(store) == {"next"}
