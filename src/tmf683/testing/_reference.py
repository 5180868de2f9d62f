"""The reference semantics of TMF630 list queries: the oracle every store must match."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The two engine entry points this module relies on, kept together on purpose.
from tmf683 import parse_query, project
from tmf683.query.evaluate import matches as _matches
from tmf683.query.evaluate import select as _select


def matches(query_string: str, document: Mapping[str, Any]) -> bool:
    """Tell whether a stored document satisfies a query's filter (TMF630 Part 1).

    The reference: the in-memory evaluator the SQLite and PostgreSQL stores are
    tested against. ``fields``, ``sort``, ``offset`` and ``limit`` do not filter.

    Args:
        query_string: a raw query string, e.g. ``"status=open&relatedParty.id=P1"``.
        document: a PartyInteraction as the service stores and returns it (JSON
            names, date-times in the canonical UTC form
            ``2024-01-01T00:00:00.000000Z``).

    Returns:
        ``True`` when every clause of the filter holds on the document.

    Raises:
        InvalidQueryError: the query string does not parse.
    """
    return _matches(document, parse_query(query_string).conditions)


def select(
    query_string: str, documents: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Answer a list query on documents, as a TMF683 list operation does.

    Filters, sorts by ``sort=`` (ties by ``id``; without it the given order stays),
    skips ``offset``, keeps at most ``limit`` and applies ``fields`` (``id`` and
    ``href`` always stay).

    Args:
        query_string: a raw query string, e.g. ``"status=open&sort=-creationDate"``.
        documents: stored PartyInteractions in creation order (the default order).

    Returns:
        The page: new dicts, in order.

    Raises:
        InvalidQueryError: the query string does not parse.
    """
    query = parse_query(query_string)
    page, _ = _select(documents, query)
    return [dict(project(dict(document), query.fields)) for document in page]
