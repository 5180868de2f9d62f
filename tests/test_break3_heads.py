"""PostgreSQL's delivery heads under concurrent writers (adversarial tests).

Two bulk creates at once, each raising deliveries to two new callbacks, but in
opposite orders across their documents: the heads they insert must not make the
writers wait for each other in a cycle (PostgreSQL would abort one with a
deadlock error, failing a valid write).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
import pytest

from tests.waiting import wait_for
from tmf683 import PostgresStore
from tmf683.storage.base import Delivery, Document


@pytest.fixture
def store(postgres_databases: Any) -> Iterator[PostgresStore]:
    opened = PostgresStore(postgres_databases.create())
    try:
        for callback in ("http://h/a", "http://h/b"):
            opened.add_subscription(
                {"id": f"S-{callback[-1]}", "callback": callback, "query": ""}
            )
        yield opened
    finally:
        opened.close()


def _outbox(
    first: str, then: str, reached: threading.Event, other: threading.Event
) -> Callable[[Document | None, Document | None], Sequence[Delivery]]:
    """Deliveries to ``first`` for the first document, to ``then`` for the second.

    Before the second document's deliveries, it says it got there (``reached``)
    and waits for the other writer to get there too (``other``), so both have
    inserted their first callback's head when they insert their second's.
    """

    def outbox(_old: Document | None, new: Document | None) -> Sequence[Delivery]:
        assert new is not None
        if new["id"].endswith("1"):
            callback = first
        else:
            reached.set()
            assert other.wait(10)
            callback = then
        return [
            Delivery(
                id=f"E-{new['id']}",
                subscription_id=f"S-{callback[-1]}",
                callback=callback,
                event={"id": new["id"]},
            )
        ]

    return outbox


def test_two_bulk_creates_raising_events_to_new_callbacks_in_other_orders(
    store: PostgresStore,
) -> None:
    reached = [threading.Event(), threading.Event()]
    failures: list[BaseException] = []

    def write(n: int, first: str, then: str) -> None:
        try:
            store.add_many(
                [{"id": f"W{n}-1"}, {"id": f"W{n}-2"}],
                _outbox(first, then, reached[n], reached[1 - n]),
            )
        except BaseException as exc:  # reported below
            failures.append(exc)

    writers = [
        threading.Thread(target=write, args=(0, "http://h/b", "http://h/a")),
        threading.Thread(target=write, args=(1, "http://h/a", "http://h/b")),
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(30)
    assert not any(thread.is_alive() for thread in writers)
    assert failures == []
    due = store.due_deliveries(10.0)
    assert sorted(d.callback for d in due) == ["http://h/a", "http://h/b"]


HOLD = 683_683
"""The advisory lock a test trigger waits for after a pass's first statement that
changes heads (a DELETE or an UPDATE, whichever comes first)."""


def _waiting_on_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def test_a_head_whose_last_delivery_goes_while_the_pass_sets_it_again(
    store: PostgresStore,
) -> None:
    """The pass sets a head again in two statements (remove it if nothing is
    pending, else set its time); the last pending delivery went in between (a
    dispatcher's attempt committed): the head must go, not fail the pass with a
    NULL time (``NotNullViolation``: "dispatcher pass failed")."""
    url = store.conninfo
    callback = "http://h/a"
    store.add(
        {"id": "A1"},
        lambda _old, new: [
            Delivery(id="E1", subscription_id="S-a", callback=callback, event={})
        ],
    )
    with psycopg.connect(url, autocommit=True) as conn:  # a retry later: head 0
        conn.execute("UPDATE event_delivery SET next_attempt_at = 50")
        conn.execute(
            "CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"PERFORM pg_advisory_lock({HOLD}); PERFORM pg_advisory_unlock({HOLD}); "
            "RETURN NULL; END $$"
        )
        conn.execute(
            "CREATE TRIGGER hold AFTER DELETE OR UPDATE ON event_delivery_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION hold()"
        )
    failures: list[BaseException] = []
    found: list[list[Delivery]] = []

    def due_pass() -> None:
        try:
            found.append(store.due_deliveries(10.0))  # the head (0) is late
        except BaseException as exc:  # reported below
            failures.append(exc)

    with (
        psycopg.connect(url, autocommit=True) as holder,
        psycopg.connect(url) as attempt,
    ):
        holder.execute("SELECT pg_advisory_lock(%s)", [HOLD])
        attempt.execute("DELETE FROM event_delivery WHERE id = 'E1'")  # delivered
        thread = threading.Thread(target=due_pass)
        thread.start()
        wait_for(lambda: _waiting_on_a_lock(url))  # the pass, after one statement
        attempt.commit()
        holder.execute("SELECT pg_advisory_unlock(%s)", [HOLD])
        thread.join(30)
    assert not thread.is_alive()
    assert failures == []
    assert found == [[]]
    with psycopg.connect(url) as conn:
        heads = conn.execute("SELECT callback FROM event_delivery_head").fetchall()
    assert heads == []  # nothing pending: no head
    assert store.due_deliveries(100.0) == []
