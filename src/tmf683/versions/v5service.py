"""The TMF683 v5 use cases over the same store as v4.

:class:`PartyInteractionServiceV5` takes and returns v5 documents; it reads and writes
the canonical documents (:mod:`.canonical`) through the mapping of :mod:`.v5`, so a v4
service and a v5 service over one store see the same interactions by the same id. Every
write, whichever version made it, reaches v4 subscribers in v4 envelopes and v5
subscribers (:attr:`PartyInteractionServiceV5.events`, a
:class:`~tmf683.versions.v5hub.HubV5`) in v5 ones (:mod:`.v5events`).

This module holds the use cases: what each call reads, writes and raises, in which
transaction. What a v5 write stores (the contract's checks of a body or a patch, the
canonical document it becomes) is :mod:`.v5write`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from tmf683._datetimes import format_datetime
from tmf683._hrefs import href_as_id
from tmf683._inputs import read_list_query, read_selection
from tmf683._service import PartyInteractionService
from tmf683._service_base import IfMatch, ServiceBase, expected_version
from tmf683._visibility import (
    check_party_write,
    check_visible,
    guarded,
    precondition_hidden,
    restrict,
)
from tmf683.events.audiences import RaisedEvents
from tmf683.patch.apply import PatchFormat, check_patch
from tmf683.query.ast import Path, Query
from tmf683.query.projection import project
from tmf683.storage.base import (
    FIRST_VERSION,
    Document,
    Outbox,
    Page,
    PartyInteractionStore,
    VersionedDocument,
)
from tmf683.versions import v5contract
from tmf683.versions.canonical import v4_part
from tmf683.versions.v5 import to_v5
from tmf683.versions.v5hub import HubV5
from tmf683.versions.v5query import (
    V5_ALWAYS_SELECTED,
    V5_KEPT_ON_THE_WAY,
    V5_PARTY_INTERACTION_SCHEMA,
    to_canonical,
)
from tmf683.versions.v5scan import select_by_scan
from tmf683.versions.v5write import RESERVED as RESERVED
from tmf683.versions.v5write import V5_IMMUTABLE_ATTRIBUTES as V5_IMMUTABLE_ATTRIBUTES
from tmf683.versions.v5write import canonical_of, check_new_body, patched_document

V5_BASE_PATH = "/tmf-api/partyInteractionManagement/v5"
"""Where v5 lives by convention (the OAS's ``servers`` is a placeholder)."""


def _project(document: Mapping[str, Any], selection: Iterable[Path] | None) -> Document:
    return project(document, selection, V5_ALWAYS_SELECTED, V5_KEPT_ON_THE_WAY)


Fields = str | Sequence[str | tuple[str, ...]] | None


class PartyInteractionServiceV5(ServiceBase):
    """Create, read, list, patch and delete PartyInteractions in TMF683 v5 shapes.

    Args:
        v4: the v4 service over the store to share (its store, clock, id factory,
            page size and event publisher are used), e.g.
            ``PartyInteractionService(SQLiteStore("tmf683.db"))``; or a store, for
            which a v4 service with the defaults is made (and closed by
            :meth:`close`).
        base_url: the v5 API root for ``href``; each call may override it.

    Attributes:
        v4: the v4 service; v4 clients of the same store use it (or another one).
        events: the v5 hub (:class:`~tmf683.versions.v5hub.HubV5`).
    """

    def __init__(
        self,
        v4: PartyInteractionService | PartyInteractionStore,
        *,
        base_url: str = V5_BASE_PATH,
    ) -> None:
        self._owns_v4 = not isinstance(v4, PartyInteractionService)
        self.v4 = (
            v4
            if isinstance(v4, PartyInteractionService)
            else (PartyInteractionService(v4))
        )
        self.store = self.v4.store
        self.base_url = base_url.rstrip("/")
        self.events = HubV5(self.v4.events, self.base_url)

    def warm_up(self) -> None:
        """Load the v5 contract's validators now, not on the first v5 body.

        Reading the OAS and compiling its schemas takes about a second (more on a
        loaded machine); a server calls this before it listens, so no client waits
        for it. Calling it again does nothing more.
        """
        for schema in ("PartyInteraction_FVO", "PartyInteraction_MVO", "Hub_FVO"):
            v5contract.schema_problems({}, schema)

    def close(self) -> None:
        """Close the v4 service this one made (none when one was given); idempotent."""
        if self._owns_v4:
            self.v4.close()

    def _view(self, document: Document, base_url: str | None) -> Document:
        return to_v5(document, self.href(document["id"], base_url=base_url))

    def _outbox(self, raised: RaisedEvents) -> Outbox:
        def v4_output(document: Document) -> Document:
            shown = v4_part(document)
            return {"id": shown["id"], "href": self.v4.href(shown["id"]), **shown}

        return self.v4.events.outbox(v4_output, raised)

    def _selection(self, fields: Fields, query: str | None) -> tuple[Path, ...] | None:
        return read_selection(fields, query, schema=V5_PARTY_INTERACTION_SCHEMA)

    def create(
        self,
        document: Mapping[str, Any],
        *,
        fields: Fields = None,
        query: str | None = None,
        base_url: str | None = None,
        party: str | None = None,
    ) -> VersionedDocument:
        """Create a PartyInteraction from a ``PartyInteraction_FVO`` body.

        Args:
            document: the v5 body: ``@type``, ``reason``, ``direction`` and
                ``relatedChannel`` required; no ``id``, ``href``, ``creationDate``
                or ``statusChangeDate`` (the server sets them; a ``lastUpdate``
                sent is replaced by now).
            fields: the attributes to return, in v5 names (as for :meth:`retrieve`).
            query: instead of ``fields``, the raw query string.
            base_url: the v5 API root for ``href``.
            party: the caller's party when restricted to one: every
                ``relatedParty[].partyOrPartyRole.id`` must be this one and one must
                be, else :class:`~tmf683.PartyRestrictionError`; ``None``: any.

        Returns:
            The v5 PartyInteraction, ``creationDate`` and ``lastUpdate`` now,
            ``statusChangeDate`` now when ``status`` is given; its ``version`` is
            the first one (1), shared with v4 as every later one.

        Raises:
            TypeError, InvalidQueryError: for ``fields`` or ``query``.
            ValidationError: every problem of the body against the OAS, each with
                its ``$.path``; or, alone, a first-level ``_v5`` (reserved).
            PartyRestrictionError: ``party`` given and the body names another
                party or not ``party``; nothing is stored.
        """
        selection = self._selection(fields, query)
        check_new_body(document)
        now = format_datetime(self.v4.clock())
        view = {"creationDate": now, **document}
        if "status" in view:
            view.setdefault("statusChangeDate", now)
        stored = {"id": self.v4.id_factory(), **canonical_of(view, None, now)}
        check_party_write(None, stored, party)
        raised: RaisedEvents = []
        self.store.add(stored, self._outbox(raised))
        self.v4.events.notify_local(raised)
        shown = _project(self._view(stored, base_url), selection)
        return VersionedDocument(shown, FIRST_VERSION)

    def retrieve(
        self,
        id: str,
        *,
        fields: Fields = None,
        query: str | None = None,
        base_url: str | None = None,
        party: str | None = None,
    ) -> VersionedDocument:
        """Read one PartyInteraction in its v5 shape.

        Args:
            id: its id (the same in v4 and v5).
            fields: the attributes to return in v5 names, e.g.
                ``"relatedChannel.channel.id"``; ``id``, ``href`` and ``@type`` are
                always kept.
            query: instead of ``fields``, the raw query string (only ``fields=``).
            base_url: the v5 API root for ``href``.
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (another one is a
                :class:`~tmf683.NotFoundError`); ``None``: every one.

        Returns:
            The v5 document, projected by ``fields``, its ``version`` attribute the
            stored version (the same as v4 reads: one record).

        Raises:
            TypeError, InvalidQueryError: for ``fields`` or ``query``.
            NotFoundError: no PartyInteraction has that id.
        """
        selection = self._selection(fields, query)
        stored = self.store.get(id)
        check_visible(stored, party)
        shown = _project(self._view(stored, base_url), selection)
        return VersionedDocument(shown, stored.version)

    def list(
        self,
        query: str | Query | Mapping[str, str | list[str]] = "",
        *,
        base_url: str | None = None,
        party: str | None = None,
    ) -> Page:
        """List PartyInteractions with a TMF630 query in v5 names.

        A query whose every path has a canonical twin runs in the store on the same
        columns and side table as v4; one naming v5-only data (``@type``,
        ``lastUpdate``, ``externalIdentifier``...) is evaluated on the v5 view of
        each document over a scan of the store (``tmf683.versions.v5scan``: correct, not
        indexed; memory bounded by the page, time by the store's query deadline).

        Args:
            query: a raw query string, a parsed :class:`~tmf683.Query` (parsed
                against
                :data:`~tmf683.versions.v5query.V5_PARTY_INTERACTION_SCHEMA`) or a
                mapping, as for :meth:`tmf683.PartyInteractionService.list`.
            base_url: the v5 API root for ``href`` (and ``href`` filters).
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (the count too); ``None``: every one.

        Returns:
            The page of v5 documents, projected by ``fields``, and the total count.

        Raises:
            TypeError: a query of another kind.
            InvalidQueryError: a query that does not parse against the v5 schema.
            QueryTimeoutError: it ran past the store's ``query_timeout``.
        """
        parsed = read_list_query(query, schema=V5_PARTY_INTERACTION_SCHEMA)
        page_size = self.v4.max_page_size
        limit = min(parsed.limit if parsed.limit is not None else page_size, page_size)
        parsed = href_as_id(
            attrs.evolve(parsed, limit=limit), self.href("", base_url=base_url)
        )
        canonical = to_canonical(parsed)
        if canonical is not None:
            found = self.store.find(restrict(canonical, party))
            views: list[Any] = [self._view(doc, base_url) for doc in found.items]
            total = found.total_count
        else:
            views, total = select_by_scan(
                self.store,
                restrict(Query(), party),
                parsed,
                lambda doc: self._view(doc, base_url),
            )
        items = [_project(view, parsed.fields) for view in views]
        return Page(items, total, parsed.offset, parsed.limit)

    def patch(
        self,
        id: str,
        patch: object,
        *,
        patch_format: PatchFormat = PatchFormat.MERGE,
        fields: Fields = None,
        query: str | None = None,
        base_url: str | None = None,
        if_match: IfMatch = None,
        party: str | None = None,
    ) -> VersionedDocument:
        """Patch the v5 view of a PartyInteraction, in any TMF630 Part 5 format.

        The patch applies to the v5 view (merge patch, RFC 7386; JSON Patch, RFC
        6902; JSON Patch Query with filters in v5 names, e.g.
        ``/relatedChannel?channel.id=555/role``); what it writes must be a
        ``PartyInteraction_MVO`` (``direction`` is not patchable) and the result a
        valid PartyInteraction; the result is mapped back keeping what v4 holds and
        v5 does not show. ``lastUpdate`` becomes now; ``statusChangeDate`` too when
        ``status`` changes (a patch may repeat, not change it, nor ``creationDate``).

        Args:
            id: the PartyInteraction's id.
            patch: the patch in v5 names: a JSON object (merge patch) or an array
                of operations.
            patch_format: its format; default merge patch.
            fields: the attributes to return, in v5 names.
            query: instead of ``fields``, the raw query string.
            base_url: the v5 API root for ``href``.
            if_match: patch only if the stored version is this one, as for
                :meth:`tmf683.PartyInteractionService.patch` (versions are shared
                by v4 and v5).
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (another one is a
                :class:`~tmf683.NotFoundError`, checked in the write's transaction,
                and nothing is written), and the result may hold no party id the
                interaction did not hold but this one, and must hold this one;
                ``None``: every one, any parties.

        Returns:
            The patched v5 document, projected by ``fields``, with its new
            ``version``.

        Raises:
            TypeError, InvalidQueryError: for ``fields`` or ``query``.
            NotFoundError: no PartyInteraction has that id.
            PreconditionFailedError: it is not at the version ``if_match`` gives;
                nothing is stored.
            ValidationError: a malformed patch, an immutable attribute or the
                reserved ``_v5`` written, or a result that is not a valid v5
                PartyInteraction.
            PatchConflictError: a JSON Patch that does not apply to the v5 view.
            PartyRestrictionError: ``party`` given and the result brings in another
                party or drops ``party``; nothing is stored.
        """
        selection = self._selection(fields, query)
        check_patch(patch, patch_format)
        expected = expected_version(if_match)

        def change(current: Document) -> Document:
            check_visible(current, party)
            view = self._view(current, base_url)
            stored = patched_document(
                current,
                view,
                patch,
                patch_format,
                query_timeout=self.store.query_timeout,
                clock=self.v4.clock,
            )
            check_party_write(current, stored, party)
            return stored

        raised: RaisedEvents = []
        with precondition_hidden(self.store, id, party):
            patched = self.store.update(
                id, change, self._outbox(raised), expected_version=expected
            )
        self.v4.events.notify_local(raised)
        shown = _project(self._view(patched, base_url), selection)
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
        """Delete a PartyInteraction (for both versions: it is one record).

        Args:
            id: its id.
            query: the raw query string, checked as for :meth:`retrieve`.
            base_url: the v5 API root, taken as by the v4 ``delete``; unused while
                the delete event is a v4 envelope (with the v4 ``href``).
            if_match: delete only if the stored version is this one, as for
                :meth:`patch`.
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (another one is a
                :class:`~tmf683.NotFoundError`, checked in the write's transaction,
                and nothing is deleted); ``None``: every one.

        Raises:
            InvalidQueryError: another parameter than ``fields`` in ``query``.
            NotFoundError: no PartyInteraction has that id.
            PreconditionFailedError: it is not at the version ``if_match`` gives;
                nothing is deleted.
        """
        if query is not None:
            self._selection(None, query)
        expected = expected_version(if_match)
        raised: RaisedEvents = []
        with precondition_hidden(self.store, id, party):
            self.store.delete(
                id, guarded(self._outbox(raised), party), expected_version=expected
            )
        self.v4.events.notify_local(raised)
