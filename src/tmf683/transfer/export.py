"""``tmf683 export``: stored documents to NDJSON, streamed batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from tmf683._errors import InvalidQueryError
from tmf683._inputs import read_list_query
from tmf683.query.ast import Query
from tmf683.storage.base import DocumentStore
from tmf683.transfer.records import dump_record

EXPORT_BATCH = 1000
"""Documents read from the store per batch (memory holds one batch at a time)."""


def export_query(query: str) -> Query:
    """Parse the ``--query`` of an export: a TMF630 filter as a v4 list takes it.

    Args:
        query: a raw query string, e.g.
            ``"status=active&creationDate.gt=2026-01-01T00:00:00Z"``.

    Returns:
        The parsed query (conditions only).

    Raises:
        InvalidQueryError: it does not parse, or holds ``fields``, ``sort``,
            ``offset`` or ``limit`` (an export writes whole documents, all of
            them, in creation order).
    """
    parsed = read_list_query(query)
    for name, given in (
        ("fields", parsed.fields is not None),
        ("sort", bool(parsed.sort)),
        ("offset", parsed.offset != 0),
        ("limit", parsed.limit is not None),
    ):
        if given:
            raise InvalidQueryError(name, "does not apply to an export; leave it out")
    return parsed


def export_documents(
    store: DocumentStore,
    output: TextIO,
    *,
    query: Query | None = None,
    batch_size: int = EXPORT_BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write the stored documents matching ``query`` as NDJSON, one a line.

    Each line is the document as the store keeps it (the canonical document of
    :mod:`tmf683.versions.canonical`, v5-only data under ``_v5`` included, without
    ``href``), in creation order, read through :meth:`DocumentStore.scan` one
    batch at a time (memory stays bounded whatever the store's size).

    Args:
        store: the store to read; open it with ``query_timeout=None`` for a large
            export (the store's query deadline covers the whole scan).
        output: a text stream (UTF-8).
        query: the filter (:func:`export_query`); ``None``: every document.
        batch_size: documents per read.
        progress: called with the number of documents of each batch written.

    Returns:
        How many documents were written.

    Raises:
        QueryTimeoutError: the scan ran past the store's ``query_timeout``.
    """
    written = 0
    for batch in store.scan(query or Query(), batch_size):
        output.write("".join(dump_record(document) + "\n" for document in batch))
        written += len(batch)
        if progress is not None:
            progress(len(batch))
    return written
