"""Compile a :class:`~tmf683.query.ast.Query` to SQLite SQL with bound parameters.

Identifiers come from fixed whitelists (the table's own columns and indexes); JSON
paths and values are always bound as named parameters, never formatted into the SQL
text. The results equal :func:`tmf683.query.evaluate.select` on the same documents:
the compiler walks the same :mod:`tmf683.query.plan` tree as the oracle.

Arrays are crossed with ``json_each``; the first-level attributes that lists filter
most have indexed generated columns (:data:`COLUMNS`), and the ids inside the
``channel`` and ``relatedParty`` arrays an indexed side table (:data:`REFERENCES`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tmf683.query.ast import Condition, Operator, Path, Query, SortKey
from tmf683.query.plan import Each, Either, Node, Plan, Test, plan
from tmf683.query.schema import AttributeKind

__all__ = [
    "COLUMNS",
    "REFERENCES",
    "REFERENCE_TABLE",
    "Compiled",
    "compile_query",
    "json_path",
    "references",
    "typed_value_sql",
]

INDEXED_COLUMNS = frozenset(
    {"status", "direction", "creation_date", "interaction_start"}
)
"""The generated columns with an index (the others save the JSON extraction only)."""

COLUMNS: dict[Path, str] = {
    ("id",): "id",
    ("status",): "status",
    ("direction",): "direction",
    ("creationDate",): "creation_date",
    ("statusChangeDate",): "status_change_date",
    ("interactionDate", "startDateTime"): "interaction_start",
    ("interactionDate", "endDateTime"): "interaction_end",
}
"""First-level text attributes with a generated, indexed column of their own."""

REFERENCES: tuple[Path, ...] = (("channel", "id"), ("relatedParty", "id"))
"""Text attributes of array elements kept in the indexed :data:`REFERENCE_TABLE`;
a row's ``path`` column holds the position in this tuple."""

REFERENCE_TABLE = "party_interaction_reference"


def references(document: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
    """The side-table rows of a document: ``(path code, text value)``, distinct.

    Args:
        document: a PartyInteraction JSON document.

    Returns:
        An iterator of pairs such as ``(1, "P1")``: the code is the position of the
        path in :data:`tmf683.storage._sql.REFERENCES`.
    """
    seen: set[tuple[int, str]] = set()
    for code, (array, attribute) in enumerate(REFERENCES):
        elements = document.get(array)
        if not isinstance(elements, list):
            continue
        for element in elements:
            if isinstance(element, dict) and isinstance(element.get(attribute), str):
                row = (code, element[attribute])
                if row not in seen:
                    seen.add(row)
                    yield row


_ORDER = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}


def json_path(path: Path) -> str:
    """Return the SQLite JSON path of an attribute path, each name quoted.

    Args:
        path: e.g. ``("interactionDate", "startDateTime")``; names hold no ``"``
            (the parser refuses them).

    Returns:
        e.g. ``'$."interactionDate"."startDateTime"'``, to be bound as a parameter.
    """
    return "$" + "".join(f'."{name}"' for name in path)


def typed_value_sql(source: str, location: str, kind: AttributeKind) -> str:
    """SQL for the value at a JSON path when it has the kind's JSON type, else NULL.

    Args:
        source: SQL of the JSON text, e.g. ``document`` or ``e1.value``.
        location: SQL of the JSON path: a placeholder or a quoted literal from a
            whitelist.
        kind: the attribute's kind.

    Returns:
        A ``CASE`` expression, the SQL twin of :func:`tmf683.query.evaluate.typed`.
    """
    types = "('integer', 'real')" if kind is AttributeKind.NUMBER else "('text')"
    return (
        f"(CASE WHEN json_type({source}, {location}) IN {types} "
        f"THEN json_extract({source}, {location}) END)"
    )


class Compiled:
    """A WHERE and an ORDER BY clause with their named parameters.

    Attributes:
        where: ``"WHERE ..."`` or ``""``.
        order_by: ``"ORDER BY ..."``.
        count: the query counting the matches: over the table with ``where``, or
            over the side table alone when the filter is one indexed element
            attribute (the side table holds exactly those matches).
        params: values for the ``:pN`` placeholders of every clause.
    """

    def __init__(self, dense: bool = False) -> None:
        self.dense = dense
        self.where = ""
        self.order_by = ""
        self.count = ""
        self.params: dict[str, Any] = {}
        self._aliases = 0

    def bind(self, value: Any) -> str:
        """Add a parameter; return its placeholder."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def _value(self, path: Path, kind: AttributeKind, source: str | None) -> str:
        if source is None and path in COLUMNS:
            return COLUMNS[path]
        return typed_value_sql(source or "document", self.bind(json_path(path)), kind)

    def _compare(self, condition: Condition, value: str) -> str:
        places = ", ".join(self.bind(v) for v in condition.values)
        if condition.operator is Operator.EQ:
            return f"{value} IN ({places})" if places else "0"
        if condition.operator is Operator.NE:
            return f"({value} IS NULL OR {value} NOT IN ({places}))" if places else "1"
        if condition.operator is Operator.REGEX:
            tests = [
                f"tmf683_regexp({self.bind(v)}, {value})" for v in condition.values
            ]
        else:
            sign = _ORDER[condition.operator]
            tests = [f"{value} {sign} {self.bind(v)}" for v in condition.values]
        return "(" + " OR ".join(tests) + ")" if tests else "0"

    def _reference_filter(self, node: Each) -> str | None:
        """The side-table test for an indexed element attribute.

        ``seq IN (SELECT ...)`` reads the matches from the side table first: best
        when they are few. Dense (many matches): a correlated ``EXISTS`` per row,
        so walking the table in order meets a page of matches soon.
        """
        for test in node.plan:
            if (
                isinstance(test, Test)
                and test.condition.operator is Operator.EQ
                and node.path + test.condition.path in REFERENCES
            ):
                places = ", ".join(self.bind(v) for v in test.condition.values)
                location = self.bind(REFERENCES.index(node.path + test.condition.path))
                where = f"path = {location} AND value IN ({places})"
                if self.dense:
                    return (
                        f"EXISTS (SELECT 1 FROM {REFERENCE_TABLE} AS r "  # noqa: S608
                        f"WHERE {where} AND r.seq = party_interaction.seq)"
                    )
                return f"seq IN (SELECT seq FROM {REFERENCE_TABLE} WHERE {where})"  # noqa: S608
        return None

    def _node(self, node: Node, source: str | None) -> str:
        if isinstance(node, Test):
            condition = node.condition
            return self._compare(
                condition, self._value(condition.path, condition.kind, source)
            )
        if isinstance(node, Each):
            self._aliases += 1
            alias = f"e{self._aliases}"
            inner = self._plan(node.plan, f"{alias}.value")
            exists = (
                f"EXISTS (SELECT 1 FROM json_each({source or 'document'}, "  # noqa: S608
                f"{self.bind(json_path(node.path))}) AS {alias} "
                f"WHERE {alias}.type = 'object' AND {inner})"
            )
            if source is None and (indexed := self._reference_filter(node)):
                if len(node.plan) == 1:
                    return indexed
                return f"{indexed} AND {exists}"
            return exists
        if isinstance(node, Either):
            return (
                "("
                + " OR ".join(f"({self._plan(p, source)})" for p in node.plans)
                + ")"
            )
        raise TypeError(node)  # pragma: no cover - Node is a closed union

    def _plan(self, nodes: Plan, source: str | None) -> str:
        return " AND ".join(f"({self._node(node, source)})" for node in nodes) or "1"

    def _sort_key(self, key: SortKey) -> str:
        value = self._value(key.path, key.kind, None)
        return f"{value} {'DESC' if key.descending else 'ASC'}"

    def _reference_count(self, nodes: Plan) -> str | None:
        if len(nodes) != 1 or not isinstance(nodes[0], Each) or len(nodes[0].plan) != 1:
            return None
        (test,) = nodes[0].plan
        if not (
            isinstance(test, Test)
            and test.condition.operator is Operator.EQ
            and nodes[0].path + test.condition.path in REFERENCES
        ):
            return None
        values = test.condition.values
        places = ", ".join(self.bind(v) for v in values)
        code = self.bind(REFERENCES.index(nodes[0].path + test.condition.path))
        counted = "count(*)" if len(values) == 1 else "count(DISTINCT seq)"
        return (
            f"SELECT {counted} FROM {REFERENCE_TABLE} "  # noqa: S608 - constants
            f"WHERE path = {code} AND value IN ({places})"
        )

    def compile(self, query: Query) -> Compiled:
        """Fill ``where``, ``order_by`` and ``count`` from a query; return ``self``."""
        nodes = plan(query.conditions)
        self.where = f"WHERE {self._plan(nodes, None)}" if nodes else ""
        self.count = self._reference_count(nodes) or (
            f"SELECT count(*) FROM party_interaction {self.where}"  # noqa: S608
        )
        if query.sort:
            keys = ", ".join(self._sort_key(key) for key in query.sort)
            self.order_by = f"ORDER BY {keys}, id ASC"
        else:
            self.order_by = "ORDER BY seq"
        return self


def compile_query(query: Query, *, dense: bool = False) -> Compiled:
    """Compile a query's filter and sort for the ``party_interaction`` table.

    Args:
        query: the parsed query (``fields``, ``offset`` and ``limit`` are the
            caller's).
        dense: the filter is known to match many rows: test the side table per row
            instead of reading its matches first.

    Returns:
        The clauses and their parameters.
    """
    return Compiled(dense).compile(query)
