"""The typed form of a TMF630 list query: frozen nodes built by :mod:`.parse`.

A :class:`Query` holds the filter (clauses ANDed together), the attribute selection of
``fields=``, the sort keys and the page. A clause is a :class:`Condition` (one
attribute, one operator, values ORed) or an :class:`AnyOf` (conditions ORed, from
``;`` between expressions). Paths are tuples of JSON attribute names, e.g.
``("interactionDate", "startDateTime")``.
"""

from __future__ import annotations

import enum

import attrs

from tmf683.query.schema import AttributeKind

Path = tuple[str, ...]
"""A JSON attribute path, one name per level, e.g. ``("relatedParty", "id")``."""

Value = str | float
"""A typed filter value (text, a canonical UTC date-time text, or a number)."""


class Operator(enum.Enum):
    """Comparison of a filter condition (TMF630 Part 1, filtering)."""

    EQ = "eq"
    """Equal to one of the values."""
    NE = "ne"
    """Equal to none of the values (also true where the attribute is absent)."""
    GT = "gt"
    """Greater than one of the values."""
    GTE = "gte"
    """Greater than or equal to one of the values."""
    LT = "lt"
    """Less than one of the values."""
    LTE = "lte"
    """Less than or equal to one of the values."""
    REGEX = "regex"
    """Text containing a match of the pattern (RE2 syntax, linear time)."""


@attrs.frozen
class Condition:
    """One filter condition: ``path`` compared by ``operator`` to ``values``.

    Attributes:
        path: the attribute path.
        operator: the comparison.
        values: the candidate values, ORed (for ``ne``: none may match). Date-times
            are in the canonical UTC form of
            :func:`tmf683._datetimes.format_datetime`; numbers are floats.
        kind: how the attribute compares.
        arrays: positions of the path's steps that are arrays.
        parameter: the query parameter as the client wrote it, for messages.
    """

    path: Path
    operator: Operator
    values: tuple[Value, ...]
    kind: AttributeKind = AttributeKind.STRING
    arrays: tuple[int, ...] = ()
    parameter: str = ""


@attrs.frozen
class AnyOf:
    """Conditions of which at least one must hold (``a=1;b=2``).

    Attributes:
        conditions: the alternatives; each is evaluated on its own (no element of an
            array is shared between them).
    """

    conditions: tuple[Condition, ...]


Clause = Condition | AnyOf
"""One ANDed part of a filter."""


@attrs.frozen
class SortKey:
    """One ``sort=`` key.

    Attributes:
        path: the attribute path (it crosses no array).
        descending: ``True`` for ``-name``.
        kind: how the attribute compares.
    """

    path: Path
    descending: bool = False
    kind: AttributeKind = AttributeKind.STRING


@attrs.frozen
class Query:
    """A whole list query.

    Attributes:
        conditions: the filter; every clause must hold (AND). Several conditions on
            the same array, ANDed here, hold on one and the same element.
        fields: the ``fields=`` selection as paths; ``None`` selects every attribute;
            an empty tuple is ``fields=none`` (only ``id`` and ``href``).
        sort: the sort keys, most significant first; ties are broken by ``id``.
            Empty keeps the store's stable default order (creation order).
        offset: how many matches to skip, >= 0.
        limit: how many matches to return at most, >= 0; ``None`` is no limit.
    """

    conditions: tuple[Clause, ...] = ()
    fields: tuple[Path, ...] | None = None
    sort: tuple[SortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
