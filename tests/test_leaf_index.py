"""The leaf index answers filters on any path as the in-memory oracle does.

Every SQL store (SQLite, selective and dense; PostgreSQL, selective and dense)
against :class:`~tmf683.MemoryStore` on documents with extensions, numbers past
64 bits, texts longer than the index keeps, names holding dots, nested arrays, and
writes of every kind (add, add_many, update, delete, put_many).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.schema_fixtures.make_fixtures import documents
from tmf683 import MemoryStore, PostgresStore, SQLiteStore, parse_query
from tmf683.query.ast import Condition, Operator, Query
from tmf683.query.schema import AttributeKind
from tmf683.storage._sql.compiler import compile_query
from tmf683.storage._sql.leaves import LEAF_TABLE, PREFIX, leaf_path, leaves
from tmf683.storage.base import PartyInteractionStore
from tmf683.storage.sqlite._dialect import DIALECT as SQLITE

LONG = "x" * (PREFIX + 20)


def _extra() -> list[dict[str, Any]]:
    return [
        {"id": "E1", "x-big": 2**70, "a.b": "dotted", "x-list": [{"n": 2**64}]},
        {"id": "E2", "reason": LONG + "a", "x-big": 2**70 + 1, "a": {"b": "nested"}},
        {"id": "E3", "reason": LONG + "b", "relatedParty": {"name": "not an array"}},
        {"id": "E4", "relatedParty": [["nested list"], "text", {"name": "alpha"}]},
        {"id": "E5", "reason": LONG[:PREFIX], "x-ext": 3, "x-flag": True},
    ]


QUERIES = [
    "reason=alpha",
    f"reason={LONG}a",
    f"reason={LONG}",
    f"reason.gt={LONG}a",
    f"reason.gte={LONG[:PREFIX]}",
    f"reason.lt={LONG}b",
    "reason.ne=alpha",
    f"reason.ne={LONG}a",
    "reason.gte=b&reason.lt=g",
    "reason.gte=b&reason.gte=b",
    "reason.gt=a&reason.lt=e&reason.ne=beta",
    "reason=alpha;relatedParty.name=zoë",
    "relatedParty.name=alpha",
    "relatedParty.name=not an array",
    "relatedParty.name.gte=a&relatedParty.role=agent",
    "interactionItem.relatedParty.id=P1&interactionItem.relatedParty.role=customer",
    "attachment.size.amount.gte=1e30",
    "attachment.size.amount=9007199254740993",
    "attachment.size.amount.gt=-1&attachment.size.amount.lt=1",
    "x-ext=3",
    "x-ext.ne=alpha",
    "note.author=alpha,beta,gamma&sort=-reason",
    "channel.id=C1&offset=2&limit=3",
]


BUILT = [
    # paths the parser does not take (an extension is a last name only)
    Query(conditions=(Condition(("a.b",), Operator.EQ, ("dotted",)),)),
    Query(conditions=(Condition(("a", "b"), Operator.EQ, ("dotted",)),)),
    Query(conditions=(Condition(("a", "b"), Operator.EQ, ("nested",)),)),
    Query(
        conditions=(
            Condition(
                ("x-list", "n"),
                Operator.GTE,
                (2.0**64,),
                kind=AttributeKind.NUMBER,
                arrays=(0,),
            ),
        )
    ),
    Query(
        conditions=(
            Condition(("x-big",), Operator.GTE, (2.0**70,), kind=AttributeKind.NUMBER),
        )
    ),
]


def _all() -> list[dict[str, Any]]:
    return documents() + _extra()


@pytest.fixture
def sql_store(sql_store: PartyInteractionStore) -> PartyInteractionStore:
    """The shared SQL store; on PostgreSQL a page is always collected first."""
    if isinstance(sql_store, PostgresStore):
        sql_store.selective_share = float("inf")
    return sql_store


def _written(store: PartyInteractionStore) -> None:
    """Every write path: add, add_many, update, put_many (new and replaced), delete."""
    docs = _all()
    store.add(docs[0])
    store.add_many(docs[1:20])
    store.put_many(docs[20:])
    store.update("F01", lambda d: {**d, "reason": "alpha", "x-rev": "one"})
    store.put_many([{**docs[2], "reason": "beta", "x-put": "yes"}], replace=True)
    store.delete("F04")


def test_the_leaf_index_agrees_with_the_oracle(
    sql_store: PartyInteractionStore,
) -> None:
    oracle = MemoryStore()
    for store in (oracle, sql_store):
        _written(store)
    queries = [
        *(parse_query(q) for q in [*QUERIES, "x-rev=one", "x-put=yes", "reason=beta"]),
        *BUILT,
    ]
    for query in queries:
        wanted, found = oracle.find(query), sql_store.find(query)
        assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items], query
        assert found.total_count == wanted.total_count, query
    assert [oracle.find(q).total_count for q in BUILT] == [1, 0, 1, 1, 2]
    assert oracle.find(parse_query("x-rev=one")).total_count == 1
    assert oracle.find(parse_query(f"reason={LONG}a")).total_count == 1


def test_the_leaf_rows_are_the_texts_and_numbers_on_their_paths() -> None:
    rows = leaves(
        {
            "id": "A",
            "n": 1.5,
            "flag": True,
            "none": None,
            "o": {"p.q": "x", "r": [{"s": 1}, {"s": 1}, 2, ["t"]]},
            "long": LONG,
        }
    )
    assert rows == {
        ("id", "A"),
        ("n", 1.5),
        ("o.p\\.q", "x"),
        ("o.r[].s", 1),
        ("long", LONG[:PREFIX]),
    }
    assert leaf_path(("relatedParty", "name"), (0,)) == "relatedParty[].name"


def test_an_exact_test_is_counted_from_the_leaf_index_alone() -> None:
    def count(query: Query) -> str:
        return compile_query(query, SQLITE).count

    equal = Query(conditions=(Condition(("reason",), Operator.EQ, ("a",)),))
    assert count(equal).startswith(f"SELECT count(*) FROM {LEAF_TABLE} WHERE")
    element = parse_query("relatedParty.name=a,b")
    assert count(element).startswith(f"SELECT count(DISTINCT seq) FROM {LEAF_TABLE}")
    long = Query(conditions=(Condition(("reason",), Operator.EQ, (LONG,)),))
    assert "FROM party_interaction WHERE" in count(long)  # rechecked on documents
    same_element = parse_query("relatedParty.name=a&relatedParty.role=b")
    assert "FROM party_interaction WHERE" in count(same_element)


@pytest.mark.parametrize(
    "query_string",
    [
        "reason=a",
        "relatedParty.name=a",
        "note.author=a&note.text=b",
        "x-campaign=K3;note.author=agent-4",
        "interactionDate.endDateTime.gte=2024-06-01T00:00:00Z",
        "attachment.size.amount.gt=3",
    ],
)
def test_sqlite_answers_any_path_through_the_leaf_index(
    tmp_path: Path, query_string: str
) -> None:
    store = SQLiteStore(tmp_path / "plan.db")
    try:
        store.add_many(_all())
        plan = " | ".join(store.explain(parse_query(query_string)))
        assert f"SEARCH {LEAF_TABLE} USING PRIMARY KEY" in plan, plan
        assert "SCAN party_interaction " not in plan + " ", plan
    finally:
        store.close()
