"""Two PostgreSQL dispatchers and a writer at once, with retries, give-ups and trims.

One writer thread adds documents raising deliveries to three callbacks (so the
order of ``seq`` is the order of commits) with a pending limit that fails the
oldest; two dispatchers (a :class:`~tmf683.PostgresStore` each) pass and attempt
at once, their sends delivering, asking for a retry soon, or giving up, at
random. Every attempt must be of the oldest pending delivery of its callback, no
delivery or callback attempted by two at once, none delivered twice, and nothing
left pending once the writer stops.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.waiting import wait_for
from tmf683 import PostgresStore
from tmf683.storage.base import Delivery, Document
from tmf683.storage.outbox import AttemptOutcome

pytestmark = pytest.mark.slow

CALLBACKS = ("http://h/a", "http://h/b", "http://h/c")
DOCUMENTS = 150


@pytest.fixture
def url(postgres_databases: Any) -> str:
    return str(postgres_databases.create())


class Log:
    """What the dispatchers did, checked as they do it."""

    def __init__(self, url: str) -> None:
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()
        self.delivered: set[str] = set()
        self.last_seq: dict[str, int] = {}
        self.problems: list[str] = []
        self.url = url

    def send(
        self, seqs: psycopg.Connection[Any], rng: random.Random
    ) -> Callable[[Delivery], AttemptOutcome]:
        """A send that records and checks each attempt (``seqs``: to read its seq)."""

        def send(delivery: Delivery) -> AttemptOutcome:
            row = seqs.execute(
                "SELECT seq FROM event_delivery WHERE id = %s", [delivery.id]
            ).fetchone()
            assert row is not None
            seq = int(row[0])
            with self.lock:
                if self.in_flight & {delivery.id, delivery.callback}:
                    self.problems.append(f"{delivery.id} attempted twice at once")
                if delivery.id in self.delivered:
                    self.problems.append(f"{delivery.id} delivered again")
                if seq < self.last_seq.get(delivery.callback, 0):
                    self.problems.append(f"{delivery.id} ({seq}) after a later one")
                self.last_seq[delivery.callback] = seq
                self.in_flight |= {delivery.id, delivery.callback}
            draw = rng.random()
            with self.lock:
                self.in_flight -= {delivery.id, delivery.callback}
                if draw < 0.7:
                    self.delivered.add(delivery.id)
                    return AttemptOutcome(True)
            if draw < 0.92 and delivery.attempts < 3:
                return AttemptOutcome(False, time.time() + rng.random() * 0.05, "retry")
            return AttemptOutcome(False, None, "gave up")

        return send


def _pending(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM event_delivery WHERE state = 'pending'"
        ).fetchone()
    return int(row[0]) if row else -1


def test_two_dispatchers_and_a_writer_with_retries_give_ups_and_trims(url: str) -> None:
    writer = PostgresStore(url)
    writer.max_pending_per_callback = 20
    for n, callback in enumerate(CALLBACKS):
        writer.add_subscription({"id": f"S{n}", "callback": callback, "query": ""})
    log = Log(url)
    stop = threading.Event()
    errors: list[BaseException] = []

    def dispatch(k: int) -> None:
        store = PostgresStore(url)
        rng = random.Random(k)  # noqa: S311 - test data
        try:
            with psycopg.connect(url, autocommit=True) as seqs:
                send = log.send(seqs, rng)
                while not stop.is_set():
                    for delivery in store.due_deliveries(time.time(), 20):
                        store.attempt_delivery(delivery, time.time(), send)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.close()

    def outbox(_old: Document | None, new: Document | None) -> list[Delivery]:
        assert new is not None
        return [
            Delivery(
                id=f"{new['id']}-{n}",
                subscription_id=f"S{n}",
                callback=callback,
                event={"id": new["id"]},
                next_attempt_at=time.time(),
            )
            for n, callback in enumerate(CALLBACKS)
        ]

    dispatchers = [threading.Thread(target=dispatch, args=(k,)) for k in (1, 2)]
    for thread in dispatchers:
        thread.start()
    try:
        for n in range(DOCUMENTS):
            writer.add({"id": f"D{n:03d}"}, outbox)
        wait_for(lambda: _pending(url) == 0 or bool(errors), 60)
    finally:
        stop.set()
        for thread in dispatchers:
            thread.join(30)
        writer.close()
    assert errors == []
    assert log.problems == []
    assert _pending(url) == 0
    with psycopg.connect(url) as conn:
        failed = {id for (id,) in conn.execute("SELECT id FROM event_delivery")}
    assert not failed & log.delivered
    assert len(failed) + len(log.delivered) == DOCUMENTS * len(CALLBACKS)
    assert log.delivered
