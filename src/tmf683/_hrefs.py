"""``href`` in list queries: stores keep no href, so its conditions become ``id`` ones.

Every href of a service is its API root, ``/partyInteraction/``, then the id: hrefs
order as their ids do, and an href names an id exactly when it starts with that
prefix (TMF630 Part 1 lets a client filter and sort on any attribute, ``href``
included).
"""

from __future__ import annotations

import attrs

from tmf683._errors import InvalidQueryError
from tmf683.query.ast import AnyOf, Clause, Condition, Operator, Query


def href_as_id(query: Query, prefix: str) -> Query:
    """Turn ``href`` conditions and sort keys into ``id`` ones.

    Args:
        query: a parsed list query.
        prefix: the href of an empty id, e.g.
            ``"/tmf-api/partyInteraction/v4/partyInteraction/"``.

    Returns:
        The query with ``href=X`` read as ``id=`` the part of ``X`` after
        ``prefix`` (an href with another prefix names no interaction), and
        ``sort=href`` as ``sort=id``.

    Raises:
        InvalidQueryError: an ``href`` condition other than ``eq`` or ``ne``.
    """

    def by_id(condition: Condition) -> Condition:
        if condition.path != ("href",):
            return condition
        if condition.operator not in (Operator.EQ, Operator.NE):
            raise InvalidQueryError(
                condition.parameter,
                "compares href by equality only (eq, ne); use id for the others",
            )
        ids = tuple(
            value.removeprefix(prefix)
            for value in condition.values
            if isinstance(value, str) and value.startswith(prefix) and value != prefix
        )
        return attrs.evolve(condition, path=("id",), values=ids)

    conditions: list[Clause] = [
        AnyOf(tuple(by_id(c) for c in clause.conditions))
        if isinstance(clause, AnyOf)
        else by_id(clause)
        for clause in query.conditions
    ]
    sort = tuple(
        attrs.evolve(key, path=("id",)) if key.path == ("href",) else key
        for key in query.sort
    )
    return attrs.evolve(query, conditions=tuple(conditions), sort=sort)
