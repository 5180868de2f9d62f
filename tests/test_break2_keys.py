"""SQL stores agree with the oracle on attribute names holding a backslash.

The parser refuses such names in a query string, but a built
:class:`~tmf683.query.ast.Query` reaches the stores, and the leaf index already
answers ``eq`` on them: a ``regex``, ``ne`` or sort read through SQLite's JSON
path must find the same values.
"""

from __future__ import annotations

from tmf683 import MemoryStore
from tmf683.query.ast import Condition, Operator, Query, SortKey
from tmf683.query.schema import AttributeKind
from tmf683.storage.base import PartyInteractionStore

DOCUMENTS = [
    {"id": "K1", "k\\": "bs", "k\\\\": "bs2", "k.": "dot"},
    {"id": "K2", "k\\": "zz"},
    {"id": "K3"},
]


def _query(path: str, operator: Operator, value: str) -> Query:
    return Query(
        conditions=(Condition((path,), operator, (value,), kind=AttributeKind.STRING),)
    )


QUERIES = [
    _query("k\\", Operator.REGEX, "b"),
    _query("k\\", Operator.REGEX, "bs"),
    _query("k\\\\", Operator.REGEX, "bs2"),
    _query("k\\", Operator.EQ, "bs"),
    _query("k\\", Operator.NE, "bs"),
    _query("k\\", Operator.GTE, "a"),
    _query("k.", Operator.REGEX, "dot"),
    Query(sort=(SortKey(("k\\",), descending=True, kind=AttributeKind.STRING),)),
]


def test_names_with_a_backslash_agree_with_the_oracle(
    sql_store: PartyInteractionStore,
) -> None:
    oracle = MemoryStore()
    for store in (oracle, sql_store):
        store.add_many(DOCUMENTS)
    for query in QUERIES:
        wanted, found = oracle.find(query), sql_store.find(query)
        assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items], query
        assert found.total_count == wanted.total_count, query
    assert oracle.find(QUERIES[0]).total_count == 1
