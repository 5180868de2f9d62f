"""v5 list queries on data only v5 names, answered over a scan of the store.

A v5 filter or sort on ``@type``, ``lastUpdate``, ``externalIdentifier``... has no
column or index in the store (it holds the v4 document plus what only v5 says): it is
evaluated with the reference evaluator (:mod:`tmf683.query.evaluate`) on the v5 view
of each document, read batch by batch (:meth:`~tmf683.storage.base.DocumentStore.scan`).
What stays in memory is bounded by the page, not by the table: without ``sort``, the
views of the page only; with ``sort``, a small record per match (its ``id`` and sort
values), the page then read again by id. The scan runs under the store's query
deadline (:class:`~tmf683.QueryTimeoutError` past it), so its time is bounded too;
indexing these paths is left to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tmf683.query.ast import Condition, Operator, Query
from tmf683.query.evaluate import matcher, select
from tmf683.query.projection import project
from tmf683.query.schema import AttributeKind
from tmf683.storage.base import SCAN_BATCH, Document, DocumentStore

View = Callable[[Document], Document]
"""A stored (canonical) document's v5 view."""


def select_by_scan(
    store: DocumentStore,
    visible: Query,
    query: Query,
    view: View,
    batch_size: int = SCAN_BATCH,
) -> tuple[list[Document], int]:
    """Filter, sort and page the v5 views of the documents ``visible`` selects.

    Args:
        store: the store to scan.
        visible: the store-side conditions (the caller's party restriction, or
            none); its sort and paging are ignored.
        query: the v5 query (conditions, sort, offset and limit in v5 names).
        view: maps a stored document to its v5 view.
        batch_size: documents read per batch.

    Returns:
        ``(page of views, total count)``, as
        :func:`tmf683.query.evaluate.select` over every view would give.

    Raises:
        QueryTimeoutError: the scan ran past the store's ``query_timeout``.
    """
    holds = matcher(query.conditions)
    end = None if query.limit is None else query.offset + query.limit
    sort_paths = [key.path for key in query.sort]
    total = 0
    window: list[Document] = []
    records: list[Document] = []
    for batch in store.scan(visible, batch_size):
        for document in batch:
            shown = view(document)
            if not holds(shown):
                continue
            if sort_paths:
                records.append(project(shown, sort_paths, always=("id",)))
            elif total >= query.offset and (end is None or total < end):
                window.append(shown)
            total += 1
    if not sort_paths:
        return window, total
    paged = Query(sort=query.sort, offset=query.offset, limit=query.limit)
    ids = [str(record["id"]) for record in select(records, paged)[0]]
    return [view(document) for document in _read_by_id(store, ids)], total


def _read_by_id(store: DocumentStore, ids: Iterable[str]) -> list[Document]:
    """The documents of ``ids``, in that order (one query; gone ones left out)."""
    wanted = list(ids)
    if not wanted:
        return []
    found = store.find(
        Query(
            conditions=(
                Condition(("id",), Operator.EQ, tuple(wanted), AttributeKind.STRING),
            )
        )
    ).items
    by_id = {document["id"]: document for document in found}
    return [by_id[id] for id in wanted if id in by_id]
