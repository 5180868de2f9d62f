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

import pytest

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
