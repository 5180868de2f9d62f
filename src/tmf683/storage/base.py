"""The storage port: what the service needs from a store of PartyInteraction documents.

The port is split by role: :class:`DocumentStore` (the PartyInteraction documents),
:class:`SubscriptionStore` (the hub subscriptions) and
:class:`~tmf683.storage.outbox.OutboxStore` (the transactional outbox of event
deliveries, with its values, in :mod:`tmf683.storage.outbox`).
:class:`PartyInteractionStore` combines the three; every store of this package
implements it. The values the port passes (documents, versions, pages) are in
:mod:`tmf683.storage.records`; every name of both modules is importable from here.

Stores keep JSON documents (dicts with the swagger's names) keyed by ``id``. They do not
keep ``href``: the service builds it from its base URL on the way out, so moving a
server to another host does not leave stale links behind.

Every method is safe to call from several threads at once.

Versions (optimistic concurrency): every stored document has a version, an integer
that is :data:`~tmf683.storage.records.FIRST_VERSION` when it is added and grows by
one with every ``update``. Reads return it
(:class:`~tmf683.storage.records.VersionedDocument`); ``update`` and ``delete`` take
an ``expected_version`` and raise :class:`~tmf683._errors.PreconditionFailedError`
when the stored version is not the one expected, checked in the write's own
transaction (under the store's lock or row lock), so no write can slip in between
the check and the write. Every store checks with
:func:`~tmf683.storage.records.check_version`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from tmf683.query.ast import Query
from tmf683.storage.outbox import FAILED_BEHIND as FAILED_BEHIND
from tmf683.storage.outbox import TRIMMED as TRIMMED
from tmf683.storage.outbox import AttemptOutcome as AttemptOutcome
from tmf683.storage.outbox import Delivery as Delivery
from tmf683.storage.outbox import Outbox as Outbox
from tmf683.storage.outbox import OutboxStats as OutboxStats
from tmf683.storage.outbox import OutboxStore as OutboxStore
from tmf683.storage.outbox import Send as Send
from tmf683.storage.outbox import attempt_then_record as attempt_then_record
from tmf683.storage.outbox import event_time as event_time
from tmf683.storage.records import DEFAULT_QUERY_TIMEOUT as DEFAULT_QUERY_TIMEOUT
from tmf683.storage.records import FIRST_VERSION as FIRST_VERSION
from tmf683.storage.records import RESOURCE as RESOURCE
from tmf683.storage.records import SCAN_BATCH as SCAN_BATCH
from tmf683.storage.records import SUBSCRIPTION as SUBSCRIPTION
from tmf683.storage.records import Document as Document
from tmf683.storage.records import DocumentChange as DocumentChange
from tmf683.storage.records import ExpectedVersion as ExpectedVersion
from tmf683.storage.records import Page as Page
from tmf683.storage.records import VersionedDocument as VersionedDocument
from tmf683.storage.records import check_version as check_version


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
        hub subscriber hears of them. A new id is added at
        :data:`~tmf683.storage.records.FIRST_VERSION`, after every stored document;
        a stored id is left as it is (``replace=False``) or gets the new document,
        its version one more, in its place (``replace=True``). An id repeated in
        ``documents`` counts once: the first (``replace=False``) or the last
        (``replace=True``) is written.

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
