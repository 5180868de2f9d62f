"""PostgreSQL's ``event_delivery_head``: the due pass reads the heads that are due.

Each callback with pending deliveries has a head whose time is no later than its
oldest pending delivery's (:mod:`tmf683.storage.postgres._outbox`). These tests
check that rule after every kind of change (add, deliver, retry, give up, trim,
unregister), against a writer whose rows are not committed yet, for two writers
adding a callback's first deliveries at once, and after the upgrade from
version 6, which fills the heads from the pending rows.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs
import psycopg

from tests.test_due_heads import _apply, _due, _fill, _subscribe
from tests.waiting import wait_for
from tmf683 import MemoryStore, PostgresStore
from tmf683.storage.base import Delivery
from tmf683.storage.postgres._schema import SCHEMA_VERSION

HEADS = "event_delivery_head"
CHECKS = "event_delivery_head_check"


def _heads(url: str) -> dict[str, float]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT callback, next_attempt_at FROM {HEADS}")
        return dict(rows.fetchall())


def _oldest(url: str) -> dict[str, float]:
    """Each callback's oldest pending delivery's due time."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (callback) callback, next_attempt_at "
            "FROM event_delivery WHERE state = 'pending' ORDER BY callback, seq"
        )
        return dict(rows.fetchall())


def _check_heads(url: str) -> None:
    """Every callback with pending rows has a head no later than its oldest's,
    whose ``seq`` (schema 9) is no greater than its oldest's."""
    heads, oldest = _heads(url), _oldest(url)
    with psycopg.connect(url) as conn:
        checked = {cb for (cb,) in conn.execute(f"SELECT callback FROM {CHECKS}")}
        ahead = conn.execute(
            f"SELECT h.callback FROM {HEADS} AS h WHERE h.seq > (SELECT min(seq) "
            "FROM event_delivery WHERE state = 'pending' AND callback = h.callback)"
        ).fetchall()
    assert ahead == []
    for callback, due in oldest.items():
        assert callback in heads, callback
        assert heads[callback] <= due or callback in checked, callback


def _waiting_on_a_lock(url: str) -> bool:
    """Whether a session of the database waits for a lock."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def _deliveries(callback: str, *ids: str) -> list[Delivery]:
    return [
        Delivery(id=id, subscription_id="S0a", callback=callback, event={"e": id})
        for id in ids
    ]


def test_heads_follow_every_change_of_the_outbox(
    postgres_opened: tuple[PostgresStore, str],
) -> None:
    store, url = postgres_opened
    oracle = MemoryStore()
    for each in (oracle, store):
        _subscribe(each)
        each.max_pending_per_callback = 3
    operations = [
        ("add", 0, 2, 0.0),
        ("add", 1, 1, 0.0),
        ("retry", 0, 1, 20.0),  # the head waits: its head's time goes to 20
        ("add", 0, 1, 0.0),
        ("deliver", 1, 1, 0.0),  # nothing left: the head goes
        ("unsubscribe", 0, 0, 0.0),  # the waiting head goes: the next is due now
        ("add", 2, 3, 0.0),
        ("retry", 2, 1, 5.0),
        ("add", 2, 2, 0.0),  # past 3 pending: the waiting head is trimmed
        ("give up", 0, 1, 0.0),
        ("add", 1, 2, 0.0),
    ]
    for n, operation in enumerate(operations):
        for each in (oracle, store):
            _apply(each, operation, n)
        _check_heads(url)
        assert _due(store) == _due(oracle), operation
        _check_heads(url)
    assert set(_heads(url)) == set(_oldest(url))  # the passes removed empty heads


def test_a_waiting_head_that_goes_lets_the_next_one_be_due(
    postgres_opened: tuple[PostgresStore, str],
) -> None:
    store, url = postgres_opened
    _subscribe(store)
    callback = "http://h/0"
    first, second = _deliveries(callback, "D1", "D2")
    second = attrs.evolve(second, subscription_id="S0b")
    store.add({"id": "I1"}, lambda old, new: [first, second])
    store.record_attempt("D1", delivered=False, next_attempt_at=50.0, error="x")
    assert store.due_deliveries(10.0) == []  # the pass sets the head's time to 50
    assert _heads(url) == {callback: 50.0}
    store.delete_subscription("S0a")  # D1 goes while waiting
    assert [d.id for d in store.due_deliveries(10.0)] == ["D2"]
    assert _heads(url) == {callback: 0.0}


def test_a_pass_does_not_drop_the_head_of_a_row_not_yet_committed(
    postgres_opened: tuple[PostgresStore, str],
) -> None:
    store, url = postgres_opened
    _subscribe(store)
    callback = "http://h/0"
    store.add({"id": "I1"}, lambda old, new: _deliveries(callback, "D1"))
    with psycopg.connect(url) as writer:  # adds D2, not committed yet
        writer.execute(
            "INSERT INTO event_delivery (id, subscription_id, callback, event) "
            "VALUES ('D2', 'S0a', %s, '{}')",
            [callback],
        )
        store.record_attempt("D1", delivered=True)
        assert store.due_deliveries(10.0) == []  # D2 is not visible: nothing due
        assert _heads(url) == {callback: 0.0}  # held by the writer: kept
    assert [d.id for d in store.due_deliveries(10.0)] == ["D2"]


def test_two_writers_adding_the_first_rows_of_a_callback(
    postgres_opened: tuple[PostgresStore, str],
) -> None:
    store, url = postgres_opened
    _subscribe(store)
    insert = (
        "INSERT INTO event_delivery (id, subscription_id, callback, event) "
        "VALUES (%s, 'S0a', 'http://h/new', '{}')"
    )
    failures: list[BaseException] = []
    with psycopg.connect(url) as first:
        first.execute(insert, ["D1"])

        def second_writer() -> None:
            try:
                with psycopg.connect(url) as second:
                    second.execute(insert, ["D2"])  # waits for the first's head
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        thread = threading.Thread(target=second_writer)
        thread.start()
        wait_for(lambda: _waiting_on_a_lock(url))  # on the first one's head
    thread.join(30)
    assert not thread.is_alive()
    assert not failures
    assert _heads(url) == {"http://h/new": 0.0}
    assert [d.id for d in store.due_deliveries(10.0)] == ["D1"]


def test_a_version_6_database_gets_its_heads_from_the_pending_rows(
    postgres_databases: Any,
) -> None:
    url = postgres_databases.create()
    store = PostgresStore(url)
    _fill(store)
    expected = _due(store)
    store.close()
    oldest = _oldest(url)
    with psycopg.connect(url) as conn:  # as version 6 left it
        for trigger in ("insert", "pending", "gone", "left"):
            conn.execute(f"DROP TRIGGER {HEADS}_{trigger} ON event_delivery")
        conn.execute(f"DROP FUNCTION {HEADS}_lower(), {HEADS}_check()")
        conn.execute(f"DROP TABLE {HEADS}, {CHECKS}")
        conn.execute("UPDATE tmf683_schema SET version = 6")
    upgraded = PostgresStore(url)
    try:
        assert _heads(url) == oldest
        assert _due(upgraded) == expected
    finally:
        upgraded.close()
    with psycopg.connect(url) as conn:
        versions = conn.execute("SELECT version FROM tmf683_schema").fetchall()
    assert versions == [(SCHEMA_VERSION,)]
