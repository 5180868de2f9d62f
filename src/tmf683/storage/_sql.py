"""Compile a :class:`~tmf683.query.ast.Query` to SQLite SQL with bound parameters.

Identifiers come from a fixed whitelist (the table's own columns); JSON paths and
values are always bound parameters, never formatted into the SQL text. The results
equal :func:`tmf683.query.evaluate.select` on the same documents.
"""

from __future__ import annotations

from typing import Any

from tmf683.query.ast import Condition, Path, Query, SortKey

__all__ = ["COLUMNS", "Fragment", "order_by", "where"]

Fragment = tuple[str, list[Any]]
"""SQL text with ``?`` placeholders, and the values to bind to them."""

COLUMNS = {("id",): "id"}
"""Attribute paths that have a column of their own."""


def json_path(path: Path) -> str:
    """Return the SQLite JSON path of an attribute path, each name quoted.

    Args:
        path: e.g. ``("interactionDate", "startDateTime")``; names hold no ``"``
            (the parser refuses them).

    Returns:
        e.g. ``'$."interactionDate"."startDateTime"'``, to be bound as a parameter.
    """
    return "$" + "".join(f'."{name}"' for name in path)


def _text_value(path: Path) -> Fragment:
    """The attribute's value when it is a JSON string, else NULL."""
    if path in COLUMNS:
        return COLUMNS[path], []
    location = json_path(path)
    return (
        "(CASE WHEN json_type(document, ?) = 'text' "
        "THEN json_extract(document, ?) END)",
        [location, location],
    )


def _condition(condition: Condition) -> Fragment:
    value_sql, params = _text_value(condition.path)
    placeholders = ", ".join("?" for _ in condition.values)
    return f"{value_sql} IN ({placeholders})", [*params, *condition.values]


def where(query: Query) -> Fragment:
    """Build the WHERE clause of a query's filter.

    Args:
        query: the parsed query.

    Returns:
        ``("WHERE ... AND ...", params)``, or ``("", [])`` without conditions.
    """
    if not query.conditions:
        return "", []
    parts = [_condition(condition) for condition in query.conditions]
    sql = " AND ".join(f"({text})" for text, _ in parts)
    return "WHERE " + sql, [value for _, params in parts for value in params]


def _key(key: SortKey) -> Fragment:
    value_sql, params = _text_value(key.path)
    return f"{value_sql} {'DESC' if key.descending else 'ASC'}", params


def order_by(query: Query) -> Fragment:
    """Build the ORDER BY clause: the sort keys then ``id``, or creation order.

    Args:
        query: the parsed query.

    Returns:
        ``("ORDER BY ...", params)``.
    """
    if not query.sort:
        return "ORDER BY seq", []
    keys = [_key(key) for key in query.sort]
    sql = ", ".join(text for text, _ in keys)
    return f"ORDER BY {sql}, id ASC", [value for _, params in keys for value in params]
