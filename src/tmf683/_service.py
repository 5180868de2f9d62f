"""The TMF683 use cases: create, retrieve, list, patch and delete party interactions.

:class:`PartyInteractionService` is the only object an adapter needs; it is usable from
Python without any HTTP. It works on JSON documents (dicts with the swagger's names):
what a client sends and what it reads back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tmf683._errors import ValidationError
from tmf683._inputs import read_selection
from tmf683._model import PartyInteraction
from tmf683._service_base import IfMatch, expected_version
from tmf683._service_reads import PartyInteractionReads
from tmf683._visibility import (
    check_party_write,
    check_visible,
    guarded,
    precondition_hidden,
)
from tmf683._writes import IMMUTABLE_ATTRIBUTES as IMMUTABLE_ATTRIBUTES
from tmf683._writes import new_document, patched_document
from tmf683.events.audiences import RaisedEvents
from tmf683.events.callbacks import DEFAULT_POLICY, CallbackPolicy
from tmf683.events.envelopes import V4_EVENTS
from tmf683.events.publish import EventPublisher
from tmf683.patch.apply import (
    PatchFormat,
    check_patch,
)
from tmf683.query.projection import project
from tmf683.storage.base import (
    FIRST_VERSION,
    Document,
    Outbox,
    PartyInteractionStore,
    VersionedDocument,
)
from tmf683.versions.v5events import V5_EVENTS

DEFAULT_BASE_PATH = "/tmf-api/partyInteraction/v4"
"""Where the API lives, as the v4 swagger's ``basePath`` says: the adapter's default
route prefix, and the service's default API root in ``href`` (a relative URL)."""


DEFAULT_MAX_PAGE_SIZE = 1000


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


class PartyInteractionService(PartyInteractionReads):
    """Create, read, list, patch and delete PartyInteractions (TMF683 v4).

    Args:
        store: where documents live, e.g. ``SQLiteStore("tmf683.db")``.
        base_url: the API root used to build ``href``, e.g.
            ``"https://api.example.com/tmf-api/partyInteraction/v4"``; each call
            may override it. A trailing slash is ignored.
        clock: returns the current time as an aware datetime (``creationDate``,
            ``statusChangeDate``).
        id_factory: returns a new unique id.
        max_page_size: most items a list returns; a larger ``limit`` is lowered.
        callback_hosts: host names hub callbacks may point to; ``None`` allows any.
        callback_policy: the addresses hub callbacks may reach
            (:class:`~tmf683.events.callbacks.CallbackPolicy`; default: no
            link-local or metadata address), checked at registration.
        max_subscriptions: the most hub subscriptions kept, all versions together;
            ``None``: no limit.

    Attributes:
        events: the :class:`~tmf683.events.publish.EventPublisher`: hub subscriptions,
            in-process subscribers and the outbox of every change.
    """

    def __init__(
        self,
        store: PartyInteractionStore,
        *,
        base_url: str = DEFAULT_BASE_PATH,
        clock: Callable[[], datetime] = _utc_now,
        id_factory: Callable[[], str] = _new_id,
        max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
        callback_hosts: Collection[str] | None = None,
        callback_policy: CallbackPolicy = DEFAULT_POLICY,
        max_subscriptions: int | None = None,
    ) -> None:
        if max_page_size < 1:
            raise ValueError("max_page_size must be at least 1")
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.id_factory = id_factory
        self.max_page_size = max_page_size
        self.events = EventPublisher(
            store,
            clock=clock,
            callback_hosts=callback_hosts,
            callback_policy=callback_policy,
            max_subscriptions=max_subscriptions,
            id_factory=id_factory,
            formats={"v4": V4_EVENTS, "v5": V5_EVENTS},
        )

    def close(self) -> None:
        """Stop the service's own thread (in-process subscribers); idempotent.

        Calls ``self.events.close()``. The store is the caller's: it stays open.
        """
        self.events.close()

    def _outbox(self, base_url: str | None, raised: RaisedEvents) -> Outbox:
        return self.events.outbox(lambda doc: self._output(doc, base_url), raised)

    def create(
        self,
        document: Mapping[str, Any] | PartyInteraction | object,
        *,
        fields: str | Sequence[str | tuple[str, ...]] | None = None,
        query: str | None = None,
        base_url: str | None = None,
        party: str | None = None,
    ) -> VersionedDocument:
        """Create a PartyInteraction (TMF683 ``createPartyInteraction``).

        Args:
            document: the JSON body, or a model object; it must conform to the
                profile (``channel`` with ids, ``direction``, ``reason``) and must
                not carry ``id`` or ``href``.
            fields: the attributes to return, as for :meth:`retrieve`.
            query: instead of ``fields``, the raw query string, as for
                :meth:`retrieve`.
            base_url: the API root for ``href``; default: the service's.
            party: the caller's party when restricted to one (as for
                :meth:`list`): every ``relatedParty`` id must be this one and one
                element must have it, else
                :class:`~tmf683.PartyRestrictionError`; ``None``: any parties.

        Returns:
            The stored document with ``id`` and ``href`` first, projected by
            ``fields``; ``creationDate`` is now unless given; ``statusChangeDate``
            is now when ``status`` is given without it. Date-times are in UTC
            (ISO 8601, ``Z``). Its ``version`` is the first one (1).

        Raises:
            TypeError, InvalidQueryError: for ``fields`` or ``query``, as for
                :meth:`retrieve`; checked before anything is stored.
            ValidationError: every problem of the body, each with its ``$.path``.
            PartyRestrictionError: ``party`` given and the body names another
                party or not ``party``; nothing is stored.
        """
        selection = read_selection(fields, query)
        stored = new_document(document, self.clock, self.id_factory)
        check_party_write(None, stored, party)
        raised: RaisedEvents = []
        self.store.add(stored, self._outbox(base_url, raised))
        self.events.notify_local(raised)
        shown = project(self._output(stored, base_url), selection)
        return VersionedDocument(shown, FIRST_VERSION)

    def create_many(
        self,
        documents: Sequence[Mapping[str, Any] | PartyInteraction | object],
        *,
        base_url: str | None = None,
        party: str | None = None,
    ) -> list[Document]:
        """Create several PartyInteractions at once, all or none (bulk import).

        Each document follows the rules of :meth:`create`; the store writes them in
        one transaction, much faster than one by one.

        Args:
            documents: the JSON bodies or model objects.
            base_url: the API root for ``href``; default: the service's.
            party: the caller's party when restricted to one, as for
                :meth:`create`, for every body; ``None``: any parties.

        Returns:
            The stored documents, in the given order, each a
            :class:`~tmf683.VersionedDocument` at the first version.

        Raises:
            ValidationError: every problem of every body, paths prefixed with the
                body's index, e.g. ``$[3].channel``; nothing is stored.
            PartyRestrictionError: ``party`` given and a body names another party
                or not ``party``; nothing is stored.
        """
        stored: list[Document] = []
        problems: list[tuple[str, str]] = []
        for index, document in enumerate(documents):
            try:
                stored.append(new_document(document, self.clock, self.id_factory))
            except ValidationError as exc:
                problems += [(f"$[{index}]{path[1:]}", m) for path, m in exc.problems]
        if problems:
            raise ValidationError(problems)
        for new in stored:
            check_party_write(None, new, party)
        raised: RaisedEvents = []
        self.store.add_many(stored, self._outbox(base_url, raised))
        self.events.notify_local(raised)
        return [
            VersionedDocument(self._output(document, base_url), FIRST_VERSION)
            for document in stored
        ]

    def patch(
        self,
        id: str,
        patch: object,
        *,
        patch_format: PatchFormat = PatchFormat.MERGE,
        fields: str | Sequence[str | tuple[str, ...]] | None = None,
        query: str | None = None,
        base_url: str | None = None,
        if_match: IfMatch = None,
        party: str | None = None,
    ) -> VersionedDocument:
        """Patch a PartyInteraction (TMF683 ``patchPartyInteraction``, TMF630 Part 5).

        The patch applies to the document as :meth:`retrieve` returns it (with
        ``id`` and ``href``), in any format of :class:`~tmf683.PatchFormat`. The
        same rules hold for every format: ``id``, ``href`` and ``direction`` are
        not in ``PartyInteraction_Update``, so the result may keep but not change
        them, and ``creationDate`` may change but not go; when ``status`` changes,
        ``statusChangeDate`` becomes now unless the patch writes it. The result is
        validated like a create; nothing is stored (and no event raised) when
        anything fails.

        Args:
            id: the PartyInteraction's id.
            patch: the parsed body: a JSON object for a merge patch, a JSON array
                of operations for JSON Patch and JSON Patch Query.
            patch_format: the body's format; merge patch (RFC 7386) by default.
            fields: the attributes to return, as for :meth:`retrieve`.
            query: instead of ``fields``, the raw query string, as for
                :meth:`retrieve`.
            base_url: the API root for ``href``.
            if_match: patch only if the stored version is this one (see
                :data:`~tmf683._service_base.IfMatch`), checked atomically with the
                write; ``None``: whatever the version.
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (another one is a
                :class:`~tmf683.NotFoundError`, checked in the write's transaction,
                and nothing is written), and the result may hold no party id the
                interaction did not hold but this one, and must hold this one;
                ``None``: every one, any parties.

        Returns:
            The patched document, projected by ``fields``, with its new
            ``version``.

        Raises:
            TypeError, InvalidQueryError: for ``fields`` or ``query``, as for
                :meth:`retrieve`; checked before anything is stored.
            NotFoundError: no PartyInteraction has that id.
            PreconditionFailedError: it is not at the version ``if_match`` gives;
                nothing is stored.
            ValidationError: a malformed patch (checked before the document is
                read), a change of an immutable attribute, or an invalid result;
                for the JSON Patch formats each problem names its operation where
                one is to blame, e.g. ``$[1].path``.
            PatchConflictError: a JSON Patch that does not apply to the document
                (a failing ``test``, a path to nothing, a query selecting nothing).
            PartyRestrictionError: ``party`` given and the result brings in another
                party or drops ``party``; nothing is stored.
        """
        selection = read_selection(fields, query)
        check_patch(patch, patch_format)
        expected = expected_version(if_match)

        def change(current: Document) -> Document:
            check_visible(current, party)
            view = self._output(current, base_url)
            return patched_document(
                current,
                view,
                patch,
                patch_format,
                timeout=self.store.query_timeout,
                clock=self.clock,
                party=party,
            )

        raised: RaisedEvents = []
        with precondition_hidden(self.store, id, party):
            patched = self.store.update(
                id, change, self._outbox(base_url, raised), expected_version=expected
            )
        self.events.notify_local(raised)
        shown = project(self._output(patched, base_url), selection)
        return VersionedDocument(shown, patched.version)

    def delete(
        self,
        id: str,
        *,
        query: str | None = None,
        base_url: str | None = None,
        if_match: IfMatch = None,
        party: str | None = None,
    ) -> None:
        """Delete a PartyInteraction (TMF683 ``deletePartyInteraction``).

        Args:
            id: its id.
            query: the request's raw query string, checked as for
                :meth:`retrieve` (only ``fields=`` applies; nothing is returned).
            base_url: the API root for the ``href`` in the delete event.
            if_match: delete only if the stored version is this one, as for
                :meth:`patch`.
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (another one is a
                :class:`~tmf683.NotFoundError`, checked in the write's transaction,
                and nothing is deleted); ``None``: every one.

        Raises:
            InvalidQueryError: another parameter in ``query``, or a malformed
                ``fields``; nothing is deleted.
            NotFoundError: no PartyInteraction has that id.
            PreconditionFailedError: it is not at the version ``if_match`` gives;
                nothing is deleted.
        """
        if query is not None:
            read_selection(None, query)
        expected = expected_version(if_match)
        raised: RaisedEvents = []
        with precondition_hidden(self.store, id, party):
            self.store.delete(
                id,
                guarded(self._outbox(base_url, raised), party),
                expected_version=expected,
            )
        self.events.notify_local(raised)
