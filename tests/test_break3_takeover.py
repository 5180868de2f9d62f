"""A dispatcher killed mid-attempt on PostgreSQL: another sends on, once, in order.

Writes go through a server without a dispatcher; dispatcher A sends to three
callbacks of a real receiver, which holds one request to the first callback open.
Dispatcher B, started then, must send the other callbacks' events but nothing
more to the held one (A's row lock); after A is killed (SIGKILL), B must send the
held event again and the rest, each callback's events in the order they were
raised, only the held one twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.servers import ServerProcess, dispatcher_process

pytestmark = pytest.mark.slow

EVENTS = 30
HELD = "r-010"
CALLBACKS = ("/0", "/1", "/2")


class Holding:
    """Records ``(path, reason)`` of each event; holds :data:`HELD` to ``/0``."""

    def __init__(self) -> None:
        self.arrived: list[tuple[str, str]] = []
        self.changed = threading.Condition()
        self.release = threading.Event()
        holding = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reason = body["event"]["partyInteraction"]["reason"]
                with holding.changed:
                    holding.arrived.append((self.path, reason))
                    holding.changed.notify_all()
                if (self.path, reason) == ("/0", HELD) and holding.held() == 1:
                    holding.release.wait(30)
                try:
                    self.send_response(201)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender is gone
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def held(self) -> int:
        return self.arrived.count(("/0", HELD))

    def wait(self, done: Any, seconds: float) -> bool:
        with self.changed:
            return bool(self.changed.wait_for(done, seconds))

    def at(self, path: str) -> list[str]:
        with self.changed:
            return [reason for p, reason in self.arrived if p == path]


@contextmanager
def holding() -> Iterator[Holding]:
    receiver = Holding()
    try:
        yield receiver
    finally:
        receiver.release.set()
        receiver.server.shutdown()
        receiver.server.server_close()


def _collapsed(reasons: list[str]) -> list[str]:
    """Consecutive repeats as one."""
    return [r for n, r in enumerate(reasons) if n == 0 or reasons[n - 1] != r]


def test_a_killed_dispatchers_held_delivery_goes_on_through_another(
    postgres_databases: Any,
) -> None:
    database = postgres_databases.create()
    raised = [f"r-{n:03d}" for n in range(EVENTS)]
    with holding() as receiver, ServerProcess("--db", database, "--no-dispatcher") as w:
        for path in CALLBACKS:
            response = httpx.post(
                f"{w.base}hub", json={"callback": receiver.url + path}, timeout=10
            )
            assert response.status_code == 201, response.text
        with httpx.Client(base_url=w.base, timeout=30) as client:
            for reason in raised[:20]:
                created = client.post(
                    "partyInteraction", json={**MINIMAL, "reason": reason}
                )
                created.raise_for_status()
            with dispatcher_process("--db", database) as first:
                assert receiver.wait(lambda: receiver.held() == 1, 60)
                with dispatcher_process("--db", database):
                    for reason in raised[20:]:
                        created = client.post(
                            "partyInteraction", json={**MINIMAL, "reason": reason}
                        )
                        created.raise_for_status()
                    for path in CALLBACKS[1:]:
                        assert receiver.wait(
                            lambda p=path: len(receiver.at(p)) >= EVENTS, 60
                        ), path
                    assert receiver.held() == 1  # A holds it: nothing more to /0
                    assert receiver.at("/0")[-1] == HELD
                    first.kill()
                    first.wait(10)
                    assert receiver.wait(
                        lambda: len(set(receiver.at("/0"))) >= EVENTS, 60
                    )
                    receiver.release.set()
    for path in CALLBACKS:
        assert _collapsed(receiver.at(path)) == raised, path
    assert receiver.at("/0").count(HELD) == 2
    assert len(receiver.at("/0")) == EVENTS + 1
    for path in CALLBACKS[1:]:
        assert len(receiver.at(path)) in (EVENTS, EVENTS + 1), path
