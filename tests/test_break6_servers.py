"""Group commit across real ``tmf683-server`` processes on one SQLite file.

Three servers, many client threads: creates of shared and own ids, JSON patches of
one shared document under ``If-Match`` (retried on 412), deletes. Every
acknowledged write is stored once, versions are contiguous, one outbox row per
committed change and none for a refused one; then one server is killed with
SIGKILL while writes are in flight and the file, reopened, holds every write a
client saw acknowledged.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.servers import ServerProcess
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
THREADS = 6
ROUNDS = 8


def _deliveries(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM event_delivery").fetchone()[0])


def test_many_servers_lose_and_double_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    servers = [ServerProcess("--db", str(db), "--no-dispatcher") for _ in range(3)]
    try:
        bases = [server.base for server in servers]
        with httpx.Client(timeout=30) as client:
            hub = client.post(
                bases[0] + "hub", json={"callback": "http://127.0.0.1:9/x"}
            )
            assert hub.status_code == 201, hub.text
            shared = client.post(
                bases[0] + "partyInteraction", json={**MINIMAL, "note": []}
            )
            assert shared.status_code == 201
        shared_id = shared.json()["id"]
        lock = threading.Lock()
        created: list[str] = []
        patched: list[str] = []
        deleted: list[str] = []
        errors: list[str] = []

        def worker(n: int) -> None:
            with httpx.Client(timeout=30) as client:
                for r in range(ROUNDS):
                    base = bases[(n + r) % len(bases)]
                    kept = client.post(base + "partyInteraction", json=MINIMAL)
                    own = client.post(base + "partyInteraction", json=MINIMAL)
                    text = f"t{n}-{r}"
                    while True:
                        read = client.get(base + f"partyInteraction/{shared_id}")
                        answer = client.patch(
                            base + f"partyInteraction/{shared_id}",
                            json=[
                                {
                                    "op": "add",
                                    "path": "/note/-",
                                    "value": {"text": text},
                                }
                            ],
                            headers={**JSON_PATCH, "If-Match": read.headers["ETag"]},
                        )
                        if answer.status_code != 412:
                            break
                    refused = client.patch(  # fails in the group, beside the others
                        base + f"partyInteraction/{shared_id}",
                        json={"reason": 5},
                        headers=MERGE,
                    )
                    if refused.status_code != 400:
                        errors.append(f"refused {refused.status_code}")
                    own_id = own.json().get("id")
                    gone = client.delete(base + f"partyInteraction/{own_id}")
                    with lock:
                        for got in (kept, own):
                            if got.status_code != 201:
                                errors.append(f"{got.status_code} {got.text}")
                        created.append(kept.json()["id"])
                        if answer.status_code == 200:
                            patched.append(text)
                        else:
                            errors.append(f"patch {answer.status_code} {answer.text}")
                        if gone.status_code == 204:
                            deleted.append(own_id)
                        else:
                            errors.append(f"delete {gone.status_code}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(set(created)) == THREADS * ROUNDS
        with httpx.Client(timeout=30) as client:
            final = client.get(bases[1] + f"partyInteraction/{shared_id}")
            notes = [note["text"] for note in final.json()["note"]]
            assert sorted(notes) == sorted(patched)
            assert len(notes) == THREADS * ROUNDS
            listed = client.get(bases[2] + "partyInteraction?fields=id&limit=1000")
            ids = sorted(item["id"] for item in listed.json())
        assert ids == sorted([shared_id, *created])
        with sqlite3.connect(db) as conn:
            version = conn.execute(
                "SELECT version FROM party_interaction WHERE id = ?", [shared_id]
            ).fetchone()[0]
        assert version == 1 + THREADS * ROUNDS
        # one event per committed change: creates (shared, kept, own), patches,
        # deletes; none for the 412s
        committed = 1 + 2 * THREADS * ROUNDS + THREADS * ROUNDS + THREADS * ROUNDS
        assert _deliveries(db) == committed
    finally:
        for server in servers:
            server.stop()


def test_a_killed_server_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    victim = ServerProcess("--db", str(db), "--no-dispatcher")
    other = ServerProcess("--db", str(db), "--no-dispatcher")
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int, base: str) -> None:
        with httpx.Client(timeout=10) as client:
            count = 0
            while not stop.is_set() and count < 100:
                count += 1
                try:
                    answer = client.post(base + "partyInteraction", json=MINIMAL)
                except httpx.HTTPError:
                    return
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(answer.json()["id"])

    try:
        threads = [
            threading.Thread(target=writer, args=(n, (victim, other)[n % 2].base))
            for n in range(6)
        ]
        for thread in threads:
            thread.start()
        wait_for(  # enough writes acknowledged, more in flight: kill then
            lambda: (
                len(acknowledged) >= 60
                or not any(thread.is_alive() for thread in threads)
            ),
            timeout=60,
        )
        victim.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join()
        other.stop()
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with (
            ServerProcess("--db", str(db), "--no-dispatcher") as again,
            httpx.Client(timeout=30) as client,
        ):
            listed = client.get(again.base + "partyInteraction?fields=id&limit=1000")
            stored = {item["id"] for item in listed.json()}
            for id in acknowledged[:5]:
                assert (
                    client.get(again.base + f"partyInteraction/{id}").status_code == 200
                )
            found = client.get(again.base + "partyInteraction?limit=1")
        assert set(acknowledged) <= stored
        assert found.headers.get("X-Total-Count") == str(len(stored))
        assert _deliveries(db) == 0  # no subscription: no outbox rows
    finally:
        stop.set()
        victim.stop()
        other.stop()
