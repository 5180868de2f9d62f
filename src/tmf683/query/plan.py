"""Group a filter's conditions by the arrays they cross: the same-element rule.

TMF630: several conditions on the same array hold on the same element
(``relatedParty.id=P1&relatedParty.role=customer`` finds interactions where P1 is the
customer). A :data:`Plan` makes that structure explicit, once, for every evaluator:
the in-memory oracle and each SQL compiler walk the same tree.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from tmf683.query.ast import AnyOf, Clause, Condition, Path


@attrs.frozen
class Test:
    """Compare the value at ``condition.path`` (it crosses no array) to the values.

    Attributes:
        condition: the condition, its path relative to the current object.
    """

    condition: Condition


@attrs.frozen
class Each:
    """Some element of the array at ``path`` satisfies every node of ``plan``.

    Attributes:
        path: the array's path relative to the current object (objects only before).
        plan: the nodes each element is tested with, paths relative to the element.
    """

    path: Path
    plan: Plan


@attrs.frozen
class Either:
    """At least one of the plans holds (``;`` between expressions).

    Attributes:
        plans: the alternatives.
    """

    plans: tuple[Plan, ...]


Node = Test | Each | Either
Plan = tuple[Node, ...]
"""Nodes that must all hold (AND)."""


def _relative(condition: Condition, start: int) -> Condition:
    return attrs.evolve(
        condition,
        path=condition.path[start:],
        arrays=tuple(p - start for p in condition.arrays if p >= start),
    )


def _plan_conditions(conditions: Iterable[Condition]) -> Plan:
    nodes: list[Node] = []
    groups: dict[Path, list[Condition]] = {}
    for condition in conditions:
        if not condition.arrays:
            nodes.append(Test(condition))
            continue
        end = condition.arrays[0] + 1
        groups.setdefault(condition.path[:end], []).append(_relative(condition, end))
    nodes += [Each(path, _plan_conditions(inner)) for path, inner in groups.items()]
    return tuple(nodes)


def plan(clauses: Iterable[Clause]) -> Plan:
    """Build the evaluation tree of a filter.

    Args:
        clauses: the filter of a :class:`~tmf683.query.ast.Query`.

    Returns:
        The plan: conditions without arrays as :class:`Test`, conditions grouped by
        their first array as :class:`Each` (recursively), ``;`` alternatives as
        :class:`Either` (each alternative planned on its own).
    """
    conditions: list[Condition] = []
    alternatives: list[Node] = []
    for clause in clauses:
        if isinstance(clause, AnyOf):
            alternatives.append(
                Either(tuple(_plan_conditions([c]) for c in clause.conditions))
            )
        else:
            conditions.append(clause)
    return _plan_conditions(conditions) + tuple(alternatives)
