"""``GET /metrics``: Prometheus metrics in the text format (``prometheus_client``).

Request metrics come from :class:`Metrics` (Falcon middleware); the outbox
gauges are read from the store at each scrape (``outbox_stats``); deliveries
attempted are counted by the dispatcher of the process (:meth:`Metrics.watch`).
Every name starts with ``tmf683_`` (the table is in ``docs/server.md``).

One process: each app has a registry of its own (two apps in one process do not
collide). Several processes (gunicorn workers): set ``PROMETHEUS_MULTIPROC_DIR`` to
an existing, empty directory before the processes start (empty it at each start),
and call :func:`mark_process_dead` from gunicorn's ``child_exit`` hook; each
scrape then answers for all the processes
(:class:`prometheus_client.multiprocess.MultiProcessCollector`), whichever worker
it reaches.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import falcon
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from tmf683 import (
    AttemptOutcome,
    OutboxStats,
    PartyInteractionStore,
    QueryTimeoutError,
    StoreUnavailableError,
)
from tmf683_falcon.logs import route_of

METRICS_PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
"""Methods counted under their name; any other is counted as ``OTHER``."""
STORE_ERRORS = (StoreUnavailableError, QueryTimeoutError)
"""Store errors answering 5xx, counted by ``tmf683_store_errors_total``."""
ERROR_KEY = "tmf683_core_error"
"""``req.context`` attribute where the error handler leaves the core error."""

log = logging.getLogger(__name__)
_START = "tmf683_metrics_start"


def multiprocess_dir() -> str | None:
    """The ``PROMETHEUS_MULTIPROC_DIR`` of the environment, or ``None``."""
    return os.environ.get(MULTIPROC_ENV) or None


def mark_process_dead(pid: int) -> None:
    """Drop the live gauges of a worker that exited (gunicorn's ``child_exit``).

    ``def child_exit(server, worker): mark_process_dead(worker.pid)`` in a
    gunicorn config file. Does nothing without ``PROMETHEUS_MULTIPROC_DIR``.

    Args:
        pid: the process id of the worker.
    """
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


OUTBOX_TIMEOUT = 2.0
"""Seconds a scrape waits for the store's outbox counts."""


class OutboxCollector(Collector):
    """Reads the store's outbox counts at each scrape (``outbox_stats``).

    A store that cannot be read gives no outbox samples (the scrape still
    answers); the failure is logged at debug level and counted in
    ``tmf683_outbox_unreadable`` being 1. The read runs in a thread of its own
    and the scrape waits ``timeout`` seconds for it at most (a table locked in
    PostgreSQL would otherwise hold the scrape, and its server thread, until the
    lock goes); while a read that ran past its deadline still hangs, later
    scrapes do not start another, so a hung store holds one thread.

    Args:
        store: the store whose outbox is read.
        timeout: seconds one scrape waits for the read.
    """

    def __init__(
        self, store: PartyInteractionStore, timeout: float = OUTBOX_TIMEOUT
    ) -> None:
        self.store = store
        self.timeout = timeout
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None

    def _read(self) -> OutboxStats:
        """The outbox's counts, within ``timeout`` seconds.

        Raises:
            TimeoutError: no answer in time (or an earlier read still hangs).
            Exception: what ``outbox_stats`` raised.
        """
        outcome: list[OutboxStats | BaseException] = []

        def read() -> None:
            try:
                outcome.append(self.store.outbox_stats())
            except BaseException as exc:  # handed to the scrape
                outcome.append(exc)

        with self._lock:
            if self._running is not None and self._running.is_alive():
                raise TimeoutError("an earlier read of the outbox still hangs")
            thread = threading.Thread(target=read, name="tmf683-metrics", daemon=True)
            self._running = thread
            thread.start()
        thread.join(self.timeout)
        if not outcome:
            raise TimeoutError(f"no answer within {self.timeout:g} s")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The gauges of the outbox, read now."""
        unreadable = GaugeMetricFamily(
            "tmf683_outbox_unreadable",
            "1 when the outbox could not be read for this scrape, else 0",
        )
        try:
            stats = self._read()
        except Exception as exc:  # a scrape answers whatever the store does
            log.debug("outbox not read for metrics: %s", exc)
            unreadable.add_metric([], 1)
            yield unreadable
            return
        unreadable.add_metric([], 0)
        yield unreadable
        deliveries = GaugeMetricFamily(
            "tmf683_outbox_deliveries",
            "Deliveries in the outbox by state (pending: to send; failed: kept)",
            labels=["state"],
        )
        deliveries.add_metric(["pending"], stats.pending)
        deliveries.add_metric(["failed"], stats.failed)
        yield deliveries
        oldest = stats.oldest_pending_time
        age = GaugeMetricFamily(
            "tmf683_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest pending event was raised (0: none pending)",
        )
        age.add_metric([], 0.0 if oldest is None else max(0.0, time.time() - oldest))
        yield age


class Metrics:
    """The metrics of one app: request counters, latency, store errors, outbox.

    With ``PROMETHEUS_MULTIPROC_DIR`` set in the environment (before
    ``prometheus_client`` is first imported: it picks its value store then),
    values are shared through the directory's files and every scrape collects
    all processes; else they stay on this app's own registry.

    Args:
        store: the store whose outbox is reported at scrape time.

    Attributes:
        registry: what ``/metrics`` answers.
    """

    def __init__(self, store: PartyInteractionStore) -> None:
        self.multiproc_dir = multiprocess_dir()
        self.registry = CollectorRegistry(auto_describe=True)
        # the app's own metrics: on its registry, or (several processes) in the
        # directory's files, which the scrape registry reads for every process
        own: CollectorRegistry | None = self.registry
        if self.multiproc_dir is not None:
            multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
                self.registry, path=self.multiproc_dir
            )
            own = None
        self.requests = Counter(
            "tmf683_http_requests_total",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "tmf683_http_request_duration_seconds",
            "Time from the request reaching the app to its response, in seconds",
            ["method", "route"],
            registry=own,
        )
        self.store_errors = Counter(
            "tmf683_store_errors_total",
            "Store errors answered with 5xx (unavailable, query past its deadline)",
            ["error"],
            registry=own,
        )
        self.deliveries = Counter(
            "tmf683_outbox_attempts_total",
            "Delivery attempts of the dispatcher in this process, by outcome "
            "(sent, retry, failed)",
            ["outcome"],
            registry=own,
        )
        for outcome in ("sent", "retry", "failed"):
            self.deliveries.labels(outcome)
        self.registry.register(OutboxCollector(store))

    def watch(self, dispatcher: Any) -> None:
        """Count the attempts of a dispatcher (its ``on_outcome``), if it has one."""
        if hasattr(dispatcher, "on_outcome"):
            dispatcher.on_outcome = self.count_attempt

    def count_attempt(self, outcome: AttemptOutcome) -> None:
        """Count one attempt: sent, retry (failed, tried again) or failed (for good)."""
        if outcome.delivered:
            name = "sent"
        elif outcome.next_attempt_at is not None:
            name = "retry"
        else:
            name = "failed"
        self.deliveries.labels(name).inc()

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Start the request's clock."""
        setattr(req.context, _START, time.perf_counter())

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        """Count the request, its latency and a store error it answered."""
        start = getattr(req.context, _START, None)
        if start is None:  # pragma: no cover - process_request always ran
            return
        method = req.method if req.method in METHODS else "OTHER"
        route = route_of(req)
        self.requests.labels(method, route, str(resp.status_code)).inc()
        self.latency.labels(method, route).observe(time.perf_counter() - start)
        error = getattr(req.context, ERROR_KEY, None)
        if isinstance(error, STORE_ERRORS) and resp.status_code >= 500:
            self.store_errors.labels(type(error).__name__).inc()


class MetricsResource:
    """The ``/metrics`` resource: the registry in the Prometheus text format."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 with every metric, in the format ``Accept`` asks for.

        The Prometheus text format (``text/plain; version=...``) by default, or
        OpenMetrics (``application/openmetrics-text``) when asked for, as
        ``prometheus_client`` chooses.
        """
        encoder, content_type = choose_encoder(req.get_header("Accept") or "")
        resp.content_type = content_type
        resp.data = encoder(self.metrics.registry)
        resp.cache_control = ["no-store"]


def add_metrics_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--no-metrics`` to a command-line parser."""
    parser.add_argument(
        "--no-metrics",
        action="store_true",
        help="do not serve /metrics (it needs no token; see docs/security.md)",
    )
