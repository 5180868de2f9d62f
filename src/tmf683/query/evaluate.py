"""Reference semantics of a :class:`~tmf683.query.ast.Query` on JSON documents.

This is the oracle: the in-memory store answers with it, hub subscriptions filter
events with it, and every SQL compilation must return the same ids, in the same order,
with the same total count.

- A value takes part in a comparison only when it has the attribute's JSON type (text
  for strings and date-times, a number for numbers); otherwise it counts as absent.
- ``eq``, ``gt``, ``gte``, ``lt``, ``lte`` hold when the value compares so with one of
  the condition's values; ``ne`` holds when ``eq`` does not (so also for an absent
  value); ``regex`` when the text contains a match. Absent values satisfy nothing but
  ``ne``.
- Text compares by code point (SQLite's BINARY collation on UTF-8 agrees); date-times
  are stored in one fixed-width UTC form, so text order is time order.
- Conditions grouped under one array (see :mod:`tmf683.query.plan`) must hold on one
  element; elements that are not objects never do.
- Sorting: values as for comparisons, absent values before every other when
  ascending and after when descending; ties broken by ``id`` ascending.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tmf683.query.ast import Clause, Condition, Operator, Path, Query, SortKey
from tmf683.query.plan import Each, Either, Node, Test, plan
from tmf683.query.regex import search
from tmf683.query.schema import AttributeKind

_ORDER: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.GT: op.gt,
    Operator.GTE: op.ge,
    Operator.LT: op.lt,
    Operator.LTE: op.le,
}


def _value(current: Any, path: Path) -> Any:
    for name in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(name)
    return current


def typed(value: Any, kind: AttributeKind) -> Any:
    """Return ``value`` when it has the JSON type of ``kind``, else ``None``.

    Args:
        value: a JSON value.
        kind: the attribute's kind.

    Returns:
        The value, or ``None`` for an absent or mistyped one.
    """
    if kind is AttributeKind.NUMBER:
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return value if is_number else None
    return value if isinstance(value, str) else None


def _compare(condition: Condition, raw: Any) -> bool:
    value = typed(raw, condition.kind)
    if condition.operator is Operator.NE:
        return value is None or value not in condition.values
    if value is None:
        return False
    if condition.operator is Operator.EQ:
        return value in condition.values
    if condition.operator is Operator.REGEX:
        return any(search(str(pattern), value) for pattern in condition.values)
    compare = _ORDER[condition.operator]
    return any(compare(value, bound) for bound in condition.values)


def _holds(node: Node, current: Mapping[str, Any]) -> bool:
    if isinstance(node, Test):
        return _compare(node.condition, _value(current, node.condition.path))
    if isinstance(node, Each):
        elements = _value(current, node.path)
        return isinstance(elements, list) and any(
            isinstance(element, Mapping) and all(_holds(n, element) for n in node.plan)
            for element in elements
        )
    if isinstance(node, Either):
        return any(all(_holds(n, current) for n in p) for p in node.plans)
    raise TypeError(node)  # pragma: no cover - Node is a closed union


def matches(document: Mapping[str, Any], conditions: Iterable[Clause]) -> bool:
    """Tell whether a document satisfies a filter (TMF630 Part 1, filtering).

    Args:
        document: a JSON document.
        conditions: the filter; an empty filter matches everything.

    Returns:
        ``True`` when every clause holds.
    """
    return all(_holds(node, document) for node in plan(conditions))


def matcher(conditions: Iterable[Clause]) -> Callable[[Mapping[str, Any]], bool]:
    """The test of :func:`matches` for one filter, planned once for many documents.

    Args:
        conditions: the filter; an empty filter matches everything.

    Returns:
        A function telling whether a document satisfies the filter.
    """
    tree = plan(conditions)
    return lambda document: all(_holds(node, document) for node in tree)


def _sort_key(key: SortKey) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    def extract(document: Mapping[str, Any]) -> tuple[int, Any]:
        value = typed(_value(document, key.path), key.kind)
        return (0, 0) if value is None else (1, value)

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
    tree = plan(query.conditions)
    found = [doc for doc in documents if all(_holds(node, doc) for node in tree)]
    if query.sort:
        found.sort(key=lambda doc: str(doc.get("id", "")))
        for key in reversed(query.sort):
            found.sort(key=_sort_key(key), reverse=key.descending)
    end = None if query.limit is None else query.offset + query.limit
    return found[query.offset : end], len(found)
