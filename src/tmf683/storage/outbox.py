"""The outbox's part of the storage port: deliveries, their attempts, ``OutboxStore``.

A write raises events as :class:`Delivery` rows in its own transaction (the
:data:`Outbox` function a :class:`~tmf683.storage.base.DocumentStore` write takes); a
dispatcher reads the due ones, attempts them (:data:`Send`, an
:class:`AttemptOutcome`) and records the outcome through :class:`OutboxStore`.
:class:`~tmf683.storage.base.PartyInteractionStore` combines it with the other roles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from tmf683.storage.records import Document


@attrs.frozen
class Delivery:
    """One event on its way to one subscriber (a row of the transactional outbox).

    Attributes:
        id: unique id of the delivery.
        subscription_id: the hub subscription it is for.
        callback: the URL the event is POSTed to.
        event: the event envelope as delivered (trimmed by the subscription).
        attempts: how many deliveries failed so far.
        next_attempt_at: when to try next, seconds since the epoch (UTC).
        state: ``"pending"`` or ``"failed"`` (delivered ones are removed).
        last_error: why the last attempt failed.
    """

    id: str
    subscription_id: str
    callback: str
    event: Document
    attempts: int = 0
    next_attempt_at: float = 0.0
    state: str = "pending"
    last_error: str | None = None


@attrs.frozen
class AttemptOutcome:
    """What one delivery attempt came to.

    Attributes:
        delivered: the subscriber accepted the event: the delivery is removed.
        next_attempt_at: when to retry, seconds since the epoch (UTC); ``None`` with
            ``delivered=False`` marks the delivery failed for good.
        error: why the attempt failed.
    """

    delivered: bool
    next_attempt_at: float | None = None
    error: str | None = None


@attrs.frozen
class OutboxStats:
    """How many deliveries the outbox holds, read at once (metrics, scrape time).

    Attributes:
        pending: deliveries waiting to be sent (or retried).
        failed: deliveries kept as failed for good.
        oldest_pending_time: when the oldest pending event was raised (its
            ``eventTime``), seconds since the epoch (UTC); ``None`` when nothing
            is pending or its time cannot be read.
    """

    pending: int
    failed: int
    oldest_pending_time: float | None = None


def event_time(event: Mapping[str, Any]) -> float | None:
    """An event envelope's ``eventTime`` in seconds since the epoch, if readable.

    Args:
        event: an event envelope as the outbox keeps it.

    Returns:
        The time, or ``None`` when the envelope has no ``eventTime`` (a trimmed
        event) or one that is not an ISO 8601 date-time with a zone.
    """
    text = event.get("eventTime")
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.timestamp()


Send = Callable[[Delivery], AttemptOutcome]
"""Sends one delivery and says what came of it (never raises for a failed send)."""


Outbox = Callable[[Document | None, Document | None], Sequence[Delivery]]
"""Computes the deliveries a change raises, from the document before (``None`` for a
create) and after (``None`` for a delete); called inside the write transaction.
Delivery ids must be new: one taken already fails the whole write (nothing is
stored) with the store's own error (the driver's integrity error, or a
``ValueError`` in memory), never a :class:`~tmf683.ConflictError`, which names a
taken document id only."""


FAILED_BEHIND = "not sent: an earlier event to this callback failed for good"
"""The ``last_error`` of the pending deliveries failed at once behind one of their
callback that failed for good (see :meth:`OutboxStore.record_attempt`)."""
TRIMMED = "not sent: more events were waiting for this callback than it may queue"
"""The ``last_error`` of the oldest pending deliveries failed when a callback has
more than ``max_pending_per_callback`` waiting (see :class:`OutboxStore`)."""


@runtime_checkable
class OutboxStore(Protocol):
    """The transactional outbox: deliveries written with the changes that raised them.

    Rows are added by the :class:`~tmf683.storage.base.DocumentStore` writes (their
    ``outbox`` argument); a dispatcher reads and records them here.

    The stores of tmf683 have a ``max_pending_per_callback`` attribute: the most
    pending deliveries one callback may have; a write that queues more fails the
    oldest (``last_error`` :data:`TRIMMED`), in its transaction. ``None`` (the
    default): no limit.

    They also have a ``max_failed_per_callback`` attribute: the most deliveries
    that failed for good one callback keeps (those :meth:`failed_deliveries`
    lists). Whenever deliveries of a callback become failed (the pending limit,
    the give-up of :meth:`record_attempt` and the deliveries failed behind it),
    the oldest failed ones of that callback past the limit are deleted, in the
    same transaction: the newest failed stay; ``0`` keeps none; other callbacks
    and pending deliveries are untouched. ``None`` (the default): every failed
    delivery is kept until its subscription is removed.
    """

    def due_deliveries(self, now: float, limit: int = 100) -> list[Delivery]:
        """Deliveries to attempt now: per callback, only the oldest pending one.

        Events to one callback go out in the order they were raised: a later one
        waits until the earlier one is delivered or has failed for good.

        Args:
            now: seconds since the epoch.
            limit: most deliveries returned.

        Returns:
            Pending deliveries whose ``next_attempt_at`` has come, oldest first.
        """
        ...

    def record_attempt(
        self,
        delivery_id: str,
        *,
        delivered: bool,
        next_attempt_at: float | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of an attempt.

        Args:
            delivery_id: the delivery.
            delivered: the subscriber accepted it: the delivery is removed.
            next_attempt_at: when to retry (seconds since the epoch); ``None`` with
                ``delivered=False`` marks the delivery failed for good, and with it
                every pending delivery queued behind it for the same callback
                (``last_error`` :data:`FAILED_BEHIND`): a callback down for good
                does not drain event by event for hours.
            error: why the attempt failed.
        """
        ...

    def attempt_delivery(self, delivery: Delivery, now: float, send: Send) -> bool:
        """Attempt a delivery that :meth:`due_deliveries` returned, and record it.

        Stores shared by several processes (PostgreSQL) make the attempt exclusive:
        the delivery must still be pending, due at ``now`` and the oldest pending
        one of its callback, and no other dispatcher may be attempting it; it stays
        locked until the outcome is recorded. The in-process stores leave
        exclusivity to the one dispatcher of their process.

        Args:
            delivery: the delivery.
            now: seconds since the epoch (UTC).
            send: makes the attempt; its outcome is recorded as
                :meth:`record_attempt` would.

        Returns:
            ``True`` when ``send`` ran; ``False`` when the delivery was not to be
            attempted (any more).
        """
        ...

    def failed_deliveries(self) -> list[Delivery]:
        """Deliveries that failed for good, oldest first.

        At most ``max_failed_per_callback`` per callback, when set (see the class).
        """
        ...

    def outbox_stats(self) -> OutboxStats:
        """Count the pending and failed deliveries; find the oldest pending one.

        For metrics, read at each scrape: one count over the outbox and one read
        of its oldest pending row.

        Returns:
            The counts and the ``eventTime`` of the oldest pending event.

        Raises:
            StoreUnavailableError: the store cannot be reached (PostgreSQL).
        """
        ...


def attempt_then_record(store: OutboxStore, delivery: Delivery, send: Send) -> bool:
    """Call ``send`` and record its outcome: ``attempt_delivery`` for one process.

    Args:
        store: where the outcome is recorded.
        delivery: the delivery.
        send: makes the attempt.

    Returns:
        ``True``: the attempt ran.
    """
    outcome = send(delivery)
    store.record_attempt(
        delivery.id,
        delivered=outcome.delivered,
        next_attempt_at=outcome.next_attempt_at,
        error=outcome.error,
    )
    return True
