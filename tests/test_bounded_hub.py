"""A bounded hub: a limit on subscriptions, and a callback down for good fails fast.

Real servers (both versions' hubs) on SQLite and PostgreSQL, a real dispatcher and
a real receiver on loopback.
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.servers import ServerProcess, dispatcher_process
from tests.waiting import wait_for
from tmf683 import open_store
from tmf683.storage.base import FAILED_BEHIND, TRIMMED, Delivery

LIMIT = 5


def _hub(version: str, callback: str) -> dict[str, str]:
    return {"callback": callback, **({"@type": "Hub"} if version == "v5" else {})}


def test_registrations_beyond_the_limit_get_a_tmf_error(database):
    with ServerProcess("--db", database, "--max-subscriptions", str(LIMIT)) as server:

        def register(n: int) -> httpx.Response:
            version = ("v4", "v5")[n % 2]
            return httpx.post(
                f"{server.bases[version]}hub",
                json=_hub(version, f"http://127.0.0.1:9/listener/{n}"),
                timeout=10,
            )

        with ThreadPoolExecutor(8) as pool:  # at once: the count holds under races
            answers = list(pool.map(register, range(3 * LIMIT)))
        assert sorted(a.status_code for a in answers) == [201] * LIMIT + [409] * (
            2 * LIMIT
        )
        refused = next(a for a in answers if a.status_code == 409)
        assert refused.json()["code"] == "tooManySubscriptions"
        assert str(LIMIT) in refused.json()["message"]
        # removing one makes room for one
        created = next(a for a in answers if a.status_code == 201)
        hub = server.bases["v5" if "@type" in created.json() else "v4"]
        removed = httpx.delete(f"{hub}hub/{created.json()['id']}", timeout=10)
        assert removed.status_code == 204
        assert register(0).status_code == 201
        assert register(1).status_code == 409


@pytest.mark.slow
def test_a_callback_down_for_good_fails_its_queue_at_once(database):
    """The head gives up after its attempts; the events behind it fail with it."""
    queued = 50
    with receiving() as receiver:
        url = receiver.url
    # the receiver is closed: its port refuses every connection
    with ServerProcess("--db", database, "--no-dispatcher") as server:
        assert (
            httpx.post(f"{server.base}hub", json={"callback": url}).status_code == 201
        )
        for _ in range(queued):
            httpx.post(
                f"{server.base}partyInteraction", json=MINIMAL
            ).raise_for_status()
    fast = ("--max-attempts", "2", "--retry-first-delay", "0.05")
    with ServerProcess("--db", database, *fast):
        store = open_store(database)
        try:
            wait_for(lambda: len(store.failed_deliveries()) == queued, 30)
            failed = store.failed_deliveries()
        finally:
            store.close()
    assert failed[0].attempts == 2
    assert {d.last_error for d in failed[1:]} == {FAILED_BEHIND}
    assert {d.attempts for d in failed[1:]} == {0}


@pytest.mark.slow
def test_past_the_pending_limit_the_oldest_events_fail_and_the_newest_go(database):
    limit, created = 10, 25
    with receiving() as receiver:
        bounded = ("--max-pending-per-callback", str(limit))
        with ServerProcess("--db", database, "--no-dispatcher", *bounded) as server:
            registered = httpx.post(
                f"{server.base}hub", json={"callback": receiver.url}
            )
            assert registered.status_code == 201
            ids = []
            for _ in range(created):
                answer = httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
                ids.append(answer.json()["id"])
        store = open_store(database)
        try:
            failed = store.failed_deliveries()
        finally:
            store.close()
        assert len(failed) == created - limit
        assert [d.event["event"]["partyInteraction"]["id"] for d in failed] == ids[
            : created - limit
        ]
        with ServerProcess("--db", database, *bounded):
            events = receiver.wait_for(limit, 30)
        assert [e["event"]["partyInteraction"]["id"] for e in events] == ids[-limit:]


FAILED_CAP = 3


def _per_callback(failed: list[Delivery]) -> dict[str, list[str]]:
    """The interaction ids of each callback's failed events, oldest first."""
    kept: dict[str, list[str]] = {}
    for delivery in failed:
        interaction = delivery.event["event"]["partyInteraction"]["id"]
        kept.setdefault(delivery.callback, []).append(interaction)
    return kept


def _dead_callbacks(count: int) -> list[str]:
    with receiving() as receiver:
        url = receiver.url
    # the receiver is closed: its port refuses every connection
    return [f"{url}/{n}" for n in range(count)]


@pytest.mark.slow
@pytest.mark.parametrize("deliverer", ["server", "tmf683-dispatcher"])
def test_a_dead_callback_keeps_at_most_its_failed_limit(database, deliverer):
    """However many events fail, each callback keeps its newest FAILED_CAP."""
    callbacks, created = _dead_callbacks(2), 20
    capped = ("--max-failed-per-callback", str(FAILED_CAP))
    fast = ("--max-attempts", "2", "--retry-first-delay", "0.05")
    own = deliverer == "server"
    server_args = (*capped, *fast) if own else ("--no-dispatcher",)
    with contextlib.ExitStack() as running:
        server = running.enter_context(ServerProcess("--db", database, *server_args))
        if not own:  # the server keeps the default limit: the dispatcher's applies
            running.enter_context(dispatcher_process("--db", database, *capped, *fast))
        for callback in callbacks:
            answer = httpx.post(f"{server.base}hub", json={"callback": callback})
            assert answer.status_code == 201
        ids = []
        for _ in range(created):
            answer = httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
            ids.append(answer.json()["id"])
        store = running.enter_context(contextlib.closing(open_store(database)))
        most = 0

        def all_failed() -> bool:
            nonlocal most
            kept = _per_callback(store.failed_deliveries())
            most = max([most, *map(len, kept.values())])
            return all(kept.get(c, [""])[-1] == ids[-1] for c in callbacks)

        wait_for(all_failed, 60)
        kept = _per_callback(store.failed_deliveries())
    assert most <= FAILED_CAP  # at every look, not only at the end
    assert kept == dict.fromkeys(callbacks, ids[-FAILED_CAP:])


@pytest.mark.slow
def test_past_the_pending_limit_the_failed_limit_holds_too(database):
    with receiving() as receiver:
        limits = ("--max-pending-per-callback", "2", "--max-failed-per-callback", "3")
        with ServerProcess("--db", database, "--no-dispatcher", *limits) as server:
            answer = httpx.post(f"{server.base}hub", json={"callback": receiver.url})
            assert answer.status_code == 201
            ids = []
            for _ in range(10):
                answer = httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
                ids.append(answer.json()["id"])
        with contextlib.closing(open_store(database)) as store:
            failed = store.failed_deliveries()
        # the queue kept the newest 2; of the 8 trimmed from it, the newest 3 stay
        assert {d.last_error for d in failed} == {TRIMMED}
        assert _per_callback(failed) == {receiver.url: ids[-5:-2]}
