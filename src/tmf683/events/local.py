"""In-process subscribers: Python callables given the events of committed changes.

:class:`LocalSubscribers` belongs to an
:class:`~tmf683.events.publish.EventPublisher`, which documents the behaviour
(:meth:`~tmf683.events.publish.EventPublisher.notify_local`): the subscribers run on
one background thread, started with the first event they get, in the order the
changes committed; they live in memory only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tmf683.events.audiences import Audience, RaisedEvents
from tmf683.events.envelopes import EventSelector
from tmf683.storage.base import Document

log = logging.getLogger("tmf683.events.publish")  # the name its records had

EventCallback = Callable[[Document], object]
"""An in-process subscriber, called with each selected event envelope."""


class LocalSubscribers:
    """The in-process subscriptions and the one thread that calls them."""

    def __init__(self) -> None:
        self._local: dict[str, tuple[EventCallback, EventSelector, Audience]] = {}
        self._lock = threading.Lock()
        self._runner: ThreadPoolExecutor | None = None
        self._last: Future[None] | None = None
        self._closed = False

    def add(
        self,
        subscription_id: str,
        function: EventCallback,
        selector: EventSelector,
        audience: Audience,
    ) -> None:
        """Give ``function`` the events of ``audience`` that ``selector`` selects."""
        with self._lock:
            self._local[subscription_id] = (function, selector, audience)

    def remove(self, subscription_id: str) -> bool:
        """Remove a subscription; tell whether it existed."""
        with self._lock:
            return self._local.pop(subscription_id, None) is not None

    def audiences(self) -> list[Audience]:
        """The audiences with an in-process subscriber (repeats possible)."""
        with self._lock:
            return [audience for _, _, audience in self._local.values()]

    def notify(self, raised: RaisedEvents) -> None:
        """Queue the events of a committed change for the subscribers."""
        with self._lock:
            local = list(self._local.values())
            if not local or not raised:
                return
            if self._closed:
                log.warning(
                    "%d events not given to in-process subscribers: closed", len(raised)
                )
                return
            if self._runner is None:
                self._runner = ThreadPoolExecutor(1, "tmf683-subscribers")
            self._last = self._runner.submit(self._call, local, raised)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until the subscribers have seen every event queued so far.

        Raises:
            TimeoutError: the subscribers are still busy after ``timeout`` seconds.
        """
        with self._lock:
            last = self._last
        if last is not None:
            last.result(timeout)

    def close(self) -> None:
        """Stop the thread after the events it holds; queue nothing more."""
        with self._lock:
            self._closed = True
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.shutdown(wait=True)

    @staticmethod
    def _call(
        local: list[tuple[EventCallback, EventSelector, Audience]],
        raised: RaisedEvents,
    ) -> None:
        for audience, envelope in raised:
            for function, selector, wanted in local:
                if wanted != audience:
                    continue
                selected = selector.select(envelope)
                if selected is None:
                    continue
                try:
                    function(selected)
                except Exception:
                    log.exception("in-process subscriber %r failed", function)
