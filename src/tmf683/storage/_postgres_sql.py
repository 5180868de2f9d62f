"""Compile a :class:`~tmf683.query.ast.Query` to PostgreSQL SQL with bound parameters.

The PostgreSQL twin of :mod:`tmf683.storage._sql`: it walks the same
:mod:`tmf683.query.plan` tree, and its results equal
:func:`tmf683.query.evaluate.select` on the same documents. Identifiers and the
JSON keys of indexed expressions come from fixed whitelists; every value a client
sends, and every other JSON key, is a bound parameter (``%(pN)s``).

How each rule of the oracle is kept:

- Typed values: ``jsonb_typeof`` must be ``string`` (text, date-times) or ``number``.
- Text compares and sorts under ``COLLATE "C"``: byte order of UTF-8, which is code
  point order, as in Python and SQLite.
- Numbers compare as ``numeric`` with :class:`~decimal.Decimal` parameters: exact,
  as Python compares ints and floats. The store writes each float as its exact
  decimal value (see :mod:`tmf683.storage._postgres_schema`), so the ``numeric`` in
  the document is the float the document holds.
- Keys are followed with ``->`` one at a time: ``#>`` would read a key such as
  ``"0"`` as an array index.
- ``regex``: PostgreSQL's regular expressions are not RE2. The store collects the
  distinct texts at the path (in the query's snapshot), the pattern runs on them in
  Python with RE2, and the condition becomes equality with the texts that matched.
- Sorting: absent values first ascending and last descending (``NULLS FIRST`` /
  ``NULLS LAST``), ties by ``id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from tmf683.query.ast import Condition, Operator, Path, Query
from tmf683.query.plan import Each, Either, Node, Plan, Test, plan
from tmf683.query.schema import AttributeKind
from tmf683.storage._sql import COLUMNS, REFERENCE_TABLE, REFERENCES

__all__ = [
    "TABLE",
    "Compiled",
    "RegexMatches",
    "compile_query",
    "json_path_text",
    "key_chain",
]

TABLE = "party_interaction"

RegexMatches = Callable[[Path, Sequence[str]], list[str]]
"""Given a path from the document root and RE2 patterns, the distinct texts at that
path that contain a match of one of the patterns."""

_ORDER = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}


def key_chain(source: str, path: Path) -> str:
    """SQL following constant keys with ``->``, for the whitelisted schema only.

    Args:
        source: SQL of a ``jsonb`` value, e.g. ``document``.
        path: keys from :data:`tmf683.storage._sql.COLUMNS` or
            :data:`~tmf683.storage._sql.REFERENCES` (never client text).

    Returns:
        e.g. ``(document -> 'interactionDate' -> 'startDateTime')``.
    """
    return "(" + source + "".join(f" -> '{name}'" for name in path) + ")"


def typed_sql(value: str, kind: AttributeKind) -> str:
    """SQL of a ``jsonb`` value when it has the kind's JSON type, else NULL.

    Args:
        value: SQL of the ``jsonb`` value.
        kind: the attribute's kind.

    Returns:
        A ``numeric`` for numbers, a ``text COLLATE "C"`` otherwise: the SQL twin of
        :func:`tmf683.query.evaluate.typed`.
    """
    if kind is AttributeKind.NUMBER:
        return (
            f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value})::numeric END)"
        )
    return (
        f"((CASE WHEN jsonb_typeof({value}) = 'string' THEN {value} #>> '{{}}' END) "
        'COLLATE "C")'
    )


def json_path_text(path: Path) -> str:
    """A lax SQL/JSON path reaching every value at ``path``, through arrays too.

    Args:
        path: attribute names from the document root.

    Returns:
        e.g. ``lax $."relatedParty"."id"``, to be bound as a ``jsonpath`` parameter.
    """
    quoted = (name.replace("\\", "\\\\").replace('"', '\\"') for name in path)
    return "lax $" + "".join(f'."{name}"' for name in quoted)


class Compiled:
    """A WHERE and an ORDER BY clause with their named parameters.

    Attributes:
        where: ``"WHERE ..."`` or ``""``.
        order_by: ``"ORDER BY ..."``.
        sort: the sort keys as ``(SQL expression, descending)``.
        count: the query counting the matches: over the table with ``where``, or
            over the side table's index alone when the filter is one indexed
            element ``eq`` (the side table holds exactly those matches).
        params: values for the ``%(pN)s`` placeholders.
    """

    def __init__(self, regex_matches: RegexMatches) -> None:
        self.where = ""
        self.order_by = ""
        self.sort: list[tuple[str, bool]] = []
        self.count = ""
        self.params: dict[str, Any] = {}
        self._regex_matches = regex_matches
        self._aliases = 0

    def bind(self, value: Any) -> str:
        """Add a parameter; return its placeholder."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def _json(self, source: str, path: Path) -> str:
        keys = "".join(f" -> {self.bind(name)}::text" for name in path)
        return f"({source}{keys})"

    def _value(self, path: Path, kind: AttributeKind, source: str | None) -> str:
        if source is None and path in COLUMNS:
            return COLUMNS[path]
        return typed_sql(self._json(source or "document", path), kind)

    def _values(self, condition: Condition) -> tuple[str, str]:
        if condition.kind is AttributeKind.NUMBER:
            return self.bind([Decimal(v) for v in condition.values]), "numeric[]"
        return self.bind([str(v) for v in condition.values]), "text[]"

    def _compare(self, condition: Condition, value: str, prefix: Path) -> str:
        condition = _without_nul(condition)
        if not condition.values:
            return "true" if condition.operator is Operator.NE else "false"
        if condition.operator is Operator.REGEX:
            if condition.kind is AttributeKind.NUMBER:
                return "false"  # a pattern matches texts only, never a number
            matched = self._regex_matches(
                prefix + condition.path, [str(v) for v in condition.values]
            )
            return f"{value} = ANY({self.bind(matched)}::text[])"
        if condition.operator in (Operator.EQ, Operator.NE):
            values, array = self._values(condition)
            test = f"{value} = ANY({values}::{array})"
            if condition.operator is Operator.EQ:
                return test
            return f"({value} IS NULL OR NOT {test})"
        sign = _ORDER[condition.operator]
        tests = []
        for bound in condition.values:
            if condition.kind is AttributeKind.NUMBER:
                tests.append(f"{value} {sign} {self.bind(Decimal(bound))}::numeric")
            else:
                text_sign, text = _order_test(sign, str(bound))
                tests.append(f"{value} {text_sign} {self.bind(text)}::text")
        return "(" + " OR ".join(tests) + ")"

    def _reference_test(self, node: Each) -> tuple[str, str, int] | None:
        """The side-table form of an indexed element attribute's ``eq`` in ``node``.

        Returns:
            ``(SQL of the path code, SQL of the values, how many values)``, or
            ``None`` when no test of ``node`` is an ``eq`` on
            :data:`~tmf683.storage._sql.REFERENCES`.
        """
        for test in node.plan:
            if (
                isinstance(test, Test)
                and test.condition.operator is Operator.EQ
                and node.path + test.condition.path in REFERENCES
            ):
                values = [str(v) for v in _without_nul(test.condition).values]
                code = REFERENCES.index(node.path + test.condition.path)
                return (
                    f"{self.bind(code)}::smallint",
                    f"{self.bind(values)}::text[]",
                    len(values),
                )
        return None

    def _reference_filter(self, node: Each) -> str | None:
        """An index-backed test implied by ``node``: the side table's primary key.

        ``party_interaction_reference`` has a row ``(code, id, seq)`` exactly when
        an element of the array is an object whose attribute is that text.
        """
        found = self._reference_test(node)
        if found is None:
            return None
        code, values, _ = found
        return (
            f"seq IN (SELECT r.seq FROM {REFERENCE_TABLE} AS r "  # noqa: S608
            f"WHERE r.path = {code} AND r.value = ANY({values}))"
        )

    def _reference_count(self, nodes: Plan) -> str | None:
        """The count of a filter that is one indexed element ``eq``, from the index."""
        if len(nodes) != 1 or not isinstance(nodes[0], Each):
            return None
        if len(nodes[0].plan) != 1:
            return None
        found = self._reference_test(nodes[0])
        if found is None:
            return None
        code, values, how_many = found
        counted = "count(*)" if how_many == 1 else "count(DISTINCT seq)"
        return (
            f"SELECT {counted} FROM {REFERENCE_TABLE} "  # noqa: S608 - constants
            f"WHERE path = {code} AND value = ANY({values})"
        )

    def _node(self, node: Node, source: str | None, prefix: Path) -> str:
        if isinstance(node, Test):
            condition = node.condition
            value = self._value(condition.path, condition.kind, source)
            return self._compare(condition, value, prefix)
        if isinstance(node, Each):
            self._aliases += 1
            alias = f"e{self._aliases}"
            array = self._json(source or "document", node.path)
            inner = self._plan(node.plan, f"{alias}.value", prefix + node.path)
            exists = (
                "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN "  # noqa: S608
                f"jsonb_typeof({array}) = 'array' THEN {array} END) AS {alias}(value) "
                f"WHERE jsonb_typeof({alias}.value) = 'object' AND {inner})"
            )
            if source is None and (indexed := self._reference_filter(node)):
                if len(node.plan) == 1:
                    return indexed
                return f"{indexed} AND {exists}"
            return exists
        if isinstance(node, Either):
            return (
                "("
                + " OR ".join(f"({self._plan(p, source, prefix)})" for p in node.plans)
                + ")"
            )
        raise TypeError(node)  # pragma: no cover - Node is a closed union

    def _plan(self, nodes: Plan, source: str | None, prefix: Path) -> str:
        parts = [f"({self._node(node, source, prefix)})" for node in nodes]
        return " AND ".join(parts) or "true"

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
        keys = [
            f"{prefix + names[n] if names else value} "
            f"{'DESC NULLS LAST' if descending else 'ASC NULLS FIRST'}"
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


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""Characters no stored text holds: NUL (``jsonb`` refuses it) and unpaired
surrogates (not Unicode text; PostgreSQL cannot receive them)."""


def _without_nul(condition: Condition) -> Condition:
    """``eq`` and ``ne`` without the values holding a NUL or an unpaired surrogate.

    No stored text holds either, so no stored text equals such a value, and
    PostgreSQL could not receive it as a parameter.
    """
    if condition.operator not in (Operator.EQ, Operator.NE):
        return condition
    values = tuple(v for v in condition.values if not _UNSTORABLE.search(str(v)))
    return attrs.evolve(condition, values=values)


def _order_test(sign: str, bound: str) -> tuple[str, str]:
    """The test of text ``s`` against ``bound`` as a test PostgreSQL can bind.

    Let ``bound = p + c + rest`` where ``c`` is its first NUL or unpaired
    surrogate; a stored text ``s`` holds neither. Against ``p + NUL + rest``,
    ``s`` compares as against ``p`` except that ``s == p`` is the smaller: ``>`` and
    ``>=`` become ``> p``, ``<`` and ``<=`` become ``<= p``. A surrogate lies between
    U+D7FF and U+E000, so against ``p + surrogate + rest`` ``s`` is greater exactly
    when ``s >= p + U+E000``.
    """
    found = _UNSTORABLE.search(bound)
    if found is None:
        return sign, bound
    prefix, greater = bound[: found.start()], sign.startswith(">")
    if found.group() == "\0":
        return (">" if greater else "<="), prefix
    return (">=" if greater else "<"), prefix + "\ue000"


def compile_query(query: Query, regex_matches: RegexMatches) -> Compiled:
    """Compile a query's filter and sort for the ``party_interaction`` table.

    Args:
        query: the parsed query (``fields``, ``offset`` and ``limit`` are the
            caller's).
        regex_matches: finds the texts a ``regex`` condition accepts (the store
            runs it inside the query's snapshot).

    Returns:
        The clauses and their parameters.
    """
    return Compiled(regex_matches).compile(query)
