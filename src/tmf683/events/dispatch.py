"""The dispatcher: send pending outbox deliveries to their callbacks, with retries.

Delivery is at least once: an event is POSTed (JSON) until the subscriber answers
2xx; consumers deduplicate on ``eventId``. A failure (another status, a refused
connection, a timeout) is retried with exponential backoff and jitter: the first
retry within a few seconds, then longer, up to ``max_attempts`` (default 10, about
50 minutes in all); after that the delivery is kept as failed, logged, and listed by
:meth:`tmf683.events.publish.EventPublisher.failed_deliveries`. Events to one callback
go out in the order they were raised. Pending deliveries live in the store, so a
restarted dispatcher resumes every one of them.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import queue
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Collection
from typing import Any

from tmf683._errors import StoreUnavailableError, ValidationError
from tmf683.events.envelopes import validate_callback
from tmf683.storage.base import AttemptOutcome, Delivery, PartyInteractionStore

__all__ = ["DeliveryError", "Dispatcher", "Post", "post_json"]

log = logging.getLogger(__name__)

Post = Callable[[str, dict[str, Any], float], None]
"""Sends one event, as ``post(url, event, timeout_seconds)``; raises DeliveryError
when the subscriber does not accept it (default :func:`post_json`)."""


class DeliveryError(Exception):
    """A subscriber did not accept an event; the message says why."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Treat a redirect as a failed attempt.

    Following it would turn the POST into a GET without the event (losing it) and
    reach a host the allowlist never saw.
    """

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Sockets:
    """The sockets of one exchange, to cut them when its time is up."""

    def __init__(self) -> None:
        self.opened: list[socket.socket] = []
        self.expired = False

    def cut(self) -> None:
        self.expired = True
        for sock in self.opened:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self.sockets = sockets

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        sockets = self.sockets

        class Connection(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                sockets.opened.append(self.sock)

        return self.do_open(Connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self.sockets = sockets

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        sockets = self.sockets

        class Connection(http.client.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                sockets.opened.append(self.sock)

        return self.do_open(Connection, req)


def post_json(url: str, event: dict[str, Any], timeout: float) -> None:
    """POST an event as JSON and require a 2xx answer within ``timeout`` in all.

    The time covers connecting, sending and reading the answer's status and headers:
    a subscriber that answers a byte at a time is cut off when it is up, so an
    attempt never outlasts it (a dispatcher on PostgreSQL holds the delivery's lock
    meanwhile).

    Args:
        url: the callback, as registered.
        event: the event envelope.
        timeout: seconds for the whole exchange.

    Raises:
        DeliveryError: another status, a refused connection, or a timeout.
    """
    request = urllib.request.Request(  # noqa: S310 - registered http(s) callbacks only
        url,
        data=json.dumps(event, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json;charset=utf-8"},
        method="POST",
    )
    sockets = _Sockets()
    opener = urllib.request.build_opener(
        _NoRedirects, _HTTPHandler(sockets), _HTTPSHandler(sockets)
    )
    deadline = threading.Timer(timeout, sockets.cut)
    deadline.daemon = True
    deadline.start()
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from exc
    except Exception as exc:
        if sockets.expired:
            raise DeliveryError(f"no answer within {timeout:g} s") from exc
        raise DeliveryError(
            str(getattr(exc, "reason", exc)) or type(exc).__name__
        ) from exc
    finally:
        deadline.cancel()
    if sockets.expired:  # the answer ended when its connection was cut: incomplete
        raise DeliveryError(f"no answer within {timeout:g} s")
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


class Dispatcher:
    """Deliver what the outbox holds.

    Args:
        store: the store holding the outbox.
        post: sends one event (default :func:`post_json`).
        clock: seconds since the epoch.
        max_attempts: attempts before a delivery is kept as failed.
        first_delay: seconds before the first retry (before jitter).
        backoff: factor between successive delays.
        timeout: seconds to wait for a subscriber's answer.
        jitter: returns a factor in [0.8, 1.2) applied to each delay.
        allowed_hosts: callback hosts deliveries may go to (checked again at each
            attempt, so a narrowed allowlist also holds for older subscriptions);
            ``None`` allows any.
        workers: callbacks served at once; one slow subscriber holds one worker.
    """

    def __init__(
        self,
        store: PartyInteractionStore,
        *,
        post: Post = post_json,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 10,
        first_delay: float = 3.0,
        backoff: float = 2.2,
        timeout: float = 10.0,
        jitter: Callable[[], float] = lambda: random.uniform(0.8, 1.2),  # noqa: S311
        allowed_hosts: Collection[str] | None = None,
        workers: int = 8,
    ) -> None:
        self.store = store
        self.post = post
        self.clock = clock
        self.max_attempts = max_attempts
        self.first_delay = first_delay
        self.backoff = backoff
        self.timeout = timeout
        self.jitter = jitter
        self.allowed_hosts = (
            None
            if allowed_hosts is None
            else frozenset(h.lower() for h in allowed_hosts)
        )
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._in_flight: set[str] = set()
        self._wake = threading.Event()  # an attempt ended: the next may be due now
        self._lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._work, name="tmf683-delivery", daemon=True)
            for _ in range(workers)
        ]
        for worker in self._workers:
            worker.start()

    def delay(self, failures: int) -> float:
        """Seconds to wait after the given number of failed attempts (>= 1)."""
        return self.first_delay * self.backoff ** (failures - 1) * self.jitter()

    def _work(self) -> None:
        while (delivery := self._queue.get()) is not None:
            try:
                self._attempt(delivery)
            except StoreUnavailableError as exc:
                log.warning("delivery %s waits: %s", delivery.id, exc)
            except Exception:
                log.exception("delivery %s failed unexpectedly", delivery.id)
            finally:
                with self._lock:
                    self._in_flight.discard(delivery.id)
                self._wake.set()

    def _attempt(self, delivery: Delivery) -> None:
        self.store.attempt_delivery(delivery, self.clock(), self._send)

    def _send(self, delivery: Delivery) -> AttemptOutcome:
        """POST one delivery; return the outcome to record (never raises)."""
        try:
            validate_callback(delivery.callback, self.allowed_hosts)
        except ValidationError:
            log.error(
                "event %s not sent: the host of %s is not allowed any more",
                delivery.event.get("eventId"),
                delivery.callback,
            )
            return AttemptOutcome(delivered=False, error="callback host not allowed")
        try:
            self.post(delivery.callback, delivery.event, self.timeout)
        except Exception as exc:  # any failure to deliver counts as one attempt
            failures = delivery.attempts + 1
            if failures >= self.max_attempts:
                log.error(
                    "giving up on event %s to %s after %d attempts: %s",
                    delivery.event.get("eventId"),
                    delivery.callback,
                    failures,
                    exc,
                )
                return AttemptOutcome(delivered=False, error=str(exc))
            log.warning(
                "event %s to %s failed (%s); retry %d",
                delivery.event.get("eventId"),
                delivery.callback,
                exc,
                failures,
            )
            return AttemptOutcome(
                delivered=False,
                next_attempt_at=self.clock() + self.delay(failures),
                error=str(exc),
            )
        return AttemptOutcome(delivered=True)

    def submit_due(self, limit: int = 100) -> int:
        """Hand every due delivery not already in flight to the delivery workers.

        A slow subscriber holds one worker, not the pass: the other callbacks' events
        go on. The store gives at most one due delivery per callback, so order holds.

        Returns:
            How many deliveries were handed over.
        """
        due = self.store.due_deliveries(self.clock(), limit)
        submitted = 0
        for delivery in due:
            with self._lock:
                if delivery.id in self._in_flight:
                    continue
                self._in_flight.add(delivery.id)
            self._queue.put(delivery)
            submitted += 1
        return submitted

    def run_once(self, limit: int = 100, timeout: float = 60.0) -> int:
        """Attempt every delivery that is due now, once, and wait for the attempts.

        Args:
            limit: most deliveries attempted.
            timeout: seconds to wait for the attempts at most.

        Returns:
            How many deliveries were attempted.
        """
        submitted = self.submit_due(limit)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._in_flight:
                    break
            time.sleep(0.005)
        return submitted

    def run(self, stop: threading.Event, poll_interval: float = 0.5) -> None:
        """Deliver until ``stop`` is set, polling the outbox when idle.

        A pass runs at once when an attempt ends (the next event to that callback
        may be due now), else every ``poll_interval`` seconds.

        Args:
            stop: set it to end the loop (within ``poll_interval`` seconds).
            poll_interval: seconds between looks at an idle outbox.
        """
        while not stop.is_set():
            try:
                submitted = self.submit_due()
            except StoreUnavailableError as exc:
                log.warning("dispatcher pass failed (%s); retrying", exc)
                submitted = 0
            except Exception:
                log.exception("dispatcher pass failed; retrying")
                submitted = 0
            if not submitted:
                # the end of an attempt may make the next event of its callback due
                self._wake.wait(poll_interval)
                self._wake.clear()

    def close(self, timeout: float = 15.0) -> None:
        """Stop the delivery workers, waiting ``timeout`` seconds at most.

        A worker stuck on a subscriber is left behind: it is a daemon thread, and its
        delivery stays pending in the store.
        """
        for _ in self._workers:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
