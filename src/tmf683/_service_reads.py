"""The read use cases of the v4 service: retrieve, list and list as one JSON body.

:class:`PartyInteractionReads` is the base of :class:`~tmf683.PartyInteractionService`
(whose methods these are); it holds what reading needs and nothing of writing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import attrs

from tmf683._hrefs import href_as_id
from tmf683._inputs import read_list_query, read_selection
from tmf683._listing import JsonPage, encode_items, encode_selected, selected_names
from tmf683._service_base import ServiceBase
from tmf683._visibility import check_visible, restrict
from tmf683.query.ast import Query
from tmf683.query.projection import project
from tmf683.storage.base import (
    Document,
    Page,
    PartyInteractionStore,
    VersionedDocument,
)
from tmf683.storage.encoded import EncodedListStore, SelectingListStore, WireRow
from tmf683.versions.canonical import V5_KEY, v4_part

ListQuery = str | Query | Mapping[str, str | list[str]]
"""What :meth:`PartyInteractionReads.list` takes as its query."""


class PartyInteractionReads(ServiceBase):
    """Read PartyInteractions (TMF683 v4): the read half of the v4 service.

    Subclasses set ``store`` (the :class:`~tmf683.storage.base.PartyInteractionStore`),
    ``base_url`` (the API root, no trailing slash) and ``max_page_size`` (the most
    items a list returns).
    """

    store: PartyInteractionStore
    max_page_size: int

    def _output(self, document: Document, base_url: str | None) -> Document:
        output = {
            "id": document["id"],
            "href": self.href(document["id"], base_url=base_url),
        }
        output.update((k, v) for k, v in v4_part(document).items() if k not in output)
        return output

    def retrieve(
        self,
        id: str,
        *,
        fields: str | Sequence[str | tuple[str, ...]] | None = None,
        query: str | None = None,
        base_url: str | None = None,
        party: str | None = None,
    ) -> VersionedDocument:
        """Read one PartyInteraction (TMF683 ``retrievePartyInteraction``).

        Args:
            id: its id.
            fields: the attributes to return (TMF630 Part 1, attribute selection):
                ``None`` for all, a ``fields=`` value such as ``"status,reason"``
                or ``"relatedParty.id"``, or a sequence of such strings or of
                paths; ``id`` and ``href`` are always kept.
            query: instead of ``fields``, the request's raw query string, in which
                only ``fields=`` applies (for HTTP adapters).
            base_url: the API root for ``href``.
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (another one is a
                :class:`~tmf683.NotFoundError`); ``None``: every one.

        Returns:
            The document, projected by ``fields``, its ``version`` attribute the
            stored version (pass it as ``if_match`` to
            :meth:`~tmf683._service.PartyInteractionService.patch` or
            :meth:`~tmf683._service.PartyInteractionService.delete`).

        Raises:
            TypeError: ``fields`` of another kind, or both ``fields`` and ``query``.
            InvalidQueryError: a malformed selection, or another parameter in
                ``query``; checked before anything is stored.
            NotFoundError: no PartyInteraction has that id.
        """
        selection = read_selection(fields, query)
        stored = self.store.get(id)
        check_visible(stored, party)
        shown = project(self._output(stored, base_url), selection)
        return VersionedDocument(shown, stored.version)

    def list(
        self,
        query: ListQuery = "",
        *,
        base_url: str | None = None,
        party: str | None = None,
    ) -> Page:
        """List PartyInteractions (TMF683 ``listPartyInteraction``, TMF630 Part 1).

        Args:
            query: a raw query string such as
                ``"status=open&fields=status&limit=10"``; a parsed
                :class:`~tmf683.Query`; or a mapping of parameters such as
                ``{"status": "open", "limit": "10"}``, values in the query syntax
                but not percent-encoded, a list of str for a repeated parameter.
            base_url: the API root for ``href`` (and for ``href`` filters).
            party: restrict the caller to the interactions whose ``relatedParty``
                holds this party id (the count too); ``None``: every one.

        Returns:
            The page, projected by the query's ``fields``, and the total count of
            matches. ``limit`` is lowered to ``max_page_size``; without ``limit``,
            at most ``max_page_size`` items are returned.

        Raises:
            TypeError: a query of another kind.
            InvalidQueryError: a query string or mapping that does not parse.
        """
        parsed = self._list_query(query, base_url)
        page = self.store.find(restrict(parsed, party))
        items = [
            project(self._output(doc, base_url), parsed.fields) for doc in page.items
        ]
        return Page(items, page.total_count, parsed.offset, parsed.limit)

    def list_json(
        self,
        query: ListQuery = "",
        *,
        base_url: str | None = None,
        party: str | None = None,
    ) -> JsonPage:
        """List PartyInteractions as one JSON body, as :meth:`list` does.

        The body is :func:`~tmf683.encode_json` of :meth:`list`'s items, byte for
        byte, written without decoding and encoding each document where the
        store keeps it in that form (:class:`~tmf683.storage.encoded.EncodedListStore`):
        the stored text goes out with ``href`` spliced in after ``id``; under a
        ``fields`` selection, the selected attributes' texts where the store
        gives them (:class:`~tmf683.storage.encoded.SelectingListStore`,
        :func:`~tmf683._listing.encode_selected`).

        Args:
            query: as for :meth:`list`.
            base_url: as for :meth:`list`.
            party: as for :meth:`list`.

        Returns:
            The page's body and counts.

        Raises:
            TypeError, InvalidQueryError: as :meth:`list`.
        """
        parsed = self._list_query(query, base_url)
        restricted = restrict(parsed, party)
        output = functools.partial(self._output, base_url=base_url)
        href = functools.partial(self.href, base_url=base_url)
        if parsed.fields is not None and isinstance(self.store, SelectingListStore):
            names = selected_names(parsed.fields, ("id", "href", V5_KEY))
            if names is not None:
                rows = self.store.find_selected(restricted, names)
                body = encode_selected(rows.items, parsed.fields, names, output, href)
                count, total = len(rows.items), rows.total_count
                return JsonPage(body, count, total, parsed.offset, parsed.limit)
        items: Sequence[WireRow | Document]
        if isinstance(self.store, EncodedListStore):
            encoded = self.store.find_encoded(restricted, (V5_KEY,))  # no href stored
            items, total = encoded.items, encoded.total_count
        else:
            page = self.store.find(restricted)
            items, total = page.items, page.total_count
        body = encode_items(items, output, href, parsed.fields)
        return JsonPage(body, len(items), total, parsed.offset, parsed.limit)

    def _list_query(self, query: ListQuery, base_url: str | None) -> Query:
        """The parsed list query, its limit at most ``max_page_size``, hrefs as ids."""
        parsed = read_list_query(query)
        limit = parsed.limit if parsed.limit is not None else self.max_page_size
        parsed = attrs.evolve(parsed, limit=min(limit, self.max_page_size))
        return href_as_id(parsed, self.href("", base_url=base_url))
