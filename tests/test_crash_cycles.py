"""Writers on 8 threads and hub subscribers of both versions while the server is
killed (SIGKILL) and restarted, on SQLite and on PostgreSQL (issue 11, "Crash cycles").

After the last restart:

- every acknowledged write is there in its acknowledged state, and an interaction
  whose last write was not acknowledged is in the state before or after that write,
  never between, readable through both versions;
- an interaction no acknowledged create made comes from an unacknowledged create,
  whole;
- every event of every acknowledged write reaches each subscriber, in its version's
  envelope; an event that comes twice has the same ``eventId`` both times.
"""

from __future__ import annotations

import random
import signal
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.receiver import Receiver, receiving
from tests.servers import ServerProcess

pytestmark = pytest.mark.slow

WRITERS = 8
ACKED_PER_CYCLE = 40
FAST = ("--retry-first-delay", "0.2")
V5_HUB = {"@type": "Hub"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Ledger:
    """What the writers know: acknowledged states, events due, ambiguous writes."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    acked: int = 0
    state: dict[str, str | None] = field(
        default_factory=dict
    )  # id -> token; None: deleted
    unsure: dict[str, set[str | None]] = field(default_factory=dict)
    unacked_creates: set[str] = field(default_factory=set)  # their tokens
    events: list[tuple[str, str, str | None]] = field(default_factory=list)

    def ack(self, id: str, token: str | None, event: str) -> None:
        with self.lock:
            self.acked += 1
            self.state[id] = token
            self.events.append((event, id, token))
            self.lock.notify_all()


def writer(
    number: int, roots: dict[str, str], ledger: Ledger, stop: threading.Event
) -> None:
    """Create, patch (through v4 or v5) and delete own interactions until ``stop``.

    A write without an acknowledgement (the server died) leaves its interaction
    out of further writes (its state is one of two, and stays so): the writer
    stops there, until the next cycle's writer of the same number.
    """
    rng = random.Random(number)  # noqa: S311 (reproducible choices, no secrets)
    live: list[str] = []
    counter = 0
    with httpx.Client(timeout=5.0) as http:
        while not stop.is_set():
            counter += 1
            token = f"w{number}-{counter}-{rng.random():.6f}"
            version = rng.choice(("v4", "v5"))
            if not live or rng.random() < 0.3:
                try:
                    response = http.post(
                        f"{roots['v4']}partyInteraction",
                        json={**MINIMAL, "description": token},
                    )
                except httpx.HTTPError:
                    response = None
                if response is None or response.status_code != 201:
                    with ledger.lock:
                        ledger.unacked_creates.add(token)
                    return  # the server is gone: one unsure write per writer
                id = response.json()["id"]
                live.append(id)
                ledger.ack(id, token, "PartyInteractionCreateEvent")
                continue
            id = rng.choice(live)
            url = f"{roots[version]}partyInteraction/{id}"
            before = ledger.state[id]
            deleting = rng.random() < 0.2
            try:
                if deleting:
                    response = http.delete(url)
                else:
                    response = http.patch(
                        url,
                        json={"description": token},
                        headers={"Content-Type": "application/merge-patch+json"},
                    )
            except httpx.HTTPError:
                response = None
            ok = 204 if deleting else 200
            after = None if deleting else token
            if response is None or response.status_code != ok:
                with ledger.lock:
                    ledger.unsure[id] = {before, after}
                return
            if deleting:
                live.remove(id)
                ledger.ack(id, None, "PartyInteractionDeleteEvent")
            else:
                ledger.ack(id, token, "PartyInteractionAttributeValueChangeEvent")


def run_cycle(
    database: str, ledger: Ledger, callbacks: tuple[str, str], first: bool
) -> None:
    server = ServerProcess("--db", database, "--versions", "v4,v5", *FAST)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        roots = dict(server.bases)
        if first:
            v4_hub = httpx.post(f"{roots['v4']}hub", json={"callback": callbacks[0]})
            v5_hub = httpx.post(
                f"{roots['v5']}hub", json={**V5_HUB, "callback": callbacks[1]}
            )
            assert (v4_hub.status_code, v5_hub.status_code) == (201, 201)
        with ledger.lock:
            target = ledger.acked + ACKED_PER_CYCLE
        threads = [
            threading.Thread(target=writer, args=(n, roots, ledger, stop))
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        with ledger.lock:
            reached = ledger.lock.wait_for(lambda: ledger.acked >= target, 60)
        assert reached, "the writers made no progress"
    finally:
        # killed while the writers are still writing
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        stop.set()
        for thread in threads:
            thread.join(30)


def describe(event: dict[str, Any]) -> tuple[str, str, str | None]:
    interaction = event["event"]["partyInteraction"]
    token = interaction.get("description")
    kind = event["eventType"]
    return kind, interaction["id"], None if kind.endswith("DeleteEvent") else token


def wait_for_events(
    receiver: Receiver, due: set[tuple[str, str, str | None]], seconds: float
) -> set[tuple[str, str, str | None]]:
    """Wait (bounded) until every due event came; return those still missing."""

    def missing() -> set[tuple[str, str, str | None]]:
        return due - {describe(e) for e in receiver.events}

    with receiver.changed:
        receiver.changed.wait_for(lambda: not missing(), seconds)
        return missing()


def test_nothing_acknowledged_is_lost_across_kill_cycles(database):
    cycles = 10 if database.startswith("postgresql") else 20
    ledger = Ledger()
    old_port, new_port = _free_port(), _free_port()
    with (
        receiving(port=old_port) as old,
        receiving(port=new_port) as new,
    ):
        for cycle in range(cycles):
            run_cycle(database, ledger, (old.url, new.url), first=cycle == 0)
        with ServerProcess("--db", database, "--versions", "v4,v5", *FAST) as server:
            roots = server.bases
            with httpx.Client(timeout=10.0) as http:
                for id, token in ledger.state.items():
                    got = http.get(f"{roots['v4']}partyInteraction/{id}")
                    seen = http.get(f"{roots['v5']}partyInteraction/{id}")
                    assert got.status_code == seen.status_code
                    now = got.json().get("description") if got.is_success else None
                    allowed = ledger.unsure.get(id, {token})
                    assert now in allowed, (id, now, allowed)
                    if got.is_success:
                        assert seen.json()["description"] == now
                page = http.get(
                    f"{roots['v4']}partyInteraction", params={"limit": "1000"}
                )
                listed = page.json()
                assert len(listed) == int(page.headers["X-Total-Count"])
                known = set(ledger.state)
                for interaction in listed:
                    if interaction["id"] not in known:
                        assert interaction["description"] in ledger.unacked_creates
                        assert interaction["direction"] == MINIMAL["direction"]
            due = set(ledger.events)
            assert wait_for_events(old, due, 120) == set()
            assert wait_for_events(new, due, 120) == set()
    for receiver in (old, new):
        ids: dict[tuple[str, str, str | None], set[str]] = defaultdict(set)
        for event in receiver.events:
            ids[describe(event)].add(event["eventId"])
        doubled = {key: found for key, found in ids.items() if len(found) > 1}
        assert doubled == {}
    assert all("@type" not in e for e in old.events)
    assert all(e["@type"].startswith("PartyInteraction") for e in new.events)
    assert ledger.acked >= cycles * ACKED_PER_CYCLE
    print(
        "STATS",
        ledger.acked,
        len(ledger.unsure),
        len(ledger.unacked_creates),
        len(old.received),
        len(old.events),
    )
