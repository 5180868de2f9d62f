"""Number filter values SQLite cannot bind, rewritten to tests it can.

sqlite3 binds integers of signed 64 bits only, but a query keeps an integer exact
whatever its size (:mod:`tmf683.query.values`). A stored integer fits in 64 bits
(validation refuses others), so no stored number lies strictly between such an
integer ``v`` and its nearest float ``f``: against ``f`` (infinite past the
largest float) every stored number compares as against ``v``, except that
equality to ``f`` means "above ``v``" when ``f > v`` and "below" when ``f < v``.
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

import attrs

from tmf683.query.ast import Condition, Operator

_LOW, _HIGH = -(2**63), 2**63 - 1


def _unbindable(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not _LOW <= value <= _HIGH


def _nearest(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def equal_values(condition: Condition) -> Condition:
    """``eq``/``ne`` values past 64 bits as their float, or left out where inexact.

    Args:
        condition: a filter condition.

    Returns:
        The condition; only a float equal to such an integer can equal it.
    """
    if condition.operator not in (Operator.EQ, Operator.NE):
        return condition
    if not any(_unbindable(v) for v in condition.values):
        return condition
    values = tuple(
        (_nearest(v) if _unbindable(v) else v)
        for v in condition.values
        if not _unbindable(v) or _nearest(v) == v
    )
    return attrs.evolve(condition, values=values)


def order_test(sign: str, bound: Any) -> tuple[str, Any]:
    """``(sign, bound)`` of a range test, an integer past 64 bits as a float.

    Args:
        sign: ``<``, ``<=``, ``>`` or ``>=``.
        bound: the value compared with.

    Returns:
        The test to bind instead (the same one for a bindable bound).
    """
    if not _unbindable(bound):
        return sign, bound
    nearest = _nearest(bound)
    if nearest > bound:  # stored x > bound exactly when x >= nearest
        sign = {">": ">=", "<=": "<"}.get(sign, sign)
    elif nearest < bound:  # x >= bound exactly when x > nearest
        sign = {">=": ">", "<": "<="}.get(sign, sign)
    return sign, nearest
