"""PostgreSQL's kept count of interactions (schema version 9): always exact.

The unfiltered list's count reads ``party_interaction_count`` (rows added by
statement triggers, folded now and then) instead of ``count(*)`` of the table. It
must equal ``count(*)`` in every snapshot: under concurrent writers, rollbacks,
deletes, bulk ``COPY`` writes, folds and ``TRUNCATE``, and after an upgrade from a
version-8 database.
"""

from __future__ import annotations

import threading

import psycopg
import pytest

from tmf683 import ConflictError, PostgresStore, parse_query
from tmf683.storage.postgres._counts import COMPACT_EVERY, COUNT_TABLE, COUNTED
from tmf683.storage.postgres._schema import SCHEMA_VERSION

WRITERS = 4
ROUNDS = 60


class _RolledBack(Exception):
    """Raised inside a transaction to roll it back."""


@pytest.fixture
def url(postgres_databases):
    return postgres_databases.create()


def _both(url: str) -> tuple[int, int]:
    """The kept count and ``count(*)``, in one snapshot."""
    with psycopg.connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        kept = conn.execute(COUNTED).fetchone()
        counted = conn.execute("SELECT count(*) FROM party_interaction").fetchone()
    assert kept is not None
    assert counted is not None
    return int(kept[0]), int(counted[0])


def _roll_back(conn: psycopg.Connection, new: str, old: str) -> None:
    """Insert ``new`` and delete ``old`` (both counted), then roll both back."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO party_interaction (id, document, document_text) "
            "VALUES (%s, '{}', '{}')",
            [new],
        )
        conn.execute("DELETE FROM party_interaction WHERE id = %s", [old])
        raise _RolledBack


def _listed(store: PostgresStore) -> int:
    return store.find(parse_query("limit=1")).total_count


def test_writes_deletes_and_rollbacks_keep_the_count(url):
    store = PostgresStore(url)
    try:
        store.add_many([{"id": f"A{n}"} for n in range(5)])
        store.put_many([{"id": f"B{n}"} for n in range(7)])
        store.put_many([{"id": "B1", "reason": "again"}], replace=True)
        store.delete("A0")
        with pytest.raises(ConflictError):  # rolled back: nothing counted
            store.add_many([{"id": "C0"}, {"id": "A1"}])
        with psycopg.connect(url) as conn:  # a rollback after the trigger ran
            conn.execute(
                "INSERT INTO party_interaction (id, document, document_text)"
                " VALUES ('R', '{}', '{}')"
            )
            conn.rollback()
        assert _both(url) == (11, 11)
        assert _listed(store) == 11
        assert store.find(parse_query("")).total_count == 11
        with psycopg.connect(url) as conn:
            conn.execute("TRUNCATE party_interaction CASCADE")
        assert _both(url) == (0, 0)
        store.add({"id": "D"})
        assert _listed(store) == 1
    finally:
        store.close()


def test_concurrent_writers_with_rollbacks_and_deletes_keep_it_exact(url):
    """Threads create, delete and roll back at once; readers check every snapshot.

    The writers' rows pass ``COMPACT_EVERY`` many times, so folds run while other
    writers hold rows not yet committed and while the readers read.
    """
    PostgresStore(url).close()  # the schema
    errors: list[BaseException] = []
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def write(k: int) -> None:
        try:
            with psycopg.connect(url) as conn:
                for n in range(ROUNDS):
                    with conn.transaction():
                        conn.execute(
                            "INSERT INTO party_interaction (id, document, "
                            "document_text) VALUES (%s, '{}', '{}'), "
                            "(%s, '{}', '{}')",
                            [f"W{k}-{n}", f"X{k}-{n}"],
                        )
                        if n % 3 == 0:
                            conn.execute(
                                "DELETE FROM party_interaction WHERE id = %s",
                                [f"X{k}-{n}"],
                            )
                    if n % 4 == 0:  # counted by the trigger, then rolled back
                        with pytest.raises(_RolledBack):
                            _roll_back(conn, f"Y{k}-{n}", f"W{k}-{n}")
                    if n % 5 == 0:  # refused before its trigger
                        with (
                            pytest.raises(psycopg.errors.UniqueViolation),
                            conn.transaction(),
                        ):
                            conn.execute(
                                "INSERT INTO party_interaction (id, document, "
                                "document_text) VALUES (%s, '{}', '{}'), "
                                "(%s, '{}', '{}')",
                                [f"Z{k}-{n}", f"W{k}-{n}"],
                            )
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    def read() -> None:
        try:
            while not done.is_set():
                seen.append(_both(url))
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(k,)) for k in range(WRITERS)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in writers + readers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    done.set()
    for thread in readers:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in writers + readers)
    assert errors == []
    expected = WRITERS * (2 * ROUNDS - len(range(0, ROUNDS, 3)))
    assert _both(url) == (expected, expected)
    assert all(kept == counted for kept, counted in seen)
    assert len(seen) > 1
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT count(*), max(id) FROM {COUNT_TABLE}").fetchone()
    assert rows is not None
    assert rows[1] > 2 * COMPACT_EVERY  # folds ran ...
    assert rows[0] < rows[1] // 2  # ... and kept the table small


def test_a_version_8_database_gets_its_count(url):
    first = PostgresStore(url)
    first.add_many([{"id": f"D{n}"} for n in range(3)])
    first.close()
    with psycopg.connect(url) as conn:  # as version 8 left it
        for trigger in ("added", "removed", "emptied"):
            conn.execute(f"DROP TRIGGER {COUNT_TABLE}_{trigger} ON party_interaction")
        conn.execute(f"DROP FUNCTION {COUNT_TABLE}_move()")
        conn.execute(f"DROP TABLE {COUNT_TABLE}")
        conn.execute("UPDATE tmf683_schema SET version = 8")
        conn.execute(  # written by version 8's code: not counted
            "INSERT INTO party_interaction (id, document, document_text) "
            "VALUES ('E', '{}', '{}')"
        )
    upgraded = PostgresStore(url)
    try:
        assert _listed(upgraded) == 4
        upgraded.add({"id": "F"})
        upgraded.delete("D0")
        assert _both(url) == (4, 4)
        assert _listed(upgraded) == 4
        with psycopg.connect(url) as conn:
            version = conn.execute("SELECT max(version) FROM tmf683_schema")
            assert version.fetchone() == (SCHEMA_VERSION,)
    finally:
        upgraded.close()
