"""``/metrics``: Prometheus text from real servers over real stores.

Requests by method, route template and status, the latency histogram, the outbox
gauges read from the store at scrape time, the dispatcher's attempts, store errors,
per-app registries and the multiprocess mode of several workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import postgres
from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.servers import ServerProcess
from tests.waiting import wait_for
from tests.wsgi import serving
from tmf683 import MemoryStore, OutboxStats, PartyInteractionService
from tmf683.storage.base import Delivery
from tmf683_falcon import create_app

V4 = "/tmf-api/partyInteraction/v4"


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(root: str) -> Samples:
    """Every sample of ``/metrics``: ``(name, sorted labels) -> value``."""
    response = httpx.get(f"{root}/metrics", timeout=30.0)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_requests_are_counted_by_method_route_template_and_status(server):
    created = httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
    assert created.status_code == 201
    before = scrape(server.root)
    for _ in range(3):
        assert httpx.get(f"{server.base}partyInteraction/nope").status_code == 404
    assert httpx.get(f"{server.root}/no/such/path/1").status_code == 404
    assert httpx.get(f"{server.root}/no/such/path/2").status_code == 404
    after = scrape(server.root)
    item = {"method": "GET", "route": f"{V4}/partyInteraction/{{id}}"}
    counted = "tmf683_http_requests_total"
    assert (value(after, counted, **item, status="404") or 0) - (
        value(before, counted, **item, status="404") or 0
    ) == 3
    # unmatched paths share one label: the label set stays bounded
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert (value(after, counted, **unmatched) or 0) - (
        value(before, counted, **unmatched) or 0
    ) == 2
    assert not any("/no/such" in str(labels) for _, labels in after)
    collection = {"method": "POST", "route": f"{V4}/partyInteraction", "status": "201"}
    assert (value(after, counted, **collection) or 0) >= 1
    histogram = "tmf683_http_request_duration_seconds_count"
    assert (value(after, histogram, **item) or 0) - (
        value(before, histogram, **item) or 0
    ) == 3
    bucket = {**item, "le": "+Inf"}
    assert value(after, "tmf683_http_request_duration_seconds_bucket", **bucket) == (
        value(after, histogram, **item)
    )


def test_openmetrics_when_asked_for(server):
    accept = {"Accept": "application/openmetrics-text; version=1.0.0"}
    response = httpx.get(f"{server.root}/metrics", headers=accept)
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")
    assert "tmf683_http_requests_total" in response.text


def test_unknown_methods_are_counted_as_other(server):
    assert httpx.request("BREW", f"{server.root}/health").status_code in (400, 405)
    samples = scrape(server.root)
    assert not any(("method", "BREW") in labels for _, labels in samples)
    assert any(
        name == "tmf683_http_requests_total" and ("method", "OTHER") in labels
        for name, labels in samples
    )


def test_outbox_gauges_come_from_the_store_at_scrape_time(database):
    with ServerProcess("--db", database, "--no-dispatcher") as server:
        samples = scrape(server.root)
        pending = {"state": "pending"}
        assert value(samples, "tmf683_outbox_deliveries", **pending) == 0
        assert value(samples, "tmf683_outbox_oldest_pending_age_seconds") == 0
        assert value(samples, "tmf683_outbox_unreadable") == 0
        hub = {"callback": "http://127.0.0.1:9/listener"}
        assert httpx.post(f"{server.base}hub", json=hub).status_code == 201
        raised = time.time()
        for _ in range(2):
            created = httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
            assert created.status_code == 201
        samples = scrape(server.root)
        assert value(samples, "tmf683_outbox_deliveries", **pending) == 2
        assert value(samples, "tmf683_outbox_deliveries", state="failed") == 0
        age = value(samples, "tmf683_outbox_oldest_pending_age_seconds")
        assert age is not None
        assert 0 < age <= time.time() - raised + 1.0  # eventTime has milliseconds


def test_the_dispatcher_counts_what_it_sent(tmp_path):
    with (
        receiving() as receiver,
        ServerProcess("--db", str(tmp_path / "m.db")) as server,
    ):
        sent = "tmf683_outbox_attempts_total"
        assert value(scrape(server.root), sent, outcome="sent") == 0
        hub = {"callback": receiver.url}
        assert httpx.post(f"{server.base}hub", json=hub).status_code == 201
        assert httpx.post(f"{server.base}partyInteraction", json=MINIMAL).is_success
        assert len(receiver.wait_for(1)) == 1
        wait_for(lambda: value(scrape(server.root), sent, outcome="sent") == 1)
        samples = scrape(server.root)
        assert value(samples, "tmf683_outbox_deliveries", state="pending") == 0


def test_store_errors_are_counted(postgres_databases):
    url = postgres_databases.create()
    name = postgres.database_name(url)
    admin = postgres_databases.admin_url
    with ServerProcess("--db", url, "--no-dispatcher") as server:
        errors = {"error": "StoreUnavailableError"}
        assert value(scrape(server.root), "tmf683_store_errors_total", **errors) is None
        postgres.allow_connections(admin, name, allowed=False)
        try:
            listed = httpx.get(f"{server.base}partyInteraction", timeout=30.0)
            assert listed.status_code == 503
            samples = scrape(server.root)  # answers with the store down
            assert value(samples, "tmf683_outbox_unreadable") == 1
        finally:
            postgres.allow_connections(admin, name, allowed=True)
        assert value(samples, "tmf683_store_errors_total", **errors) == 1


def test_a_locked_outbox_does_not_hold_the_scrape(postgres_databases):
    url = postgres_databases.create()
    with ServerProcess("--db", url, "--no-dispatcher") as server:
        assert value(scrape(server.root), "tmf683_outbox_unreadable") == 0
        with psycopg.connect(url) as locker:
            locker.execute("LOCK TABLE event_delivery IN ACCESS EXCLUSIVE MODE")
            # each scrape answers (the read waits on the lock in a thread of its
            # own); the second one starts no new read while the first hangs
            for _ in range(2):
                assert value(scrape(server.root), "tmf683_outbox_unreadable") == 1
            locker.rollback()
        wait_for(lambda: value(scrape(server.root), "tmf683_outbox_unreadable") == 0)


def test_outbox_stats_of_every_store(store):
    assert store.outbox_stats() == OutboxStats(0, 0, None)
    store.add_subscription({"id": "S1", "callback": "http://x/cb", "query": ""})

    def deliveries(before, after):
        return [
            Delivery(
                id=f"D-{after['id']}",
                subscription_id="S1",
                callback=f"http://x/{after['id']}",
                event={"eventTime": f"2024-05-01T10:00:0{after['id']}.000Z"},
            )
        ]

    for id in ("1", "2", "3"):
        store.add({"id": id, **MINIMAL}, deliveries)
    store.record_attempt("D-1", delivered=False, error="gone")  # failed for good
    stats = store.outbox_stats()
    assert (stats.pending, stats.failed) == (2, 1)
    # the oldest pending: D-2 (D-1 failed)
    assert stats.oldest_pending_time == pytest.approx(1714557602.0)


def test_two_apps_in_one_process_keep_their_own_counts():
    one = create_app(PartyInteractionService(MemoryStore()))
    two = create_app(PartyInteractionService(MemoryStore()))
    with serving(one) as first, serving(two) as second:
        for _ in range(2):
            httpx.get(f"{first}/health")
        counted = {"method": "GET", "route": "/health", "status": "200"}
        assert value(scrape(first), "tmf683_http_requests_total", **counted) == 2
        assert value(scrape(second), "tmf683_http_requests_total", **counted) is None


def test_metrics_can_be_turned_off(tmp_path):
    with ServerProcess("--db", str(tmp_path / "m.db"), "--no-metrics") as server:
        assert httpx.get(f"{server.root}/metrics").status_code == 404
    app = create_app(PartyInteractionService(MemoryStore()), metrics=False)
    with serving(app) as root:
        assert httpx.get(f"{root}/metrics").status_code == 404


def test_multiprocess_mode_collects_every_process_through_the_directory(tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared)}
    db = str(tmp_path / "m.db")
    counted = {"method": "GET", "route": "/health", "status": "200"}
    with ServerProcess("--db", db, env=env) as first:
        for _ in range(2):
            httpx.get(f"{first.root}/health")
        with ServerProcess("--db", db, "--no-dispatcher", env=env) as second:
            httpx.get(f"{second.root}/health")
            # either process answers for both: 3 requests
            for root in (first.root, second.root):
                samples = scrape(root)
                assert value(samples, "tmf683_http_requests_total", **counted) == 3
            assert any(shared.iterdir())
    # gunicorn's child_exit hook: the function h-config's config calls
    code = (
        "from tmf683_falcon.metrics import mark_process_dead; "
        f"mark_process_dead({os.getpid()})"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={**os.environ, **env, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
