"""The leaf index's part of a compiled query: which documents its tests hold on.

:class:`LeafTests` is the base of :class:`~tmf683.storage._sql.compiler.Compiled`:
it keeps the bound parameters and answers, for a part of a filter, the tests over
the leaf table that find its candidates. The rules, for both engines.

The leaf index (:mod:`~tmf683.storage._sql.leaves`) answers every ``eq`` and range
on a path without an indexed column, at any depth (a ``;`` OR when each
alternative has such a test), on a path it keeps rows for (``indexed``: not
past ``PATH_BYTES``; elsewhere the JSON test alone). Where its rows are exactly
the matches (one text test, bounds the cut leaves whole (``compares_whole``),
or one such test alone in an array's element), it replaces the JSON test:
``seq IN (SELECT seq ...)`` reads the few matches first, or (``dense``) a
correlated ``EXISTS`` per row lets a walk in the requested order meet a page of
many matches soon; a first-level ``ne`` becomes ``NOT`` of its ``eq``; a filter
of that one test is counted from the index alone. Elsewhere (numbers, long
bounds, several tests on one element) it gives a superset, ``seq IN (...)``
beside the exact JSON test, which rechecks the few candidates (not when
``dense``: the walk tests rows anyway).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs

from tmf683.query.ast import Condition, Operator, Path
from tmf683.query.plan import Each, Either, Node, Plan, Test
from tmf683.query.schema import AttributeKind
from tmf683.storage._sql.dialect import Dialect
from tmf683.storage._sql.leaves import (
    LEAF_TABLE,
    compares_whole,
    cut,
    indexed,
    leaf_path,
)
from tmf683.storage._sql.tables import COLUMNS, INDEXED_COLUMNS, TABLE

ORDER = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}
"""The SQL sign of each range operator."""

_RELAXED = {">": ">=", "<": "<=", ">=": ">=", "<=": "<="}
"""A bound cut as the leaf index cuts texts, or a number SQLite may hold rounded:
the inclusive sign keeps every match among the candidates."""

_ENGINE_INDEXED = frozenset(
    path for path, column in COLUMNS.items() if column in INDEXED_COLUMNS | {"id"}
)
"""First-level paths an index of the table itself answers (not the leaf index)."""


class Candidates(NamedTuple):
    """The documents a part of a filter may hold on, from the leaf index.

    Attributes:
        tests: conditions over the leaf table, ORed: a document is a candidate
            when one of its rows satisfies one.
        exact: the candidates are exactly the documents the part holds on.
        score: 2 for equality, 1 for ranges: the likelier to be selective.
        single: one test of one ``eq`` value (each document has one row at most).
    """

    tests: tuple[str, ...]
    exact: bool
    score: int
    single: bool


class LeafTests:
    """The leaf-index tests of a query's filter, and the parameters they bind.

    Args:
        dialect: the engine's rules.
        dense: the filter is known to match many rows: test the leaf index per
            row instead of reading its matches first.

    Attributes:
        params: values for the placeholders of every clause.
    """

    def __init__(self, dialect: Dialect, *, dense: bool = False) -> None:
        self.dialect = dialect
        self.dense = dense
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        """Add a parameter; return its placeholder."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return self.dialect.placeholder(name)

    def _leaf_test(self, condition: Condition, prefix: str) -> Candidates | None:
        """The leaf-index test of a condition (its path crossing no array).

        ``None`` for ``ne`` and ``regex``, and on a path the index keeps no rows at.
        """
        operator, kind = condition.operator, condition.kind
        if operator in (Operator.NE, Operator.REGEX):
            return None
        leaf = prefix + leaf_path(condition.path)
        if not indexed(leaf):
            return None
        values = self.dialect.storable(condition).values
        if not values:
            return Candidates((self.dialect.false,), True, 2, True)
        number = kind is AttributeKind.NUMBER
        whole = number or all(compares_whole(str(v)) for v in values)
        exact = whole and not number
        if not whole:
            values = tuple(cut(str(v)) for v in values)
        column = self.dialect.leaf_value(kind)
        path = f"path = {self.bind(leaf)}"
        if operator is Operator.EQ:
            member = self.dialect.member(self.bind, column, values, kind)
            return Candidates((f"{path} AND {member}",), exact, 2, len(values) == 1)
        sign = ORDER[operator] if exact else _RELAXED[ORDER[operator]]
        tests = " OR ".join(
            self.dialect.order_test(self.bind, column, sign, v, kind) for v in values
        )
        guard = self.dialect.leaf_kind(kind)
        return Candidates((f"{path} AND {guard} AND ({tests})",), exact, 1, False)

    def _candidates(self, node: Node, prefix: str) -> Candidates | None:
        """What the leaf index knows of ``node`` (``prefix``: the leaf path above)."""
        if isinstance(node, Test):
            if not prefix and node.condition.path in _ENGINE_INDEXED:
                return None
            return self._leaf_test(node.condition, prefix)
        if isinstance(node, Each):
            inner = prefix + leaf_path(node.path, (len(node.path) - 1,)) + "."
            return self._plan_candidates(node.plan, inner)
        if isinstance(node, Either):
            found = [self._plan_candidates(p, prefix) for p in node.plans]
            if any(c is None for c in found):
                return None
            return Candidates(
                tuple(t for c in found if c for t in c.tests),
                all(c.exact for c in found if c),
                min(c.score for c in found if c),
                False,
            )
        raise TypeError(node)  # pragma: no cover - Node is a closed union

    def _plan_candidates(self, nodes: Plan, prefix: str) -> Candidates | None:
        found = [c for n in nodes if (c := self._candidates(n, prefix))]
        if not found:
            return None
        best = max(found, key=lambda c: c.score)
        return best if len(nodes) == 1 else best._replace(exact=False, single=False)

    def _leaf_filter(self, candidates: Candidates) -> str:
        """SQL over the table's rows: the document is one of the candidates."""
        if self.dense:
            return " OR ".join(
                f"EXISTS (SELECT 1 FROM {LEAF_TABLE} AS l WHERE {test} "  # noqa: S608
                f"AND l.seq = {TABLE}.seq)"
                for test in candidates.tests
            )
        selects = " UNION ALL ".join(
            f"SELECT seq FROM {LEAF_TABLE} WHERE {test}"  # noqa: S608
            for test in candidates.tests
        )
        return f"seq IN ({selects})"

    def _leaf_count(self, nodes: Plan) -> str | None:
        """The count from the leaf index alone, where its rows are the matches."""
        found = self._plan_candidates(nodes, "") if len(nodes) == 1 else None
        if found is None or not found.exact:
            return None
        if len(found.tests) == 1:
            counted = "count(*)" if found.single else "count(DISTINCT seq)"
            return f"SELECT {counted} FROM {LEAF_TABLE} WHERE {found.tests[0]}"  # noqa: S608
        selects = " UNION ".join(
            f"SELECT seq FROM {LEAF_TABLE} WHERE {test}"  # noqa: S608
            for test in found.tests
        )
        return f"SELECT count(*) FROM ({selects}) AS matches"  # noqa: S608

    def _ranges(self, nodes: Plan) -> dict[int, Candidates | None]:
        """First-level range tests on one path, merged into one index range.

        ``a.gte=x&a.lt=y`` reads the index between ``x`` and ``y`` instead of
        from ``x`` to the end and from the start to ``y``.

        Returns:
            By ``id`` of the node: for the first test of each such path, the
            merged candidates; for the others ``None`` (answered by the first).
        """
        groups: dict[tuple[Path, AttributeKind], list[Test]] = {}
        for node in nodes:
            if (
                isinstance(node, Test)
                and node.condition.operator in ORDER
                and node.condition.path not in _ENGINE_INDEXED
            ):
                key = (node.condition.path, node.condition.kind)
                groups.setdefault(key, []).append(node)
        merged: dict[int, Candidates | None] = {}
        for tests in groups.values():
            if len(tests) < 2:
                continue
            found = [self._leaf_test(t.condition, "") for t in tests]
            parts = [c for c in found if c is not None and c.exact]
            if len(parts) < len(found):
                continue  # a cut bound, or a path without leaf rows
            both = " AND ".join(f"({c.tests[0]})" for c in parts)
            merged.update(dict.fromkeys(map(id, tests[1:])))
            merged[id(tests[0])] = Candidates((both,), True, 1, False)
        return merged

    def _negated(self, node: Node) -> str | None:
        """A first-level ``ne`` as ``NOT`` of its ``eq``, when that is exact."""
        if not (isinstance(node, Test) and node.condition.operator is Operator.NE):
            return None
        if node.condition.path in _ENGINE_INDEXED:
            return None
        equal = attrs.evolve(node.condition, operator=Operator.EQ)
        found = self._leaf_test(equal, "")
        if found is None or not found.exact:
            return None
        return f"NOT ({self._leaf_filter(found)})"
