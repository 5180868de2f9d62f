"""The typed form of a TMF630 list query: frozen nodes built by :mod:`.parse`.

A :class:`Query` holds the filter (conditions ANDed together, the values of one
condition ORed), the attribute selection of ``fields=``, the sort keys and the page.
Paths are tuples of JSON attribute names, e.g. ``("interactionDate", "startDateTime")``.
"""

from __future__ import annotations

import enum

import attrs

__all__ = ["Condition", "Operator", "Path", "Query", "SortKey"]

Path = tuple[str, ...]
"""A JSON attribute path, one name per level, e.g. ``("relatedParty", "id")``."""


class Operator(enum.Enum):
    """Comparison of a TMF630 filter condition (TMF630 Part 1, filtering)."""

    EQ = "eq"
    """Equality; the attribute equals one of the values."""


@attrs.frozen
class Condition:
    """One filter condition: ``path`` compared by ``operator`` to any of ``values``.

    Attributes:
        path: the attribute path.
        operator: the comparison.
        values: the candidate values, ORed. Date-time values are already in the
            canonical UTC form of :func:`tmf683.serialization.format_datetime`.
        parameter: the query parameter as the client wrote it, for messages.
    """

    path: Path
    operator: Operator
    values: tuple[str, ...]
    parameter: str = ""


@attrs.frozen
class SortKey:
    """One ``sort=`` key.

    Attributes:
        path: the attribute path.
        descending: ``True`` for ``-name``.
    """

    path: Path
    descending: bool = False


@attrs.frozen
class Query:
    """A whole list query.

    Attributes:
        conditions: the filter; every condition must hold (AND).
        fields: the ``fields=`` selection as paths; ``None`` selects every attribute;
            an empty tuple is ``fields=none`` (only ``id`` and ``href``).
        sort: the sort keys, most significant first; ties are broken by ``id``.
            Empty keeps the store's stable default order (creation order).
        offset: how many matches to skip, >= 0.
        limit: how many matches to return at most, >= 0; ``None`` is no limit.
    """

    conditions: tuple[Condition, ...] = ()
    fields: tuple[Path, ...] | None = None
    sort: tuple[SortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
