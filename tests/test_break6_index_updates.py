"""SQLite's index difference after random write sequences agrees with MemoryStore.

Creates, whole replacements, deletes and ``put_many(replace=True)`` of a few
documents whose values change kind (text, number, object, array), hold duplicate
array elements, reorder or drop them, and long texts alike in their first
``PREFIX`` characters whose tails change; then filters (equality, comparisons,
regex, nested array paths) must find the same documents on both stores.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmf683 import MemoryStore, SQLiteStore, parse_query
from tmf683.storage._sql.leaves import PREFIX

HEAD = "h" * PREFIX
scalars = st.sampled_from(
    [
        "a",
        "b",
        "1",
        1,
        1.0,
        2,
        2.5,
        HEAD + "x",
        HEAD + "y",
        HEAD,
        "ab" * 300,
        True,
        None,
    ]
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)
    ),
    max_leaves=6,
)
IDS = ["A", "B", "C"]


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": draw(st.sampled_from(IDS))}
    for key in ("x-a", "x-b"):
        if draw(st.booleans()):
            doc[key] = draw(values)
    if draw(st.booleans()):
        doc["note"] = draw(
            st.lists(st.fixed_dictionaries({}, optional={"text": values}), max_size=4)
        )
    return doc


ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "delete", "put"]),
        documents(),
        st.lists(documents(), max_size=3),
    ),
    min_size=1,
    max_size=12,
)
QUERIES = [
    "x-a=a",
    "x-a=1",
    "x-a=2.5",
    "note.text=b",
    "note.text=1",
    "note.text=a",
    "x-b=a",
    "x-a>1",
    "x-a<=a",
    "x-a>=" + HEAD + "x",
    "x-a.regex=^h+x$",
    "x-a.regex=hy",
    "x-a.regex=^a$",
    "x-b.regex=ba$",
    "note.text.regex=hhx",
    "note.text.regex=^a",
    "note.text>1",
    "x-a=" + HEAD + "y",
    "x-b.regex=^1$",
]


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_filters_agree_after_random_writes(
    tmp_path_factory: pytest.TempPathFactory, sequence: Any
) -> None:
    oracle = MemoryStore()
    store = SQLiteStore(tmp_path_factory.mktemp("b6") / "i.db")
    try:
        for op, doc, many in sequence:
            outcomes: list[str | None] = []
            for target in (oracle, store):
                try:
                    _apply_strict(target, op, doc, many)
                    outcomes.append(None)
                except Exception as exc:
                    outcomes.append(type(exc).__name__)
            assert outcomes[0] == outcomes[1], (op, doc)
        for query in QUERIES:
            parsed = parse_query(query + "&sort=id")
            expected = [d["id"] for d in oracle.find(parsed).items]
            actual = [d["id"] for d in store.find(parsed).items]
            assert actual == expected, query
    finally:
        store.close()


def _apply_strict(
    store: Any, op: str, doc: dict[str, Any], many: list[dict[str, Any]]
) -> None:
    if op == "add":
        store.add(doc)
    elif op == "update":
        store.update(doc["id"], lambda _old: dict(doc))
    elif op == "delete":
        store.delete(doc["id"])
    else:
        store.put_many(many, replace=True)
