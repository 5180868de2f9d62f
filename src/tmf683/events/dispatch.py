"""The dispatcher: send pending outbox deliveries to their callbacks, with retries.

Delivery is at least once: an event is POSTed (JSON, :mod:`tmf683.events.transport`)
until the subscriber answers 2xx; consumers deduplicate on ``eventId``. A failure
(another status, a refused connection, a timeout) is retried with exponential backoff
and jitter: the first retry within a few seconds, then longer, up to ``max_attempts``
(default 10, about 50 minutes in all); after that the delivery is kept as failed,
logged, and listed by
:meth:`tmf683.events.publish.EventPublisher.failed_deliveries`. Events to one callback
go out in the order they were raised. Pending deliveries live in the store, so a
restarted dispatcher resumes every one of them.

Threads: constructing a :class:`Dispatcher` starts none. :meth:`Dispatcher.start`
(or ``with dispatcher:``) starts the delivery workers and the poll loop,
:meth:`Dispatcher.close` stops and joins them. :meth:`Dispatcher.run` and
:meth:`Dispatcher.run_once` on a dispatcher not started run the workers for the
call only.

What one attempt does with one delivery (the callback checked again, the POST, the
outcome and its log line) is :func:`tmf683.events.attempt.attempt_outcome`; this
module runs the attempts: the workers, the passes over the outbox, the threads.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Collection

from tmf683._errors import StoreUnavailableError
from tmf683.events.attempt import attempt_outcome
from tmf683.events.callbacks import DEFAULT_POLICY, CallbackPolicy
from tmf683.events.envelopes import host_allowlist
from tmf683.events.transport import Post, post_json
from tmf683.storage.base import AttemptOutcome, Delivery, PartyInteractionStore

log = logging.getLogger(__name__)


class Dispatcher:
    """Deliver what the outbox holds.

    Args:
        store: the store holding the outbox.
        post: sends one event (default :func:`~tmf683.events.transport.post_json`).
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
        callback_policy: the addresses callbacks may reach, checked at every
            attempt (default: no link-local or metadata address). With the default
            ``post`` the host is resolved at each attempt, every address checked and
            the checked one connected to; a ``post`` of your own gets the check of
            literal addresses only. A refused address fails the delivery for good.
        token: returns the bearer token to send with the next delivery, or None
            to send none; called at each attempt, so it may change (e.g. a
            :class:`~tmf683.events.token.TokenFile`). Default: no token. Only the
            default ``post`` sends it.

    Raises:
        ValueError: ``token`` given with a ``post`` of your own (which sends its
            own headers).
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
        callback_policy: CallbackPolicy = DEFAULT_POLICY,
        token: Callable[[], str | None] | None = None,
    ) -> None:
        if token is not None and post is not post_json:
            raise ValueError(
                "a token is sent by the default post only; a post of your own "
                "sends its own Authorization header"
            )
        self.store = store
        self.post = post
        self.clock = clock
        self.max_attempts = max_attempts
        self.first_delay = first_delay
        self.backoff = backoff
        self.timeout = timeout
        self.jitter = jitter
        self.allowed_hosts = host_allowlist(allowed_hosts)
        self.workers = workers
        self.callback_policy = callback_policy
        self.token = token
        # a store that claims deliveries (SQLite, memory) must hold a claim longer
        # than an attempt may last
        claim = getattr(store, "claim_seconds", None)
        if isinstance(claim, float | int) and claim < timeout + 5:
            store.claim_seconds = timeout + 5  # type: ignore[attr-defined]
        self._lifecycle = threading.Lock()  # start() and close() one at a time
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified as attempts end
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._in_flight: set[str] = set()
        self._passing = threading.Lock()  # one pass over the outbox at a time
        self._ended: set[str] = set()  # attempts ended since the pass began reading
        self._threads: list[threading.Thread] = []  # the running workers
        self._wake = threading.Event()  # an attempt ended: the next may be due now
        self._stop = threading.Event()  # ends the poll loop of start()
        self._poller: threading.Thread | None = None
        self._closed = False
        self.on_outcome: Callable[[AttemptOutcome], None] | None = None
        """Called with the outcome of every attempt before it is recorded (e.g.
        to count deliveries, ``tmf683_falcon.metrics``); it should be quick, and
        what it raises is logged and ignored."""

    def delay(self, failures: int) -> float:
        """Seconds to wait after the given number of failed attempts (>= 1)."""
        return self.first_delay * self.backoff ** (failures - 1) * self.jitter()

    # -- the delivery workers ---------------------------------------------------

    def _open_workers(self) -> bool:
        """Start the workers unless they run; return whether this call started them."""
        with self._lock:
            if self._threads:
                return False
            work = self._queue
            self._threads = [
                threading.Thread(
                    target=self._work, args=(work,), name="tmf683-delivery", daemon=True
                )
                for _ in range(self.workers)
            ]
            for thread in self._threads:
                thread.start()
            return True

    def _close_workers(self, deadline: float) -> None:
        """Stop the workers after the deliveries handed to them; join until deadline.

        A worker still stuck on a subscriber at the deadline is left behind: it is a
        daemon thread, ends after its attempt, and its delivery stays pending in the
        store. Deliveries handed over from now on wait for the next workers.
        """
        with self._lock:
            threads, self._threads = self._threads, []
            work, self._queue = self._queue, queue.Queue()
            for _ in threads:
                work.put(None)
        for thread in threads:
            if thread.ident is None:  # a signal cut _open_workers short: never ran
                continue
            thread.join(max(0.0, deadline - time.monotonic()))

    def _work(self, work: queue.Queue[Delivery | None]) -> None:
        while (delivery := work.get()) is not None:
            try:
                self._attempt(delivery)
            except StoreUnavailableError as exc:
                log.warning("delivery %s waits: %s", delivery.id, exc)
            except Exception:
                log.exception("delivery %s failed unexpectedly", delivery.id)
            finally:
                with self._idle:
                    self._in_flight.discard(delivery.id)
                    self._ended.add(delivery.id)
                    self._idle.notify_all()
                self._wake.set()

    def _attempt(self, delivery: Delivery) -> None:
        self.store.attempt_delivery(delivery, self.clock(), self._send)

    def _send(self, delivery: Delivery) -> AttemptOutcome:
        """POST one delivery; tell :attr:`on_outcome`; return the outcome to record."""
        outcome = attempt_outcome(delivery, self)
        observer = self.on_outcome
        if observer is not None:
            try:
                observer(outcome)
            except Exception:
                log.exception("the dispatcher's on_outcome failed")
        return outcome

    # -- scheduling -------------------------------------------------------------

    def submit_due(self, limit: int = 100) -> int:
        """Hand every due delivery not already in flight to the delivery workers.

        A slow subscriber holds one worker, not the pass: the other callbacks' events
        go on. The store gives at most one due delivery per callback, so order holds;
        a delivery whose attempt ended while the store was being read is left to the
        next pass (the store was read before its outcome), so it is not sent twice.
        Deliveries handed over while no worker runs wait for the next ones
        (:meth:`start`, :meth:`run`, :meth:`run_once`).

        Args:
            limit: most deliveries handed over.

        Returns:
            How many deliveries were handed over.

        Raises:
            StoreUnavailableError: the store cannot be read now.
        """
        with self._passing:
            with self._lock:
                self._ended.clear()
            due = self.store.due_deliveries(self.clock(), limit)
            submitted = 0
            with self._lock:
                for delivery in due:
                    # an attempt that ended while the store was read is read stale
                    if delivery.id in self._in_flight or delivery.id in self._ended:
                        continue
                    self._in_flight.add(delivery.id)
                    self._queue.put(delivery)
                    submitted += 1
            return submitted

    def run_once(self, limit: int = 100, timeout: float = 60.0) -> int:
        """Attempt every delivery that is due now, once, and wait for the attempts.

        On a dispatcher not started, the workers run for this call only.

        Args:
            limit: most deliveries attempted.
            timeout: seconds to wait for the attempts at most.

        Returns:
            How many deliveries were attempted.

        Raises:
            StoreUnavailableError: the store cannot be read now.
        """
        deadline = time.monotonic() + timeout
        opened = self._open_workers()
        try:
            submitted = self.submit_due(limit)
            with self._idle:
                self._idle.wait_for(
                    lambda: not self._in_flight, max(0.0, deadline - time.monotonic())
                )
        finally:
            if opened:
                self._close_workers(deadline)
        return submitted

    def run(self, stop: threading.Event, poll_interval: float = 0.5) -> None:
        """Deliver until ``stop`` is set, polling the outbox when idle.

        A pass runs at once when an attempt ends (the next event to that callback
        may be due now), else every ``poll_interval`` seconds. On a dispatcher not
        started, the workers run until this call returns (after the attempts in
        flight, 15 seconds at most); :meth:`start` runs this loop in a thread.

        Args:
            stop: set it to end the loop (within ``poll_interval`` seconds).
            poll_interval: seconds between looks at an idle outbox.
        """
        opened = self._open_workers()
        try:
            self._poll(stop, poll_interval)
        finally:
            if opened:
                self._close_workers(time.monotonic() + 15.0)

    def pass_limit(self) -> int:
        """How many due deliveries a pass of :meth:`run` asks the store for.

        Returns:
            Two per worker: enough to keep every worker busy until the next pass,
            which runs as soon as an attempt ends, and few rows for the store to
            read and lock (PostgreSQL's due pass locks each row it returns). While
            that many are in flight a pass is not run at all.
        """
        return 2 * self.workers

    def _poll(self, stop: threading.Event, poll_interval: float) -> None:
        while not stop.is_set():
            with self._lock:
                busy = len(self._in_flight) >= self.pass_limit()
            try:
                submitted = 0 if busy else self.submit_due(self.pass_limit())
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

    # -- lifecycle --------------------------------------------------------------

    def start(self, poll_interval: float = 0.5) -> Dispatcher:
        """Start the delivery workers and the poll loop (:meth:`run`) in threads.

        Does nothing when started already.

        Args:
            poll_interval: seconds between looks at an idle outbox.

        Returns:
            This dispatcher, e.g. for ``dispatcher = Dispatcher(store).start()``.

        Raises:
            RuntimeError: the dispatcher was closed.
        """
        with self._lifecycle:
            if self._closed:
                raise RuntimeError("the dispatcher is closed")
            if self._poller is not None:
                return self
            poller = threading.Thread(
                target=self._poll,
                args=(self._stop, poll_interval),
                name="tmf683-dispatcher",
                daemon=True,
            )
            self._open_workers()
            poller.start()
            self._poller = poller  # once started: close() joins only a started one
            return self

    def close(self, timeout: float = 15.0) -> None:
        """Stop every thread :meth:`start` started; wait ``timeout`` seconds at most.

        The deliveries handed to the workers are attempted first. A worker stuck on
        a subscriber past ``timeout`` is left behind: it is a daemon thread, and its
        delivery stays pending in the store. Closing twice does nothing more.

        Args:
            timeout: seconds to wait for the threads, in all.
        """
        deadline = time.monotonic() + timeout
        with self._lifecycle:
            self._closed = True
            poller, self._poller = self._poller, None
            self._stop.set()
            self._wake.set()
            if poller is not None:
                poller.join(max(0.0, deadline - time.monotonic()))
            self._close_workers(deadline)

    def is_alive(self) -> bool:
        """Whether :meth:`start` started the dispatcher and all its threads run.

        The readiness probe (``/ready``) asks: ``False`` before :meth:`start`,
        after :meth:`close`, and when the poll loop or a delivery worker thread
        has died (an error no ``except Exception`` caught).
        """
        with self._lock:
            poller, workers = self._poller, list(self._threads)
        return (
            poller is not None
            and poller.is_alive()
            and bool(workers)
            and all(thread.is_alive() for thread in workers)
        )

    def __enter__(self) -> Dispatcher:
        """Start the dispatcher (:meth:`start`) unless it runs; return it."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Close the dispatcher (:meth:`close`)."""
        self.close()
