"""Events once: every event of a real server reaches a real receiver exactly once.

No crash, so no event may repeat: each ``eventId`` arrives once, and when the server
has stopped (a clean stop waits for the attempts in flight) nothing is left pending
that could be sent again. Run on the live path (events delivered while they are
raised) and on a backlog (raised with no dispatcher, then drained), on every store.
"""

import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.servers import ServerProcess, dispatcher_process
from tmf683 import open_store

pytestmark = pytest.mark.slow

EVENTS = 500
CREATE_EVENT = "PartyInteractionCreateEvent"


def _create(base: str, count: int) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:

        def one(_: int) -> None:
            client.post("partyInteraction", json=MINIMAL).raise_for_status()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(count)))


def _register(base: str, callback: str) -> None:
    response = httpx.post(
        f"{base}hub",
        json={"callback": callback, "query": f"eventType={CREATE_EVENT}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def _assert_once(events: list[dict[str, Any]], db: str | None) -> None:
    counts = Counter(event["eventId"] for event in events)
    repeated = {event_id: n for event_id, n in counts.items() if n > 1}
    assert not repeated, f"{len(repeated)} events delivered more than once"
    assert len(counts) == EVENTS
    if db is not None:  # nothing left to send again
        store = open_store(db)
        try:
            assert store.due_deliveries(float("inf"), 10_000) == []
        finally:
            store.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_db(request, tmp_path) -> str:
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return str(tmp_path / "once.db")
    return str(request.getfixturevalue("postgres_databases").create())


def test_events_raised_while_delivering_arrive_once(any_db):
    with receiving() as receiver:
        with ServerProcess("--db", any_db) as server:
            _register(server.base, receiver.url)
            _create(server.base, EVENTS)
            receiver.wait_for(EVENTS, 120)
        # the server has stopped: every attempt it made has ended
        _assert_once(receiver.events, None if any_db == "memory:" else any_db)


def test_a_backlog_is_drained_once(database):
    with receiving() as receiver:
        with ServerProcess("--db", database, "--no-dispatcher") as server:
            _register(server.base, receiver.url)
            _create(server.base, EVENTS)
        assert receiver.events == []
        with ServerProcess("--db", database):
            receiver.wait_for(EVENTS, 120)
        _assert_once(receiver.events, database)


def test_a_server_and_a_dispatcher_on_one_database_send_each_event_once(database):
    """Two dispatchers (the server's and ``tmf683-dispatcher``) share one outbox.

    On SQLite they used to send about half the events twice: nothing kept one
    process from sending what the other was sending.
    """
    with receiving() as receiver:
        with (
            ServerProcess("--db", database) as server,
            dispatcher_process("--db", database),
        ):
            _register(server.base, receiver.url)
            _create(server.base, EVENTS)
            receiver.wait_for(EVENTS, 120)
        _assert_once(receiver.events, database)


def test_after_a_kill_only_the_event_in_flight_may_repeat(database):
    """SIGKILL mid-delivery: every event still arrives; at most the one attempt in
    flight (one callback: one at a time) arrives twice, with the same eventId."""
    with receiving() as receiver:
        with ServerProcess("--db", database, "--no-dispatcher") as server:
            _register(server.base, receiver.url)
            _create(server.base, EVENTS)
        killed = ServerProcess("--db", database)
        try:
            receiver.wait_for(EVENTS // 5, 60)
        finally:
            killed.stop(signal.SIGKILL)
        assert len(receiver.events) < EVENTS
        with ServerProcess("--db", database), receiver.changed:
            receiver.changed.wait_for(
                lambda: len({e["eventId"] for e in receiver.events}) >= EVENTS, 120
            )
        counts = Counter(event["eventId"] for event in receiver.events)
        assert len(counts) == EVENTS
        assert sum(n - 1 for n in counts.values()) <= 1
