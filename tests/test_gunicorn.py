"""gunicorn with two workers on ``tmf683_falcon.wsgi:application``, on each store.

Both versions are served by every worker; one worker (the one holding the store's
dispatcher lock) delivers the hub events, each once per subscriber, and another
takes over when it is killed.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from tests.conftest import MINIMAL, V5_BODY
from tests.gunicorn_process import Gunicorn
from tests.receiver import Receiver, receiving
from tests.waiting import wait_for
from tmf683 import DEFAULT_BASE_PATH, V5_BASE_PATH

V4 = DEFAULT_BASE_PATH
V5 = V5_BASE_PATH


def pending(database: str) -> int:
    """Deliveries still pending in the store's outbox."""
    sql = "SELECT count(*) FROM event_delivery WHERE state = 'pending'"
    if database.startswith("postgresql://"):
        with psycopg.connect(database) as conn:
            row = conn.execute(sql).fetchone()
    else:
        import sqlite3

        with sqlite3.connect(database) as conn:
            row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def subscribe(root: str, receiver: Receiver) -> None:
    for base, path, extra in ((V4, "v4", {}), (V5, "v5", {"@type": "Hub"})):
        body = {"callback": f"{receiver.url}/{path}", **extra}
        response = httpx.post(f"{root}{base}/hub", json=body, timeout=10)
        assert response.status_code == 201, response.text


def create(root: str, count: int, clients: int = 1) -> list[str]:
    """Create ``count`` interactions, every other one through v5; their ids.

    ``clients`` at once: with several, both workers write at the same time.
    """

    def one(n: int) -> str:
        base, body = (V4, MINIMAL) if n % 2 == 0 else (V5, V5_BODY)
        response = httpx.post(f"{root}{base}/partyInteraction", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(count)))


def created_ids(receiver: Receiver, path: str) -> Counter[str]:
    with receiver.changed:  # no failed attempts: one path per event
        return Counter(
            event["event"]["partyInteraction"]["id"]
            for event, at in zip(receiver.events, receiver.paths, strict=True)
            if at.endswith(f"/{path}")
        )


def delivered_once(database: str, receiver: Receiver, ids: list[str]) -> None:
    """Wait until each id's create event reached both subscribers, and no more."""
    expected = 2 * len(ids)
    receiver.wait_for(expected)
    wait_for(lambda: pending(database) == 0, 30)
    for path in ("v4", "v5"):
        assert created_ids(receiver, path) == Counter(ids)
    assert len(receiver.events) == expected
    assert Counter(e["eventId"] for e in receiver.events).most_common(1)[0][1] == 1


def gunicorn_on(database: str, **env: str) -> Gunicorn:
    return Gunicorn({"TMF683_DB": database, "TMF683_RETRY_FIRST_DELAY": "0.2", **env})


def test_two_workers_serve_both_versions_and_deliver_each_event_once(database):
    with (
        gunicorn_on(database, TMF683_MAX_PAGE_SIZE="2") as server,
        receiving() as receiver,
    ):
        assert len(set(server.serving())) == 2
        assert len(server.holders()) == 1
        subscribe(server.root, receiver)
        ids = create(server.root, 24, clients=6)
        # each worker answers reads of what the other wrote
        for id in ids:
            for base in (V4, V5):
                got = httpx.get(f"{server.root}{base}/partyInteraction/{id}")
                assert got.status_code == 200
        # configured from the environment: TMF683_MAX_PAGE_SIZE
        listed = httpx.get(f"{server.root}{V4}/partyInteraction")
        assert (len(listed.json()), listed.headers["X-Total-Count"]) == (2, "24")
        delivered_once(database, receiver, ids)
        assert len(server.holders()) == 1  # nobody else took over meanwhile


def test_another_worker_delivers_when_the_lock_holder_is_killed(database):
    with gunicorn_on(database) as server, receiving() as receiver:
        subscribe(server.root, receiver)
        first = create(server.root, 2)
        receiver.wait_for(4)
        wait_for(lambda: pending(database) == 0, 30)
        holder = server.holders()[0]
        os.kill(holder, signal.SIGKILL)
        server.wait(lambda: len(server.holders()) >= 2)
        assert server.holders()[-1] != holder
        later = create(server.root, 2)
        delivered_once(database, receiver, first + later)


def requests_counted(root: str, route: str) -> float:
    """``tmf683_http_requests_total`` of GET ``route`` 200, as one scrape says."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{root}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "tmf683_http_requests_total"
        and sample.labels == {"method": "GET", "route": route, "status": "200"}
    )


def test_every_scrape_counts_the_requests_of_both_workers(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    database = str(tmp_path / "metrics.db")
    route = f"{V4}/partyInteraction"
    sent = 0

    def batch() -> bool:
        """Eight clients at once, a connection each: both workers get some."""
        nonlocal sent

        def one(_: int) -> int:
            headers = {"Connection": "close"}
            return httpx.get(f"{server.root}{route}", headers=headers).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(one, range(16))) == {200}
        sent += 16
        # a worker's multiprocess counter file appears with its first count
        return len(list(metrics_dir.glob("counter_*.db"))) == 2

    with gunicorn_on(database, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as server:
        wait_for(batch, 60)
        for _ in range(6):  # whichever worker a scrape reaches, it counts them all
            assert requests_counted(server.root, route) == sent


def test_gunicorn_believes_no_proxy_header_of_its_own(tmp_path):
    # gunicorn's default trusts X-Forwarded-Proto from 127.0.0.1; only
    # --trusted-proxy may make a link https
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    with gunicorn_on(str(tmp_path / "p.db")) as server:
        contract = httpx.get(f"{server.root}{V4}/openapi.json", headers=forged)
        assert contract.status_code == 200
        assert (contract.json()["schemes"], contract.json()["host"]) == (
            ["http"],
            server.root.removeprefix("http://"),
        )
        created = httpx.post(
            f"{server.root}{V4}/partyInteraction", json=MINIMAL, headers=forged
        )
        assert created.status_code == 201
        assert created.headers["Location"].startswith(f"{server.root}{V4}/")


def test_with_json_logs_gunicorns_own_lines_are_json_too(tmp_path):
    database = str(tmp_path / "json.db")
    with gunicorn_on(database, TMF683_LOG_FORMAT="json") as server:
        response = httpx.get(f"{server.root}{V4}/partyInteraction")
        assert response.status_code == 200
        server.wait(lambda: any("tmf683.access" in line for line in server.log))
    lines = [line for line in server.log if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line, gunicorn's too
    loggers = {entry["logger"] for entry in entries}
    assert {"gunicorn.error", "tmf683.access"} <= loggers
    assert any(entry["message"].startswith("Booting worker") for entry in entries)


def test_workers_are_threaded_and_keep_connections_open(tmp_path):
    import http.client

    with gunicorn_on(str(tmp_path / "k.db")) as server:
        assert any("Using worker: gthread" in line for line in server.log)
        conn = http.client.HTTPConnection(
            server.root.removeprefix("http://"), timeout=30
        )
        try:
            conn.request("GET", f"{V4}/partyInteraction")
            first = conn.getresponse()
            first.read()
            kept = conn.sock
            assert first.status == 200
            assert kept is not None  # not closed after the answer (sync closes)
            conn.request("GET", f"{V5}/partyInteraction")
            second = conn.getresponse()
            second.read()
            assert second.status == 200
            assert conn.sock is kept
        finally:
            conn.close()
