"""PostgreSQL's due pass reads the heads oldest first (schema version 9).

Each head keeps a ``seq`` no greater than its callback's oldest pending
delivery's; the pass reads the due heads in that order, ``limit + 1`` at a time,
and stops once it has the ``limit`` oldest due deliveries. These tests check that
it returns exactly the oldest due heads in ``seq`` order (the in-memory outbox's
answer) when heads' ``seq`` lag behind (deliveries went), when rows are being
sent by another dispatcher, when a row older than the head becomes pending, and
after the upgrade from version 8.
"""

from __future__ import annotations

from typing import Any

import psycopg

from tests.test_due_heads import _due, _fill
from tmf683 import PostgresStore
from tmf683.storage.base import Delivery
from tmf683.storage.postgres._schema import SCHEMA_VERSION

CALLBACKS = 12
HEADS = "event_delivery_head"


def _expected(
    url: str, now: float, limit: int, held: tuple[str, ...] = ()
) -> list[str]:
    """The oldest due pending delivery per callback, oldest first, by SQL."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id FROM (SELECT DISTINCT ON (callback) id, seq, next_attempt_at "
            "FROM event_delivery WHERE state = 'pending' ORDER BY callback, seq) AS f "
            "WHERE next_attempt_at <= %s AND NOT id = ANY(%s) ORDER BY seq LIMIT %s",
            [now, list(held), limit],
        ).fetchall()
    return [id for (id,) in rows]


def _bounds_hold(url: str) -> bool:
    """Every head's ``seq`` is at most its callback's oldest pending ``seq``."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {HEADS} AS h WHERE h.seq > (SELECT min(seq) "
            "FROM event_delivery WHERE state = 'pending' AND callback = h.callback)"
        ).fetchone()
    return row == (0,)


def _add(store: PostgresStore, n: int) -> None:
    """One interaction raising a delivery to each callback, the order shuffled."""
    order = [(k * 5 + n) % CALLBACKS for k in range(CALLBACKS)]
    deliveries = [
        Delivery(
            id=f"D{n}-{k}",
            subscription_id=f"S{k}",
            callback=f"http://h/{k}",
            event={"e": n},
        )
        for k in order
    ]
    store.add({"id": f"I{n}"}, lambda old, new: deliveries)


def _ids(deliveries: list[Delivery]) -> list[str]:
    return [d.id for d in deliveries]


def test_the_pass_returns_the_oldest_due_heads_in_order(
    postgres_opened: tuple[PostgresStore, str],
) -> None:
    store, url = postgres_opened
    for k in range(CALLBACKS):
        store.add_subscription({"id": f"S{k}", "callback": f"http://h/{k}"})
    for n in range(4):
        _add(store, n)
    for limit in (1, 3, 5, 100):
        assert _ids(store.due_deliveries(10.0, limit)) == _expected(url, 10.0, limit)
    for delivery in store.due_deliveries(10.0, 4):  # their heads' seq now lag
        store.record_attempt(delivery.id, delivered=True)
    first = store.due_deliveries(10.0, 2)
    store.record_attempt(first[1].id, delivered=False, next_attempt_at=50.0, error="x")
    for limit in (1, 3, 5, 100):
        assert _ids(store.due_deliveries(10.0, limit)) == _expected(url, 10.0, limit)
        assert _ids(store.due_deliveries(60.0, limit)) == _expected(url, 60.0, limit)
    assert _bounds_hold(url)
    with psycopg.connect(url) as sender:  # another dispatcher sends the 2 oldest
        held = tuple(_expected(url, 10.0, 2))
        sender.execute(
            "SELECT 1 FROM event_delivery WHERE id = ANY(%s) FOR UPDATE", [list(held)]
        )
        for limit in (1, 3, 100):
            got = _ids(store.due_deliveries(10.0, limit))
            assert got == _expected(url, 10.0, limit, held)


def test_a_row_older_than_its_head_lowers_the_head(
    postgres_opened: tuple[PostgresStore, str],
) -> None:
    store, url = postgres_opened
    store.add_subscription({"id": "S0", "callback": "http://h/0"})
    store.add_subscription({"id": "S1", "callback": "http://h/1"})
    _older = Delivery(id="OLD", subscription_id="S0", callback="http://h/0", event={})
    store.add({"id": "I0"}, lambda old, new: [_older])
    store.record_attempt("OLD", delivered=False, error="gone")  # failed for good
    newer = [
        Delivery(
            id=f"N{k}", subscription_id=f"S{k}", callback=f"http://h/{k}", event={}
        )
        for k in (1, 0)
    ]
    store.add({"id": "I1"}, lambda old, new: newer)
    assert _ids(store.due_deliveries(10.0, 1)) == _expected(url, 10.0, 1)
    with psycopg.connect(url) as conn:  # pending again (a restore, say), at 5
        conn.execute(
            "UPDATE event_delivery SET state = 'pending', next_attempt_at = 5 "
            "WHERE id = 'OLD'"
        )
    assert _bounds_hold(url)
    assert _ids(store.due_deliveries(10.0, 1)) == ["OLD"]
    assert _ids(store.due_deliveries(1.0, 5)) == _expected(url, 1.0, 5) == ["N1"]


def test_a_version_8_database_gets_the_order_of_its_heads(
    postgres_databases: Any,
) -> None:
    url = postgres_databases.create()
    store = PostgresStore(url)
    _fill(store)
    expected = _due(store)
    store.close()
    with psycopg.connect(url) as conn:  # as version 8 left it (no seq, no index)
        conn.execute(f"ALTER TABLE {HEADS} DROP COLUMN seq")
        conn.execute("UPDATE tmf683_schema SET version = 8")
    upgraded = PostgresStore(url)
    try:
        with psycopg.connect(url) as conn:
            heads = conn.execute(
                f"SELECT h.callback FROM {HEADS} AS h WHERE h.seq = (SELECT min(seq) "
                "FROM event_delivery WHERE state = 'pending' "
                "AND callback = h.callback)"
            ).fetchall()
            index = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = %s",
                [f"{HEADS}_order_idx"],
            ).fetchone()
        assert len(heads) == len(expected[-1])  # every head at its oldest
        assert index == (1,)
        assert _due(upgraded) == expected
    finally:
        upgraded.close()
    with psycopg.connect(url) as conn:
        versions = conn.execute("SELECT version FROM tmf683_schema").fetchall()
    assert versions == [(SCHEMA_VERSION,)]
