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
- Arrays: ``EXISTS`` over their object elements. An element ``eq`` on an indexed
  attribute (:data:`~.tables.REFERENCES`) is also tested on the side table:
  ``seq IN (SELECT seq ...)`` reads the few matches first, or (``dense``) a
  correlated ``EXISTS`` per row lets a walk in the requested order meet a page of
  many matches soon. Alone, it replaces the ``EXISTS`` and the count is read from
  the side table alone.
- Sorting: absent values first ascending and last descending, ties by ``id``;
  without sort keys, creation order (``seq``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tmf683.query.ast import Condition, Operator, Path, Query
from tmf683.query.plan import Each, Either, Node, Plan, Test, plan
from tmf683.query.schema import AttributeKind
from tmf683.storage._sql.dialect import Dialect
from tmf683.storage._sql.tables import COLUMNS, REFERENCE_TABLE, REFERENCES, TABLE
from tmf683.storage._sql.text_index import requirement, text_path

RegexMatches = Callable[[Path, Sequence[str]], list[str]]
"""Given a path from the document root and RE2 patterns, the distinct texts at that
path that contain a match of one of the patterns."""

_ORDER = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}


def _no_regex_lookup(path: Path, patterns: Sequence[str]) -> list[str]:
    raise TypeError("this dialect needs a regex lookup")  # pragma: no cover


class Compiled:
    """A query's WHERE and ORDER BY clauses and count, with named parameters.

    Args:
        dialect: the engine's rules.
        dense: the filter is known to match many rows: test the side table per row
            instead of reading its matches first.
        regex_matches: finds the texts a ``regex`` accepts, for a dialect without a
            regex function (run inside the query's snapshot).

    Attributes:
        where: ``"WHERE ..."`` or ``""``.
        order_by: ``"ORDER BY ..."``.
        sort: the sort keys as ``(SQL expression, descending)``.
        count: the query counting the matches: over the table with ``where``, or
            over the side table alone when the filter is one indexed element
            ``eq`` (the side table holds exactly those matches).
        params: values for the placeholders of every clause.
    """

    def __init__(
        self,
        dialect: Dialect,
        *,
        dense: bool = False,
        regex_matches: RegexMatches = _no_regex_lookup,
    ) -> None:
        self.dialect = dialect
        self.dense = dense
        self.regex_matches = regex_matches
        self.where = ""
        self.order_by = ""
        self.sort: list[tuple[str, bool]] = []
        self.count = ""
        self.params: dict[str, Any] = {}
        self._aliases = 0

    def bind(self, value: Any) -> str:
        """Add a parameter; return its placeholder."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return self.dialect.placeholder(name)

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
            matched = self.regex_matches(
                prefix + condition.path, [str(v) for v in values]
            )
            if not matched:
                return dialect.false
            return dialect.member(self.bind, value, matched, kind)
        sign = _ORDER[operator]
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
            of 3+ characters.
        """
        if condition.operator is not Operator.REGEX:
            return None
        if condition.kind is AttributeKind.NUMBER:
            return None
        need = requirement([str(value) for value in condition.values])
        if need is None:
            return None
        path = text_path(prefix + condition.path)
        candidates = self.dialect.text_candidates(self.bind, path, need)
        return f"{TABLE}.seq IN ({candidates})"

    def _reference_test(self, node: Each) -> tuple[str, int] | None:
        """The side-table condition of an indexed element ``eq`` in ``node``.

        Returns:
            ``(SQL over the side table's path and value, how many values)``, or
            ``None`` when no test of ``node`` is an ``eq`` on :data:`REFERENCES`.
        """
        for test in node.plan:
            if (
                isinstance(test, Test)
                and test.condition.operator is Operator.EQ
                and node.path + test.condition.path in REFERENCES
            ):
                values = self.dialect.storable(test.condition).values
                if not values:
                    return self.dialect.false, 0
                code = REFERENCES.index(node.path + test.condition.path)
                path = self.dialect.cast(self.bind(code), "smallint")
                member = self.dialect.member(
                    self.bind, "value", values, AttributeKind.STRING
                )
                return f"path = {path} AND {member}", len(values)
        return None

    def _reference_filter(self, node: Each) -> str | None:
        found = self._reference_test(node)
        if found is None:
            return None
        where, _ = found
        if self.dense:
            return (
                f"EXISTS (SELECT 1 FROM {REFERENCE_TABLE} AS r "  # noqa: S608
                f"WHERE {where} AND r.seq = {TABLE}.seq)"
            )
        return f"seq IN (SELECT seq FROM {REFERENCE_TABLE} WHERE {where})"  # noqa: S608

    def _reference_count(self, nodes: Plan) -> str | None:
        if len(nodes) != 1 or not isinstance(nodes[0], Each) or len(nodes[0].plan) != 1:
            return None
        found = self._reference_test(nodes[0])
        if found is None:
            return None
        where, how_many = found
        counted = "count(*)" if how_many == 1 else "count(DISTINCT seq)"
        return f"SELECT {counted} FROM {REFERENCE_TABLE} WHERE {where}"  # noqa: S608

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
            if source is None and (indexed := self._reference_filter(node)):
                if len(node.plan) == 1:
                    return indexed
                return f"{indexed} AND {exists}"
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
        self.where = f"WHERE {self._plan(nodes, None, ())}" if nodes else ""
        self.count = self._reference_count(nodes) or (
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
