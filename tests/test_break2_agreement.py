"""Hypothesis: the SQL stores agree with the oracle at the leaf index's edges.

Documents hold texts of 499 to 506 characters sharing their first 499 (so
several share the 500 the leaf index keeps), numbers where floats and exact
integers part (2**53 + 1, -0.0, 1e308, 5e-324), the same value as a text and as a
number, and arrays of non-objects and of arrays; queries compare them with every
operator, ORs by comma and ``;``, regexes whose literal lies past character 500,
sorts, pages and ``fields=``. Each example writes its documents in one of four
ways (add_many; put_many replacing placeholders; update from other content;
delete and re-add) on SQLite and PostgreSQL, selective and dense.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmf683 import MemoryStore, parse_query
from tmf683.storage.base import PartyInteractionStore

RUN = "a" * 499
TEXTS = [RUN, RUN + "a", RUN + "aa", RUN + "ab", RUN + "b", RUN + "aneedle"]
TEXTS += ["needle", "1"]
NUMBERS: list[int | float] = [0, -0.0, 1, 2**53, 2**53 + 1, 2.0**53, 1e308, 5e-324]
TEXT_PATHS = ["reason", "x-ext", "relatedParty.name", "note.text"]
NUMBER_PATHS = ["attachment.size.amount", "interactionItem.attachment.size.amount"]
PATTERNS = ["needle", "(?i)NEEDLE", "^a+b$", "ab$", "aab|needle", r"\Qaab\E", "^1$"]
SORTS = ["reason", "-reason", "x-ext", "-x-ext"]

Vocabulary = tuple[list[str], list[int | float]]
"""The few texts and numbers one example draws its documents and queries from."""


def _leaf(words: Vocabulary) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(words[0]), st.sampled_from(words[1]))


def _party(words: Vocabulary) -> st.SearchStrategy[dict[str, Any]]:
    leaf = _leaf(words)
    return st.fixed_dictionaries({}, optional={"name": leaf, "role": leaf})


def _amounts(words: Vocabulary) -> st.SearchStrategy[list[dict[str, Any]]]:
    size = st.fixed_dictionaries({}, optional={"amount": _leaf(words)})
    return st.lists(st.fixed_dictionaries({}, optional={"size": size}), max_size=2)


def documents(words: Vocabulary) -> st.SearchStrategy[dict[str, Any]]:
    leaf, party = _leaf(words), _party(words)
    note = st.fixed_dictionaries({}, optional={"text": leaf, "author": leaf})
    item = st.fixed_dictionaries(
        {},
        optional={
            "relatedParty": st.lists(party, max_size=2),
            "attachment": _amounts(words),
        },
    )
    odd = st.sampled_from(["P1", [{"name": words[0][0]}]])  # not objects
    return st.fixed_dictionaries(
        {},
        optional={
            "reason": leaf,
            "x-ext": leaf,
            "relatedParty": st.lists(st.one_of(party, odd), max_size=3),
            "note": st.lists(note, max_size=2),
            "attachment": _amounts(words),
            "interactionItem": st.lists(item, max_size=2),
        },
    )


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


@st.composite
def conditions(draw: st.DrawFn, words: Vocabulary) -> str:
    if draw(st.booleans()):
        path = draw(st.sampled_from(TEXT_PATHS))
        operator = draw(st.sampled_from(["", "gt", "gte", "lt", "lte", "ne", "regex"]))
        if operator == "regex":
            values = [draw(st.sampled_from(PATTERNS))]
        else:
            many = 3 if operator in ("", "ne") else 1
            texts = st.sampled_from([*words[0], *words[0], *TEXTS])
            values = draw(st.lists(texts, min_size=1, max_size=many))
    else:
        path = draw(st.sampled_from(NUMBER_PATHS))
        operator = draw(st.sampled_from(["", "gt", "gte", "lt", "lte", "ne"]))
        many = 3 if operator in ("", "ne") else 1
        numbers = st.sampled_from([*words[1], *words[1], *NUMBERS])
        values = [
            _number(v) for v in draw(st.lists(numbers, min_size=1, max_size=many))
        ]
    suffix = "." + operator if operator else ""
    return f"{path}{suffix}=" + ",".join(quote(v, safe="") for v in values)


@st.composite
def queries(draw: st.DrawFn, words: Vocabulary) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 3)) == 0:
            alternatives = st.lists(conditions(words), min_size=2, max_size=3)
            parts.append(";".join(draw(alternatives)))
        else:
            parts.append(draw(conditions(words)))
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(SORTS), min_size=1, max_size=2))
        parts.append("sort=" + ",".join(dict.fromkeys(keys)))
    if draw(st.booleans()):
        parts.append(f"offset={draw(st.integers(0, 3))}")
    if draw(st.booleans()):
        parts.append(f"limit={draw(st.integers(0, 4))}")
    if draw(st.integers(0, 4)) == 0:
        parts.append("fields=reason,x-ext")
    return "&".join(parts)


@st.composite
def examples(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str], int]:
    """Documents, query strings and a way to write them, over a few words."""
    texts = draw(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3, unique=True))
    numbers = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3))
    words = (texts, numbers)
    drawn = draw(st.lists(documents(words), min_size=1, max_size=8))
    found = draw(st.lists(queries(words), min_size=1, max_size=5))
    return (
        [{**d, "id": f"D{n}"} for n, d in enumerate(drawn)],
        found,
        draw(st.integers(0, 3)),
    )


def _becomes(document: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    return lambda _old: dict(document)


def _write(store: PartyInteractionStore, docs: list[dict[str, Any]], way: int) -> None:
    if way == 0:
        store.add_many([dict(d) for d in docs])
    elif way == 1:
        store.add_many([{"id": d["id"], "reason": "placeholder"} for d in docs])
        store.put_many([dict(d) for d in docs], replace=True)
    elif way == 2:
        store.add_many([{**d, "reason": "zzz", "x-gone": "g"} for d in docs])
        for d in docs:
            store.update(d["id"], _becomes(d))
    else:
        store.add_many([dict(d) for d in docs])
        store.delete(docs[0]["id"])
        store.add(dict(docs[0]))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=examples())
def test_the_sql_stores_agree_at_the_leaf_index_edges(
    sql_store: PartyInteractionStore,
    example: tuple[list[dict[str, Any]], list[str], int],
) -> None:
    docs, query_strings, way = example
    oracle = MemoryStore()
    for store in (oracle, sql_store):
        _write(store, docs, way)
    try:
        for query_string in [*query_strings, "x-gone=g", "reason=zzz"]:
            query = parse_query(query_string)
            wanted, found = oracle.find(query), sql_store.find(query)
            assert found.items == wanted.items, query_string
            assert found.total_count == wanted.total_count, query_string
    finally:
        for d in docs:
            sql_store.delete(d["id"])
