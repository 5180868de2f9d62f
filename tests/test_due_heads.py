"""The due lookup from SQLite's head table answers what the in-memory outbox does.

SQLite keeps each callback's oldest pending delivery in ``event_delivery_head``
(triggers on every outbox change); the due lookup reads it. Any sequence of writes,
deliveries, retries, give-ups and removals must leave the due lookup answering as
the memory store (the oracle) and PostgreSQL (which probes every callback) do; and
a file from before the table gets it filled from its pending rows.
"""

from __future__ import annotations

import itertools
import sqlite3
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import postgres
from tmf683 import MemoryStore, PostgresStore, SQLiteStore
from tmf683.storage.base import Delivery, PartyInteractionStore
from tmf683.storage.postgres._schema import SCHEMA_VERSION as POSTGRES_VERSION
from tmf683.storage.sqlite._schema import SCHEMA_VERSION as SQLITE_VERSION

CALLBACKS = 3
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "deliver", "retry", "give up", "unsubscribe"]),
        st.integers(0, CALLBACKS - 1),
        st.integers(1, 3),
        st.sampled_from([5.0, 20.0]),
    ),
    max_size=25,
)
MOMENTS = (0.0, 10.0, float("inf"))


def _subscribe(store: PartyInteractionStore) -> None:
    for k in range(CALLBACKS):
        for suffix in ("a", "b"):
            store.add_subscription(
                {"id": f"S{k}{suffix}", "callback": f"http://h/{k}", "query": ""}
            )


def _apply(
    store: PartyInteractionStore, operation: tuple[str, int, int, float], n: int
) -> None:
    action, k, count, at = operation
    callback = f"http://h/{k}"
    if action == "add":
        deliveries = [
            Delivery(
                id=f"D{n}-{i}",
                subscription_id=f"S{k}{'ab'[i % 2]}",
                callback=callback,
                event={"eventId": f"D{n}-{i}"},
            )
            for i in range(count)
        ]
        store.add({"id": f"I{n}"}, lambda old, new: deliveries)
        return
    if action == "unsubscribe":
        subscription = f"S{k}{'ab'[count % 2]}"
        store.delete_subscription(subscription)
        store.add_subscription({"id": subscription, "callback": callback, "query": ""})
        return
    heads = [d for d in store.due_deliveries(float("inf")) if d.callback == callback]
    if not heads:
        return
    (head,) = heads
    if action == "deliver":
        store.record_attempt(head.id, delivered=True)
    elif action == "retry":
        store.record_attempt(head.id, delivered=False, next_attempt_at=at, error="x")
    else:
        store.record_attempt(head.id, delivered=False, error="gone")


def _due(store: PartyInteractionStore) -> list[list[tuple[str, float]]]:
    return [
        [(d.id, d.next_attempt_at) for d in store.due_deliveries(now, limit)]
        for now in MOMENTS
        for limit in (1, 100)
    ]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(OPERATIONS)
def test_sqlite_and_postgres_due_lookups_agree_with_the_memory_outbox(
    tmp_path_factory, postgres_url, operations
):
    postgres.empty(postgres_url)
    stores: list[PartyInteractionStore] = [
        MemoryStore(),
        SQLiteStore(tmp_path_factory.mktemp("due") / "due.db"),
        PostgresStore(postgres_url),
    ]
    try:
        for store in stores:
            _subscribe(store)
        for n, operation in enumerate(operations):
            for store in stores:
                _apply(store, operation, n)
            expected = _due(stores[0])
            assert _due(stores[1]) == expected, "sqlite"
            assert _due(stores[2]) == expected, "postgres"
        failed = [d.id for d in stores[0].failed_deliveries()]
        assert [d.id for d in stores[1].failed_deliveries()] == failed
    finally:
        for store in stores:
            store.close()


def _fill(store: PartyInteractionStore) -> None:
    _subscribe(store)
    for n, k in zip(range(12), itertools.cycle(range(CALLBACKS)), strict=False):
        _apply(store, ("add", k, 2, 0.0), n)
    _apply(store, ("deliver", 0, 1, 0.0), 12)
    _apply(store, ("retry", 1, 1, 20.0), 13)


def test_a_version_4_sqlite_file_gets_its_heads_from_the_pending_rows(tmp_path):
    path = tmp_path / "v4.db"
    store = SQLiteStore(path)
    _fill(store)
    expected = _due(store)
    store.close()
    connection = sqlite3.connect(path)  # as version 4 left it
    for trigger in ("insert", "delete", "update", "pending"):
        connection.execute(f"DROP TRIGGER event_delivery_head_{trigger}")
    for trigger in ("insert", "update", "delete"):
        connection.execute(f"DROP TRIGGER event_subscription_{trigger}")
    connection.execute("DROP TABLE event_delivery_head")
    connection.execute("DROP TABLE event_subscription_generation")
    connection.execute("PRAGMA user_version = 4")
    connection.commit()
    connection.close()
    upgraded = SQLiteStore(path)
    try:
        assert _due(upgraded) == expected
        assert len(expected[-1]) == CALLBACKS  # one head each, one not due at 10
        assert len(expected[3]) == CALLBACKS - 1  # at 10, limit 100
        before = upgraded.subscription_generation()
        upgraded.delete_subscription("S0a")
        assert upgraded.subscription_generation() != before
    finally:
        upgraded.close()
    connection = sqlite3.connect(path)
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
    finally:
        connection.close()
    assert version == SQLITE_VERSION


def test_a_version_3_postgres_database_gets_the_generation(postgres_databases):
    url = postgres_databases.create()
    store = PostgresStore(url)
    _fill(store)
    expected = _due(store)
    store.close()
    with psycopg.connect(url) as conn:  # as version 3 left it
        conn.execute("DROP TRIGGER event_subscription_changed ON event_subscription")
        conn.execute("DROP FUNCTION event_subscription_generation_move()")
        conn.execute("DROP TABLE event_subscription_generation")
        conn.execute("UPDATE tmf683_schema SET version = 3")
    upgraded = PostgresStore(url)
    try:
        assert _due(upgraded) == expected
        before = upgraded.subscription_generation()
        upgraded.add_subscription({"id": "new", "callback": "http://h/", "query": ""})
        assert upgraded.subscription_generation() != before
    finally:
        upgraded.close()
    with psycopg.connect(url) as conn:
        rows: Any = conn.execute("SELECT version FROM tmf683_schema").fetchall()
    assert rows == [(POSTGRES_VERSION,)]
