"""The storage port: what the service needs from a store of PartyInteraction documents.

The port is split by role: :class:`DocumentStore` (the PartyInteraction documents),
:class:`SubscriptionStore` (the hub subscriptions) and :class:`OutboxStore` (the
transactional outbox of event deliveries). :class:`PartyInteractionStore` combines the
three; every store of this package implements it.

Stores keep JSON documents (dicts with the swagger's names) keyed by ``id``. They do not
keep ``href``: the service builds it from its base URL on the way out, so moving a
server to another host does not leave stale links behind.

Every method is safe to call from several threads at once.

Versions (optimistic concurrency): every stored document has a version, an integer
that is :data:`FIRST_VERSION` when it is added and grows by one with every
``update``. Reads return it (:class:`VersionedDocument`); ``update`` and ``delete``
take an ``expected_version`` and raise
:class:`~tmf683._errors.PreconditionFailedError` when the stored version is not the
one expected, checked in the write's own transaction (under the store's lock or row
lock), so no write can slip in between the check and the write. Every store checks
with :func:`check_version`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from tmf683._errors import PreconditionFailedError
from tmf683.query.ast import Query

RESOURCE = "PartyInteraction"
"""The resource name of the documents, as errors name it."""

SUBSCRIPTION = "EventSubscription"
"""The resource name of the hub subscriptions, as errors name it."""

Document = dict[str, Any]
"""A PartyInteraction as JSON, e.g. ``{"id": ..., "channel": [...], ...}``."""

DocumentChange = Callable[[Document], Document]
"""Computes the new state of a document from its current state; may raise."""

FIRST_VERSION = 1
"""The version of a document just added; each ``update`` adds one."""

ExpectedVersion = int | Collection[int] | None
"""The version a conditional write expects, one of several versions (an empty
collection never matches), or ``None`` for an unconditional write."""


class VersionedDocument(dict[str, Any]):
    """A document (a plain ``dict`` in every other way) with its stored version.

    Equality, ``repr`` and ``pprint`` show the contents only, as for any dict;
    copies made with ``dict(...)`` or ``{**...}`` are plain dicts without the
    version.

    Args:
        document: the contents.
        version: the version of the stored document these contents come from.

    Attributes:
        version: an integer that changes with every write of the document
            (:data:`FIRST_VERSION` when created); pass it as ``if_match`` (service)
            or ``expected_version`` (store) to write only if nobody wrote since.
    """

    def __init__(self, document: Mapping[str, Any], version: int) -> None:
        super().__init__(document)
        self.version = version


def check_version(
    resource: str, id: str, expected: ExpectedVersion, version: int
) -> None:
    """Raise unless a conditional write may go ahead: the one check of every store.

    Call it inside the write's transaction, with the version read there under the
    lock the write holds.

    Args:
        resource: the resource name, for the error.
        id: the document's id.
        expected: the ``expected_version`` the write was given.
        version: the version stored now.

    Raises:
        PreconditionFailedError: ``expected`` is not ``None`` and not (or does not
            hold) ``version``.
    """
    if expected is None:
        return
    if isinstance(expected, int):
        expected = (expected,)
    if version not in expected:
        raise PreconditionFailedError(resource, id, version)


DEFAULT_QUERY_TIMEOUT = 5.0
"""Default deadline of one list query, in seconds (tmf683-server
``--query-timeout``): past it the query stops with a 503 TMF Error."""

SCAN_BATCH = 500
"""Documents per batch of :meth:`DocumentStore.scan`."""


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


@attrs.frozen
class Page:
    """One page of a list query.

    Attributes:
        items: the documents of this page, in order.
        total_count: how many documents match the filter in all (``X-Total-Count``).
        offset: how many matches precede this page.
        limit: the page size asked for, after the service's maximum; ``None`` from a
            store queried without a limit.
    """

    items: list[Document]
    total_count: int
    offset: int = 0
    limit: int | None = None

    @property
    def is_partial(self) -> bool:
        """Whether matches exist outside this page (HTTP 206 where enabled)."""
        return len(self.items) < self.total_count

    def links(self) -> dict[str, tuple[int, int]]:
        """The neighbouring pages (TMF630 Part 1, pagination; the ``Link`` header).

        Returns:
            ``{"first"|"prev"|"next"|"last": (offset, limit)}``, only the relations
            that exist; empty without a positive ``limit``. Pages step by ``limit``
            from this page's offset; ``last`` is the one holding the last match.
        """
        if not self.limit:
            return {}
        size, total = self.limit, self.total_count
        if total == 0:
            last = 0
        elif self.offset < total:
            last = self.offset + (total - 1 - self.offset) // size * size
        else:
            last = (total - 1) // size * size
        found = {"first": (0, size)}
        if self.offset > 0:
            found["prev"] = (max(0, min(self.offset, last + size) - size), size)
        if self.offset + size < total:
            found["next"] = (self.offset + size, size)
        found["last"] = (last, size)
        return found


@runtime_checkable
class DocumentStore(Protocol):
    """A place to keep PartyInteraction documents.

    Documents passed in are not kept by reference and documents returned are the
    caller's to change.
    """

    def add(self, document: Document, outbox: Outbox | None = None) -> None:
        """Store a new document, atomically, with the deliveries it raises.

        Args:
            document: a validated document whose ``"id"`` is set.
            outbox: computes the deliveries, written in the same transaction.

        Raises:
            ConflictError: a document with that id exists already.
        """
        ...

    def add_many(
        self, documents: Sequence[Document], outbox: Outbox | None = None
    ) -> None:
        """Store several new documents in one atomic step: all or none.

        Args:
            documents: validated documents whose ``"id"`` is set, distinct.
            outbox: computes each document's deliveries, in the same transaction.

        Raises:
            ConflictError: one of the ids exists already (or repeats); nothing is
                stored.
        """
        ...

    def put_many(self, documents: Sequence[Document], *, replace: bool = False) -> int:
        """Write documents by id in one atomic step, raising no events (bulk import).

        For moving documents between stores (``tmf683 import``): no outbox, so no
        hub subscriber hears of them. A new id is added at :data:`FIRST_VERSION`,
        after every stored document; a stored id is left as it is
        (``replace=False``) or gets the new document, its version one more, in its
        place (``replace=True``). An id repeated in ``documents`` counts once: the
        first (``replace=False``) or the last (``replace=True``) is written.

        Args:
            documents: validated documents whose ``"id"`` is set.
            replace: overwrite stored documents of the same id.

        Returns:
            How many documents were written (added or replaced).

        Raises:
            ValidationError: an id no stored text can be (PostgreSQL: NUL, an
                unpaired surrogate); nothing is written.
        """
        ...

    def get(self, id: str) -> VersionedDocument:
        """Read one document with its version (read together, in one statement).

        Args:
            id: the document's id.

        Returns:
            The stored document, its ``version`` attribute the stored version.

        Raises:
            NotFoundError: no document has that id.
        """
        ...

    def update(
        self,
        id: str,
        change: DocumentChange,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> VersionedDocument:
        """Replace a document by a function of its current state, atomically.

        No other write to that document happens between reading it and writing the
        result. When ``change`` raises, nothing is written and the error propagates.
        The version grows by one.

        Args:
            id: the document's id.
            change: computes the new document from the current one; it must keep
                ``"id"``. Not called when the version does not match.
            outbox: computes the deliveries from the old and new document, written
                in the same transaction.
            expected_version: write only if the stored version is this one (or one
                of these); see :func:`check_version`.

        Returns:
            The document as stored, with its new version.

        Raises:
            NotFoundError: no document has that id.
            PreconditionFailedError: the stored version is not the one expected;
                nothing is written.
        """
        ...

    def delete(
        self,
        id: str,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> Document:
        """Remove a document, atomically, with the deliveries it raises.

        Args:
            id: the document's id.
            outbox: computes the deliveries from the removed document.
            expected_version: remove only if the stored version is this one (or
                one of these); see :func:`check_version`.

        Returns:
            The document as it was before removal.

        Raises:
            NotFoundError: no document has that id.
            PreconditionFailedError: the stored version is not the one expected;
                nothing is removed.
        """
        ...

    def find(self, query: Query) -> Page:
        """Answer a list query: filter, sort, page and count.

        ``query.fields`` is not applied: projection happens after the query.

        Args:
            query: conditions, sort keys, offset and limit.

        Returns:
            The page and the total count of matches, with the semantics of
            :func:`tmf683.query.evaluate.select`.

        Raises:
            QueryTimeoutError: it ran past the store's ``query_timeout``.
        """
        ...

    def scan(
        self, query: Query, batch_size: int = SCAN_BATCH
    ) -> Iterator[list[Document]]:
        """Yield every document matching ``query``'s conditions, batch by batch.

        For work a query cannot do in the store (a v5 filter on data that only v5
        names): the documents come in the default (creation) order, at most
        ``batch_size`` at a time, so memory stays bounded whatever the table's size.
        ``sort``, ``offset``, ``limit`` and ``fields`` are ignored. Each batch is
        read on its own, after the last one's position: a document written meanwhile
        may or may not be seen, one that stays is seen once.

        Args:
            query: the conditions (e.g. a party restriction).
            batch_size: the most documents a batch holds.

        Yields:
            Lists of documents.

        Raises:
            QueryTimeoutError: the scan, counted from its first batch and with the
                caller's work between batches, ran past ``query_timeout``.
        """
        ...

    query_timeout: float | None
    """The most seconds one list query (:meth:`find`, a whole :meth:`scan`) may run;
    ``None``: no deadline."""


@runtime_checkable
class SubscriptionStore(Protocol):
    """A place to keep the hub subscriptions (TMF630 Part 2, ``/hub``)."""

    def add_subscription(
        self, subscription: Document, *, limit: int | None = None
    ) -> None:
        """Store a hub subscription ``{"id", "callback", "query"}``.

        Args:
            subscription: the subscription.
            limit: the most subscriptions the store may hold, checked atomically
                with the insert; ``None``: no limit.

        Raises:
            ConflictError: the id exists already.
            SubscriptionLimitError: ``limit`` subscriptions exist already.
        """
        ...

    def get_subscription(self, id: str) -> Document:
        """Read a hub subscription.

        Raises:
            NotFoundError: no subscription has that id.
        """
        ...

    def delete_subscription(self, id: str) -> None:
        """Remove a hub subscription and its deliveries, pending or failed.

        Raises:
            NotFoundError: no subscription has that id.
        """
        ...

    def subscriptions(self) -> list[Document]:
        """Every hub subscription, in registration order."""
        ...

    def subscription_generation(self) -> int:
        """A number that changes whenever a subscription is added or removed.

        Every process sharing the store sees the others' changes: a publisher keeps
        its index of the subscriptions while this number stays the same, and reads
        them again when it moves. Called inside a write (by its outbox function),
        it reads that write's view.

        Returns:
            The current generation (compare for equality only).
        """
        ...


FAILED_BEHIND = "not sent: an earlier event to this callback failed for good"
"""The ``last_error`` of the pending deliveries failed at once behind one of their
callback that failed for good (see :meth:`OutboxStore.record_attempt`)."""
TRIMMED = "not sent: more events were waiting for this callback than it may queue"
"""The ``last_error`` of the oldest pending deliveries failed when a callback has
more than ``max_pending_per_callback`` waiting (see :class:`OutboxStore`)."""


@runtime_checkable
class OutboxStore(Protocol):
    """The transactional outbox: deliveries written with the changes that raised them.

    Rows are added by the :class:`DocumentStore` writes (their ``outbox`` argument);
    a dispatcher reads and records them here.

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


@runtime_checkable
class PartyInteractionStore(DocumentStore, SubscriptionStore, OutboxStore, Protocol):
    """A store of documents, hub subscriptions and the outbox, in one place.

    One place, so that a change and the deliveries it raises are written in one
    transaction. Implementations: :class:`tmf683.storage.memory.MemoryStore`,
    :class:`tmf683.storage.sqlite.SQLiteStore` and
    :class:`tmf683.storage.postgres.PostgresStore`.
    """

    def check_ready(self, timeout: float) -> None:
        """Check that the store answers and has the schema this tmf683 writes.

        The readiness probe (``/ready``) calls it: a trivial query within
        ``timeout`` seconds, and the stored schema version compared with the
        store's ``SCHEMA_VERSION``. A store that hangs past ``timeout`` in a way
        the store cannot interrupt (a blocked system call) is bounded by the
        caller, which runs the check in a thread of its own.

        Args:
            timeout: seconds the check may take.

        Raises:
            StoreUnavailableError: the store does not answer, answers with an
                error, or has another schema version; the message says which.
        """
        ...

    def close(self) -> None:
        """Release connections and files; the store is not used afterwards."""
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


def distinct_by_id(documents: Sequence[Document], *, replace: bool) -> list[Document]:
    """The documents of a :meth:`DocumentStore.put_many`, each id once.

    Args:
        documents: documents with ``"id"``, an id possibly repeated.
        replace: keep the last of a repeated id (else the first).

    Returns:
        The documents in their first order, one per id.
    """
    chosen: dict[str, Document] = {}
    for document in documents:
        if replace or document["id"] not in chosen:
            chosen[document["id"]] = document
    return list(chosen.values())
