"""Reference semantics of a :class:`~tmf683.query.ast.Query` on JSON documents.

This is the oracle: the in-memory store answers with it, and every SQL compilation
must return the same ids, in the same order, with the same total count.

- A condition holds when the attribute's value is a JSON string equal to one of its
  values (date-times are stored and queried in one canonical UTC form, so equal
  instants are equal strings). A missing attribute, ``null``, a number or an object
  never matches.
- Sorting compares strings by code point (the same order as SQLite's BINARY collation
  on UTF-8); values that are not strings sort as missing, before every string when
  ascending and after when descending; ties are broken by ``id`` ascending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tmf683.query.ast import Condition, Path, Query, SortKey

__all__ = ["matches", "select"]


def _value(document: Mapping[str, Any], path: Path) -> Any:
    current: Any = document
    for name in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(name)
    return current


def _holds(document: Mapping[str, Any], condition: Condition) -> bool:
    value = _value(document, condition.path)
    return isinstance(value, str) and value in condition.values


def matches(document: Mapping[str, Any], conditions: Iterable[Condition]) -> bool:
    """Tell whether a document satisfies every condition (TMF630 Part 1, filtering).

    Args:
        document: a PartyInteraction JSON document.
        conditions: the filter; an empty filter matches everything.

    Returns:
        ``True`` when every condition holds.
    """
    return all(_holds(document, condition) for condition in conditions)


def _sort_key(key: SortKey) -> Any:
    def extract(document: Mapping[str, Any]) -> tuple[int, str]:
        value = _value(document, key.path)
        return (1, value) if isinstance(value, str) else (0, "")

    return extract


def select(
    documents: Iterable[Mapping[str, Any]], query: Query
) -> tuple[list[Mapping[str, Any]], int]:
    """Filter, sort and page documents as the query says.

    Args:
        documents: the collection in its default order (creation order).
        query: the parsed query; its ``fields`` are not applied here (see
            :func:`tmf683.query.projection.project`).

    Returns:
        ``(page, total_count)``: the documents of the requested page, and how many
        documents match the filter in all.
    """
    found = [doc for doc in documents if matches(doc, query.conditions)]
    if query.sort:
        found.sort(key=lambda doc: str(doc.get("id", "")))
        for key in reversed(query.sort):
            found.sort(key=_sort_key(key), reverse=key.descending)
    end = None if query.limit is None else query.offset + query.limit
    return found[query.offset : end], len(found)
