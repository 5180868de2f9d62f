"""Hypothesis: the SQL stores agree with the oracle where the leaf cut counts bytes.

Texts of 4-, 3-, 2- and 1-byte characters end near the cut (1500 UTF-8 bytes or
500 characters) and differ just before, at or after it; extension names make leaf
paths of 999 to 1002 bytes, at the first level and inside an array (where
``relatedParty[].`` brings a name the first level keeps past the limit). Queries
use every operator, ORs, sorts and pages on SQLite and PostgreSQL, selective and
dense, and must find what :class:`~tmf683.MemoryStore` finds.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmf683 import MemoryStore, parse_query
from tmf683.query.parse import MAX_QUERY_LENGTH
from tmf683.storage.base import PartyInteractionStore

FOUR = "😀" * 374  # 1496 bytes: the next character or two reach 1500
THREE = "中" * 499  # 1497 bytes, 499 characters: both limits at once
TWO = "é" * 749  # 1498 bytes, past 500 characters: cut by characters
TEXTS = [
    FOUR,
    FOUR + "a",
    FOUR + "aaaa",
    FOUR + "aaaab",
    FOUR + "aaab",
    FOUR + "aaa😀",
    FOUR + "😀",
    FOUR + "😀a",
    FOUR + "😀b",
    FOUR + "😁",
    FOUR + "中",
    FOUR + "中b",
    FOUR + "éé",
    FOUR + "éa",
    "a" + FOUR + "😀",
    THREE,
    THREE + "a",
    THREE + "中",
    THREE + "中a",
    THREE + "😀",
    THREE + "ab",
    TWO,
    TWO + "a",
    TWO[:499] + "😀",
    TWO[:500] + "😀",
    "needle",
]
BOUNDS = [*TEXTS, FOUR + "aaa", FOUR[:-1], THREE[:-1] + "a", FOUR + "\ufffd", "\uffff"]
BOUNDS += [
    FOUR + "\ud800",
    FOUR[:-1] + "\ud800a",
    THREE + "\udfff",
    TWO[:499] + "\ud83d",
]
"""Bounds too: some with an unpaired surrogate (a query may hold one, no document)."""
INSIDE = "x-" + "é" * 499  # a leaf path of 1000 bytes: kept
OUTSIDE = "x-" + "é" * 499 + "a"  # 1001 bytes: left out
DEEP = "x-" + "a" * 985  # 987 bytes; "relatedParty[]." makes 1002
TEXT_PATHS = [
    "reason",
    "x-ext",
    INSIDE,
    OUTSIDE,
    DEEP,
    "relatedParty.name",
    f"relatedParty.{DEEP}",
    f"relatedParty.{INSIDE[:-8]}",
    "note.text",
]
PATTERNS = ["aab$", "😀b", "中b", "😁", "^a😀", "éa$", "(?i)NEEDLE", "中中a"]
SORTS = ["reason", "-reason", "x-ext", f"-{INSIDE}", OUTSIDE]


def _encoded(text: str) -> str:
    """Percent-encoded, an unpaired surrogate left as it is (parse_query takes it
    so; its UTF-8 bytes would be refused as invalid)."""
    return "".join(c if "\ud800" <= c <= "\udfff" else quote(c, safe="") for c in text)


def _documents(words: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.sampled_from(words)
    party = st.fixed_dictionaries(
        {}, optional={"name": leaf, DEEP: leaf, INSIDE[:-8]: leaf}
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "reason": leaf,
            "x-ext": leaf,
            INSIDE: leaf,
            OUTSIDE: leaf,
            DEEP: leaf,
            "relatedParty": st.lists(party, max_size=2),
            "note": st.lists(st.fixed_dictionaries({"text": leaf}), max_size=2),
        },
    )


@st.composite
def _condition(draw: st.DrawFn, words: list[str]) -> str:
    path = draw(st.sampled_from(TEXT_PATHS))
    operator = draw(st.sampled_from(["", "gt", "gte", "lt", "lte", "ne", "regex"]))
    if operator == "regex":
        values = [draw(st.sampled_from(PATTERNS))]
    else:
        many = 2 if operator in ("", "ne") else 1
        bounds = st.sampled_from([*words, *words, *BOUNDS])
        values = draw(st.lists(bounds, min_size=1, max_size=many))
    suffix = "." + operator if operator else ""
    return f"{quote(path)}{suffix}=" + ",".join(_encoded(v) for v in values)


@st.composite
def _query(draw: st.DrawFn, words: list[str]) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            alternatives = st.lists(_condition(words), min_size=2, max_size=3)
            parts.append(";".join(draw(alternatives)))
        else:
            parts.append(draw(_condition(words)))
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(SORTS), min_size=1, max_size=2))
        parts.append("sort=" + ",".join(quote(k) for k in dict.fromkeys(keys)))
    if draw(st.booleans()):
        parts.append(f"limit={draw(st.integers(0, 3))}")
    return "&".join(parts)


@st.composite
def _examples(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    words = draw(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=4, unique=True))
    drawn = draw(st.lists(_documents(words), min_size=1, max_size=6))
    found = draw(st.lists(_query(words), min_size=1, max_size=4))
    return [{**d, "id": f"D{n}"} for n, d in enumerate(drawn)], found


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=_examples())
def test_the_sql_stores_agree_where_the_cut_counts_bytes(
    sql_store: PartyInteractionStore,
    example: tuple[list[dict[str, Any]], list[str]],
) -> None:
    docs, query_strings = example
    oracle = MemoryStore()
    for store in (oracle, sql_store):
        store.add_many([dict(d) for d in docs])
    try:
        for query_string in query_strings:
            if len(query_string) > MAX_QUERY_LENGTH:
                continue  # refused before any store sees it
            query = parse_query(query_string)
            wanted, found = oracle.find(query), sql_store.find(query)
            assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items], (
                query_string
            )
            assert found.items == wanted.items, query_string
            assert found.total_count == wanted.total_count, query_string
    finally:
        for d in docs:
            sql_store.delete(d["id"])
