"""An in-memory store: real and supported, for tests, demos and embedding.

Its list queries use the reference evaluator (:mod:`tmf683.query.evaluate`), so it is
also the oracle the SQL stores are checked against. Nothing survives the process.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import attrs

from tmf683._errors import (
    ConflictError,
    NotFoundError,
    StoreUnavailableError,
    SubscriptionLimitError,
)
from tmf683.query.ast import Query
from tmf683.query.evaluate import matches, select
from tmf683.query.regex import guarded
from tmf683.storage._deadline import Deadline
from tmf683.storage.base import (
    DEFAULT_QUERY_TIMEOUT,
    FAILED_BEHIND,
    FIRST_VERSION,
    RESOURCE,
    SCAN_BATCH,
    SUBSCRIPTION,
    TRIMMED,
    Delivery,
    Document,
    DocumentChange,
    ExpectedVersion,
    Outbox,
    OutboxStats,
    Page,
    Send,
    VersionedDocument,
    attempt_then_record,
    check_version,
    distinct_by_id,
    event_time,
)


class MemoryStore:
    """Keeps documents in a dict, in creation order, behind one lock.

    Implements :class:`tmf683.storage.base.PartyInteractionStore`.
    """

    def __init__(self, *, query_timeout: float | None = DEFAULT_QUERY_TIMEOUT) -> None:
        """Create an empty store.

        Args:
            query_timeout: most seconds one list query (:meth:`find`, a whole
                :meth:`scan`) may run before it stops with
                :class:`~tmf683.QueryTimeoutError`; ``None`` for no deadline.
        """
        self.query_timeout = query_timeout
        self._documents: dict[str, Document] = {}
        self._versions: dict[str, int] = {}
        self._subscriptions: dict[str, Document] = {}
        self._generation = 0
        self._deliveries: dict[str, Delivery] = {}
        self._lock = threading.RLock()

    max_pending_per_callback: int | None = None
    """The most pending deliveries per callback; a write queueing more fails the
    oldest. ``None``: no limit."""

    def _checked(self, deliveries: Iterable[Delivery]) -> list[Delivery]:
        """The deliveries, when no id of theirs is taken (SQL's unique key).

        Raises:
            ValueError: an id repeated or in the outbox already (an event id
                factory that repeats itself); the write then changes nothing.
        """
        checked = list(deliveries)
        ids = [delivery.id for delivery in checked]
        taken = [id for id in ids if id in self._deliveries] or [
            id for id, count in Counter(ids).items() if count > 1
        ]
        if taken:
            raise ValueError(f"the delivery id {taken[0]!r} is taken already")
        return checked

    max_failed_per_callback: int | None = None
    """The most failed deliveries kept per callback; failing more deletes the
    oldest failed ones of that callback. ``None``: no limit."""

    def _of_callback(self, callback: str, state: str) -> list[Delivery]:
        """The deliveries of a callback in a state, oldest first (under the lock)."""
        return [
            d
            for d in self._deliveries.values()
            if d.callback == callback and d.state == state
        ]

    def _queue(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            self._deliveries[delivery.id] = delivery
        limit = self.max_pending_per_callback
        if limit is None or not deliveries:
            return
        for callback in dict.fromkeys(d.callback for d in deliveries):
            trimmed = _beyond(self._of_callback(callback, "pending"), limit)
            for old in trimmed:
                self._deliveries[old.id] = attrs.evolve(
                    old, state="failed", last_error=TRIMMED
                )
            if trimmed:
                self._trim_failed(callback)

    def _trim_failed(self, callback: str) -> None:
        """Delete a callback's oldest failed deliveries past its limit (locked)."""
        limit = self.max_failed_per_callback
        if limit is not None:
            for old in _beyond(self._of_callback(callback, "failed"), limit):
                del self._deliveries[old.id]

    def add(self, document: Document, outbox: Outbox | None = None) -> None:
        """Store a new document; see the protocol. Raises ConflictError."""
        self.add_many([document], outbox)

    def add_many(
        self, documents: Sequence[Document], outbox: Outbox | None = None
    ) -> None:
        """Store several new documents, all or none; see the protocol."""
        with self._lock:
            seen: set[str] = set()
            for document in documents:
                if document["id"] in self._documents or document["id"] in seen:
                    raise ConflictError(RESOURCE, document["id"])
                seen.add(document["id"])
            queued = self._checked(
                d for doc in documents for d in (outbox(None, doc) if outbox else ())
            )
            for document in documents:
                self._documents[document["id"]] = copy.deepcopy(document)
                self._versions[document["id"]] = FIRST_VERSION
            self._queue(queued)

    def put_many(self, documents: Sequence[Document], *, replace: bool = False) -> int:
        """Write documents by id, all at once, raising no events; see the protocol."""
        written = 0
        with self._lock:
            for document in distinct_by_id(documents, replace=replace):
                id = document["id"]
                if id in self._documents:
                    if not replace:
                        continue
                    self._versions[id] += 1
                else:
                    self._versions[id] = FIRST_VERSION
                self._documents[id] = copy.deepcopy(document)
                written += 1
        return written

    def get(self, id: str) -> VersionedDocument:
        """Read one document with its version; see the protocol."""
        with self._lock:
            if id not in self._documents:
                raise NotFoundError(RESOURCE, id)
            return VersionedDocument(
                copy.deepcopy(self._documents[id]), self._versions[id]
            )

    def _current(self, id: str, expected_version: ExpectedVersion) -> Document:
        """A copy of the document, when the version matches (under the lock)."""
        if id not in self._documents:
            raise NotFoundError(RESOURCE, id)
        check_version(RESOURCE, id, expected_version, self._versions[id])
        return copy.deepcopy(self._documents[id])

    def update(
        self,
        id: str,
        change: DocumentChange,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> VersionedDocument:
        """Replace a document atomically; see the protocol."""
        with self._lock:
            current = self._current(id, expected_version)
            new = change(copy.deepcopy(current))
            queued = self._checked(outbox(current, new) if outbox else ())
            self._documents[id] = copy.deepcopy(new)
            self._versions[id] += 1
            self._queue(queued)
            return VersionedDocument(new, self._versions[id])

    def delete(
        self,
        id: str,
        outbox: Outbox | None = None,
        *,
        expected_version: ExpectedVersion = None,
    ) -> Document:
        """Remove a document; see the protocol."""
        with self._lock:
            old = self._current(id, expected_version)
            queued = self._checked(outbox(old, None) if outbox else ())
            del self._documents[id]
            del self._versions[id]
            self._queue(queued)
            return old

    def find(self, query: Query) -> Page:
        """Answer a list query with the reference evaluator; see the protocol."""
        deadline = Deadline(self.query_timeout)
        with self._lock:
            documents = list(self._documents.values())
        with guarded(deadline.check):
            page, total = select(deadline.bounded(documents), query)
        return Page([copy.deepcopy(dict(doc)) for doc in page], total)

    def scan(
        self, query: Query, batch_size: int = SCAN_BATCH
    ) -> Iterator[list[Document]]:
        """Yield the matching documents in batches; see the protocol."""
        deadline = Deadline(self.query_timeout)
        with self._lock:
            documents = list(self._documents.values())
        batch: list[Document] = []
        for document in deadline.bounded(documents):
            with guarded(deadline.check):
                matched = matches(document, query.conditions)
            if matched:
                batch.append(copy.deepcopy(document))
            if len(batch) == batch_size:
                deadline.check()
                yield batch
                batch = []
        deadline.check()
        if batch:
            yield batch

    def add_subscription(
        self, subscription: Document, *, limit: int | None = None
    ) -> None:
        """Store a hub subscription; see the protocol."""
        with self._lock:
            if subscription["id"] in self._subscriptions:
                raise ConflictError(SUBSCRIPTION, subscription["id"])
            if limit is not None and len(self._subscriptions) >= limit:
                raise SubscriptionLimitError(limit)
            self._subscriptions[subscription["id"]] = dict(subscription)
            self._generation += 1

    def get_subscription(self, id: str) -> Document:
        """Read a hub subscription; see the protocol."""
        with self._lock:
            if id not in self._subscriptions:
                raise NotFoundError(SUBSCRIPTION, id)
            return dict(self._subscriptions[id])

    def delete_subscription(self, id: str) -> None:
        """Remove a hub subscription and its pending deliveries; see the protocol."""
        with self._lock:
            if id not in self._subscriptions:
                raise NotFoundError(SUBSCRIPTION, id)
            del self._subscriptions[id]
            self._generation += 1
            for key in [
                k for k, d in self._deliveries.items() if d.subscription_id == id
            ]:
                del self._deliveries[key]

    def subscriptions(self) -> list[Document]:
        """Every hub subscription, in registration order."""
        with self._lock:
            return [dict(s) for s in self._subscriptions.values()]

    def subscription_generation(self) -> int:
        """How many times subscriptions were added or removed; see the protocol."""
        with self._lock:
            return self._generation

    def due_deliveries(self, now: float, limit: int = 100) -> list[Delivery]:
        """The oldest pending delivery per callback, when due; see the protocol."""
        with self._lock:
            heads: dict[str, Delivery] = {}
            for delivery in self._deliveries.values():
                if delivery.state == "pending":
                    heads.setdefault(delivery.callback, delivery)
            due = [d for d in heads.values() if d.next_attempt_at <= now]
            return due[:limit]

    def record_attempt(
        self,
        delivery_id: str,
        *,
        delivered: bool,
        next_attempt_at: float | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of an attempt; see the protocol."""
        with self._lock:
            delivery = self._deliveries.get(delivery_id)
            if delivery is None:
                return
            if delivered:
                del self._deliveries[delivery_id]
                return
            self._deliveries[delivery_id] = attrs.evolve(
                delivery,
                attempts=delivery.attempts + 1,
                next_attempt_at=next_attempt_at or delivery.next_attempt_at,
                state="pending" if next_attempt_at is not None else "failed",
                last_error=error,
            )
            if next_attempt_at is None:  # fail those queued behind it too
                behind = False
                for key, later in self._deliveries.items():
                    behind = behind or key == delivery_id
                    if (
                        behind
                        and key != delivery_id
                        and later.state == "pending"
                        and later.callback == delivery.callback
                    ):
                        self._deliveries[key] = attrs.evolve(
                            later, state="failed", last_error=FAILED_BEHIND
                        )
                self._trim_failed(delivery.callback)

    claim_seconds: float = 15.0
    """How long a claimed delivery is not due for any other dispatcher."""

    def attempt_delivery(self, delivery: Delivery, now: float, send: Send) -> bool:
        """Claim a delivery, attempt it and record it; see the protocol.

        As on SQLite, the claim (its due time pushed ``claim_seconds`` ahead) keeps
        a second dispatcher on this store from sending it meanwhile.
        """
        with self._lock:
            current = self._deliveries.get(delivery.id)
            head = next(
                (
                    d
                    for d in self._deliveries.values()
                    if d.state == "pending" and d.callback == delivery.callback
                ),
                None,
            )
            if current is None or head is not current or current.next_attempt_at > now:
                return False
            self._deliveries[delivery.id] = attrs.evolve(
                current, next_attempt_at=now + self.claim_seconds
            )
        return attempt_then_record(self, delivery, send)

    def failed_deliveries(self) -> list[Delivery]:
        """Deliveries that failed for good; see the protocol."""
        with self._lock:
            return [d for d in self._deliveries.values() if d.state == "failed"]

    def outbox_stats(self) -> OutboxStats:
        """Count the pending and failed deliveries; see the protocol."""
        with self._lock:
            pending = [d for d in self._deliveries.values() if d.state == "pending"]
            failed = len(self._deliveries) - len(pending)
        oldest = event_time(pending[0].event) if pending else None
        return OutboxStats(len(pending), failed, oldest)

    def check_ready(self, timeout: float) -> None:
        """Check that the store's lock frees up within ``timeout`` seconds.

        Raises:
            StoreUnavailableError: it did not (a write holds it that long).
        """
        if not self._lock.acquire(timeout=timeout):
            raise StoreUnavailableError(
                f"the memory store stayed locked for {timeout:g} s"
            )
        self._lock.release()

    def close(self) -> None:
        """Forget everything."""
        with self._lock:
            self._documents.clear()
            self._versions.clear()
            self._subscriptions.clear()
            self._generation += 1
            self._deliveries.clear()


def _beyond(deliveries: list[Delivery], limit: int) -> list[Delivery]:
    """The oldest of ``deliveries`` (oldest first) beyond the newest ``limit``."""
    return deliveries[: max(0, len(deliveries) - limit)]
