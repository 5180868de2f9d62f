"""Conditions on texts an SQL engine cannot receive, rewritten to equal tests.

A stored text never holds what its engine refuses (an unpaired surrogate for both,
NUL for PostgreSQL: the stores refuse such documents), so a filter value holding one
can be answered without binding it: no stored text equals it, and it orders against
stored texts as a bound the engine can take. Both engines compare texts by code
point (PostgreSQL's ``"C"`` collation, SQLite's ``BINARY`` on UTF-8).
"""

from __future__ import annotations

import re

import attrs

from tmf683.query.ast import Condition, Operator


def storable(condition: Condition, unstorable: re.Pattern[str]) -> Condition:
    """``eq`` and ``ne`` without the values ``unstorable`` finds a character in.

    Args:
        condition: a filter condition.
        unstorable: matches one character the engine cannot receive.

    Returns:
        The condition, its ``eq``/``ne`` values that no stored text can equal left
        out (an ``eq`` left without values matches nothing).
    """
    if condition.operator not in (Operator.EQ, Operator.NE):
        return condition
    values = tuple(v for v in condition.values if not unstorable.search(str(v)))
    return attrs.evolve(condition, values=values)


def order_test(sign: str, bound: str, unstorable: re.Pattern[str]) -> tuple[str, str]:
    """The test of text ``s`` against ``bound`` as a test the engine can bind.

    Let ``bound = p + c + rest`` where ``c`` is its first character ``unstorable``
    finds; a stored text ``s`` holds none. Against ``p + NUL + rest``, ``s``
    compares as against ``p`` except that ``s == p`` is the smaller: ``>`` and
    ``>=`` become ``> p``, ``<`` and ``<=`` become ``<= p``. A surrogate lies
    between U+D7FF and U+E000, so against ``p + surrogate + rest`` ``s`` is greater
    exactly when ``s >= p + U+E000``.

    Args:
        sign: ``<``, ``<=``, ``>`` or ``>=``.
        bound: the text compared with.
        unstorable: as for :func:`storable`.

    Returns:
        ``(sign, bound)`` to test instead.
    """
    found = unstorable.search(bound)
    if found is None:
        return sign, bound
    prefix, greater = bound[: found.start()], sign.startswith(">")
    if found.group() == "\0":
        return (">" if greater else "<="), prefix
    return (">=" if greater else "<"), prefix + "\ue000"
