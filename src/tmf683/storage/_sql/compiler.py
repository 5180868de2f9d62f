"""Compile a :class:`~tmf683.query.ast.Query` to SQL with bound parameters, once.

The compiler walks the :mod:`tmf683.query.plan` tree the in-memory oracle walks
(:func:`tmf683.query.evaluate.select`), so both SQL stores give its results; what
differs between SQLite and PostgreSQL comes from their
:class:`~tmf683.storage._sql.dialect.Dialect`. Identifiers come from the whitelists
of :mod:`tmf683.storage._sql.tables`; every value a client sends, and every JSON key,
is a bound parameter, never part of the SQL text.

The rules written here, for both engines:

- First-level attributes with a generated column (:data:`~.tables.COLUMNS`) read the
  column; other values are typed JSON values (the dialect's ``value``).
- ``eq``/``ne`` drop first the values no stored text can equal (the dialect's
  ``storable``); no value left: ``eq`` matches nothing and ``ne`` everything. ``ne``
  holds where the value is absent.
- ``regex``: a registered RE2 function where the dialect has one; else the store
  finds, inside the query's snapshot, the distinct texts at the path a pattern
  matches (RE2 in Python) and the test is equality with them. When the patterns
  require literals of 3+ characters (:mod:`tmf683.query.literals`), the test of a
  first-level attribute, or of one directly in an array's elements, is preceded by
  ``seq IN`` the documents holding such a text at the path, from the trigram
  index (:mod:`~.text_index`); without, it tests every row.
- Arrays: ``EXISTS`` over their object elements.
- The leaf index: :mod:`~tmf683.storage._sql.leaf_tests` (the base of
  :class:`Compiled`).
- Sorting: absent values first ascending and last descending, ties by ``id``;
  without sort keys, creation order (``seq``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tmf683.query.ast import Condition, Operator, Path, Query
from tmf683.query.plan import Each, Either, Node, Plan, Test, plan
from tmf683.query.schema import AttributeKind
from tmf683.storage._sql.dialect import Dialect
from tmf683.storage._sql.leaf_tests import ORDER, LeafTests
from tmf683.storage._sql.leaf_tests import Candidates as Candidates
from tmf683.storage._sql.leaves import indexed, leaf_path
from tmf683.storage._sql.tables import COLUMNS, TABLE
from tmf683.storage._sql.text_index import requirement, text_path

RegexMatches = Callable[[Path, Sequence[str]], list[str]]
"""Given a path from the document root and RE2 patterns, the distinct texts at that
path that contain a match of one of the patterns."""


def _no_regex_lookup(path: Path, patterns: Sequence[str]) -> list[str]:
    raise TypeError("this dialect needs a regex lookup")  # pragma: no cover


class Compiled(LeafTests):
    """A query's WHERE and ORDER BY clauses and count, with named parameters.

    Args:
        dialect: the engine's rules.
        dense: the filter is known to match many rows: test the leaf index per
            row instead of reading its matches first.
        regex_matches: finds the texts a ``regex`` accepts, for a dialect without a
            regex function (run inside the query's snapshot).

    Attributes:
        where: ``"WHERE ..."`` or ``""``.
        order_by: ``"ORDER BY ..."``.
        sort: the sort keys as ``(SQL expression, descending)``.
        count: the query counting the matches: over the table with ``where``, or
            over the leaf index alone when the filter is one test whose leaf
            rows are exactly its matches.
        params: values for the placeholders of every clause.
    """

    def __init__(
        self,
        dialect: Dialect,
        *,
        dense: bool = False,
        regex_matches: RegexMatches = _no_regex_lookup,
    ) -> None:
        super().__init__(dialect, dense=dense)
        self.regex_matches = regex_matches
        self.where = ""
        self.order_by = ""
        self.sort: list[tuple[str, bool]] = []
        self.count = ""
        self._aliases = 0
        self._looked_up: dict[tuple[Path, tuple[str, ...]], list[str]] = {}

    def _value(self, path: Path, kind: AttributeKind, source: str | None) -> str:
        if source is None and path in COLUMNS:
            return COLUMNS[path]
        return self.dialect.value(self.bind, source or "document", path, kind)

    def _compare(self, condition: Condition, value: str, prefix: Path) -> str:
        dialect = self.dialect
        condition = dialect.storable(condition)
        operator, values, kind = condition.operator, condition.values, condition.kind
        if not values:
            return dialect.true if operator is Operator.NE else dialect.false
        if operator is Operator.EQ:
            return dialect.member(self.bind, value, values, kind)
        if operator is Operator.NE:
            member = dialect.member(self.bind, value, values, kind)
            return f"({value} IS NULL OR NOT ({member}))"
        if operator is Operator.REGEX:
            if dialect.regex_function:
                tests = [
                    f"{dialect.regex_function}({self.bind(v)}, {value})" for v in values
                ]
                return "(" + " OR ".join(tests) + ")"
            if kind is AttributeKind.NUMBER:
                return dialect.false  # a pattern matches texts only, never a number
            patterns = tuple(str(v) for v in values)
            matched = self.regex_matches(prefix + condition.path, patterns)
            self._looked_up[prefix + condition.path, patterns] = matched
            if not matched:
                return dialect.false
            return dialect.member(self.bind, value, matched, kind)
        sign = ORDER[operator]
        tests = [dialect.order_test(self.bind, value, sign, v, kind) for v in values]
        return "(" + " OR ".join(tests) + ")"

    def _text_filter(self, condition: Condition, prefix: Path) -> str | None:
        """``seq IN`` the trigram index's candidates of a ``regex``, if it has any.

        Args:
            condition: a test of the document (``prefix`` empty) or of the
                elements of the array at ``prefix``.
            prefix: the array's path from the root.

        Returns:
            The SQL, or ``None`` for another operator or patterns with no literal
            of 3+ characters. The texts the patterns accept go with it where
            they were looked up already (a dialect without a regex function).
        """
        if condition.operator is not Operator.REGEX:
            return None
        if condition.kind is AttributeKind.NUMBER:
            return None
        need = requirement([str(value) for value in condition.values])
        if need is None:
            return None
        path = text_path(prefix + condition.path)
        leaf = leaf_path(condition.path)
        if prefix:  # an array's path: the array at its end, objects before
            leaf = leaf_path(prefix, (len(prefix) - 1,)) + "." + leaf
        if not indexed(leaf):
            return None  # SQLite finds the documents through the leaf rows
        patterns = tuple(str(value) for value in condition.values)
        accepted = self._looked_up.get((prefix + condition.path, patterns))
        candidates = self.dialect.text_candidates(
            self.bind, path, leaf, need, accepted, patterns
        )
        return f"{TABLE}.seq IN ({candidates})"

    def _top(self, nodes: Plan) -> str:
        """The WHERE condition of the whole filter, through the leaf index."""
        parts: list[str] = []
        superset: list[Candidates] = []
        exact = False
        merged = self._ranges(nodes)
        for node in nodes:
            if id(node) in merged:
                found = merged.pop(id(node))
                if found is None:
                    continue  # merged into the range of its path's first test
            else:
                found = self._candidates(node, "")
            if found is not None and found.exact:
                parts.append(self._leaf_filter(found))
                exact = True
                continue
            if found is not None:
                superset.append(found)
            parts.append(self._negated(node) or self._node(node, None, ()))
        if superset and not exact and not self.dense:
            parts.append(self._leaf_filter(max(superset, key=lambda c: c.score)))
        return " AND ".join(f"({part})" for part in parts)

    def _node(self, node: Node, source: str | None, prefix: Path) -> str:
        if isinstance(node, Test):
            condition = node.condition
            value = self._value(condition.path, condition.kind, source)
            test = self._compare(condition, value, prefix)
            if source is None and (candidates := self._text_filter(condition, ())):
                return f"{candidates} AND {test}"
            return test
        if isinstance(node, Each):
            self._aliases += 1
            alias = f"e{self._aliases}"
            elements = self.dialect.elements(
                self.bind, source or "document", node.path, alias
            )
            inner = self._plan(node.plan, f"{alias}.value", prefix + node.path)
            exists = f"EXISTS (SELECT 1 {elements} AND {inner})"
            if source is None:
                texts = [
                    found
                    for test in node.plan
                    if isinstance(test, Test)
                    and (found := self._text_filter(test.condition, node.path))
                ]
                return " AND ".join([*texts, exists])
            return exists
        if isinstance(node, Either):
            alternatives = (f"({self._plan(p, source, prefix)})" for p in node.plans)
            return "(" + " OR ".join(alternatives) + ")"
        raise TypeError(node)  # pragma: no cover - Node is a closed union

    def _plan(self, nodes: Plan, source: str | None, prefix: Path) -> str:
        parts = [f"({self._node(node, source, prefix)})" for node in nodes]
        return " AND ".join(parts) or self.dialect.true

    def order(self, names: list[str] | None = None, prefix: str = "") -> str:
        """The ORDER BY clause, over the sort expressions or over names for them.

        Args:
            names: one name per sort key (columns of a subquery that selected the
                expressions); ``None`` orders by the expressions themselves.
            prefix: put before ``id``, ``seq`` and each name, e.g. ``"page."``.

        Returns:
            ``"ORDER BY ..."``: the keys, then ``id``; or ``seq`` without keys.
        """
        if not self.sort:
            return f"ORDER BY {prefix}seq"
        directions = (self.dialect.ascending, self.dialect.descending)
        keys = [
            f"{prefix + names[n] if names else value} {directions[descending]}"
            for n, (value, descending) in enumerate(self.sort)
        ]
        return "ORDER BY " + ", ".join(keys) + f", {prefix}id ASC"

    def compile(self, query: Query) -> Compiled:
        """Fill ``where``, ``count``, ``sort`` and ``order_by``; return ``self``."""
        nodes = plan(query.conditions)
        self.where = f"WHERE {self._top(nodes)}" if nodes else ""
        self.count = self._leaf_count(nodes) or (
            f"SELECT count(*) FROM {TABLE} {self.where}"  # noqa: S608 - see above
        )
        self.sort = [
            (self._value(key.path, key.kind, None), key.descending)
            for key in query.sort
        ]
        self.order_by = self.order()
        return self


def compile_query(
    query: Query,
    dialect: Dialect,
    *,
    dense: bool = False,
    regex_matches: RegexMatches = _no_regex_lookup,
) -> Compiled:
    """Compile a query's filter and sort for the ``party_interaction`` table.

    Args:
        query: the parsed query (``fields``, ``offset`` and ``limit`` are the
            caller's).
        dialect: the engine's rules.
        dense: see :class:`Compiled`.
        regex_matches: see :class:`Compiled`.

    Returns:
        The clauses and their parameters.
    """
    return Compiled(dialect, dense=dense, regex_matches=regex_matches).compile(query)
