"""Leaves too big for a B-tree entry: every valid document is stored, and found.

PostgreSQL refuses an index entry past ~2.7 kB. The leaf index keeps a text's cut
by characters and by UTF-8 bytes (:func:`tmf683.storage._sql.leaves.cut`) and
leaves out the paths longer than :data:`~tmf683.storage._sql.leaves.PATH_BYTES`
(the compiler then tests the documents), on both stores alike.
"""

from __future__ import annotations

import random
import sqlite3
import string
from pathlib import Path
from typing import Any

import psycopg
from hypothesis import given
from hypothesis import strategies as st

from tmf683 import MemoryStore, PostgresStore, SQLiteStore, parse_query
from tmf683.storage._sql.leaves import (
    CUT_BYTES,
    PATH_BYTES,
    PREFIX,
    compares_whole,
    cut,
    indexed,
    leaf_texts,
    leaves,
)
from tmf683.storage._sql.text_index import TEXT_TABLE
from tmf683.storage.base import PartyInteractionStore
from tmf683.storage.postgres._schema import SCHEMA_VERSION as POSTGRES_VERSION
from tmf683.storage.sqlite._schema import SCHEMA_VERSION as SQLITE_VERSION

_RANDOM = random.Random(683)  # noqa: S311 - fixed test data
EMOJI = "".join(chr(_RANDOM.randrange(0x1F300, 0x1FAFF)) for _ in range(250)) + "".join(
    chr(_RANDOM.randrange(0x20000, 0x2A6DF)) for _ in range(250)
)
"""500 varied 4-byte characters: 2000 bytes that do not compress."""
LONG_NAME = "x-" + "".join(_RANDOM.choice(string.ascii_lowercase) for _ in range(1200))
"""An extension name longer than the leaf index keeps a path (nor compresses)."""
NEAR_NAME = "x-" + "".join(_RANDOM.choice(string.ascii_lowercase) for _ in range(800))
"""An extension name the leaf index still keeps (802 bytes)."""
WIDE = 5e-324
"""The valid number of the widest ``numeric``: 751 digits, down to 1e-1074."""


def _documents() -> list[dict[str, Any]]:
    return [
        {"id": "L1", LONG_NAME: EMOJI, "reason": EMOJI},
        {"id": "L2", LONG_NAME: "short", "reason": EMOJI[:-1] + "a"},
        {"id": "L3", LONG_NAME: EMOJI[:300], "reason": "é" * 499 + EMOJI},
        {"id": "L4", "relatedParty": [{LONG_NAME: "deep", "id": "P1"}]},
        {"id": "L5", LONG_NAME: WIDE, "relatedParty": [{LONG_NAME: "other"}]},
        {"id": "L6", NEAR_NAME: EMOJI, "relatedParty": [{NEAR_NAME: WIDE}]},
        {"id": "L7", NEAR_NAME: WIDE, "reason": "plain", "x-n": 2**63 - 1},
        {"id": "L8", LONG_NAME: -1.7976931348623157e308, NEAR_NAME: "é" * 600},
    ]


QUERIES = [
    f"{LONG_NAME}=short",
    f"{LONG_NAME}={EMOJI}",
    f"{LONG_NAME}.ne=short",
    f"{LONG_NAME}.gte={EMOJI[:300]}",
    f"{LONG_NAME}.lt={EMOJI}",
    f"{LONG_NAME}.gt=a&{LONG_NAME}.lt={EMOJI[:301]}",
    f"{LONG_NAME}.regex=sho",
    f"{LONG_NAME}={WIDE}",
    f"{LONG_NAME}.gte=0",
    f"{LONG_NAME}=short;reason=plain",
    f"{NEAR_NAME}={EMOJI}",
    f"{NEAR_NAME}.gte={EMOJI[:100]}",
    f"{NEAR_NAME}.gt=0",
    f"{NEAR_NAME}.gt={'é' * 499}",
    f"{LONG_NAME}.lt=0",
    f"reason={EMOJI}",
    f"reason.gte={EMOJI[:-1]}",
    f"reason.lt={EMOJI}",
    f"reason.ne={EMOJI}",
    f"reason={'é' * 499 + EMOJI}",
    f"reason.gt={'é' * 499}",
    f"relatedParty.{LONG_NAME}=deep",
    f"relatedParty.{LONG_NAME}.regex=the",
    f"relatedParty.{LONG_NAME}=other&relatedParty.id=P1",
    f"relatedParty.{NEAR_NAME}.gt=0",
]


def _write(store: PartyInteractionStore) -> None:
    """Every write path: add, add_many, update, put_many (new and replaced)."""
    first, *others = _documents()
    store.add(first)
    store.add_many(others[:2])
    store.put_many(others[2:])
    store.update("L2", lambda d: {**d, "x-rev": EMOJI})
    store.put_many([{**first, "x-put": EMOJI}], replace=True)


def test_a_document_with_leaves_past_an_index_entry_is_stored_and_found(
    sql_store: PartyInteractionStore,
) -> None:
    oracle = MemoryStore()
    for store in (oracle, sql_store):
        _write(store)
    for text in [*QUERIES, f"x-rev={EMOJI}", f"x-put={EMOJI}"]:
        query = parse_query(text)
        wanted, found = oracle.find(query), sql_store.find(query)
        assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items], text
        assert found.total_count == wanted.total_count, text
    assert oracle.find(parse_query(f"{LONG_NAME}=short")).total_count == 1
    assert oracle.find(parse_query(f"reason={EMOJI}")).total_count == 1
    assert dict(sql_store.get("L1")) == {**_documents()[0], "x-put": EMOJI}


def test_the_leaf_rows_leave_out_long_paths_and_cut_by_bytes() -> None:
    document = {"id": "A", LONG_NAME: "x", "o": [{LONG_NAME: 1}], "e": EMOJI}
    assert leaves(document) == {("id", "A"), ("e", cut(EMOJI))}
    assert leaf_texts(document) == {("id", "A"), ("e", EMOJI)}
    assert len(cut(EMOJI).encode()) == CUT_BYTES
    assert cut("a" * 1000) == "a" * PREFIX
    assert cut("a" + EMOJI) == "a" + EMOJI[: (CUT_BYTES - 1) // 4 + 1]
    assert not indexed("x" * (PATH_BYTES + 1))
    assert indexed("é" * (PATH_BYTES // 2))
    assert not indexed("é" * (PATH_BYTES // 2 + 1))


_CHARS = st.sampled_from(["a", "b", "é", "ø", "中", "😀", "😁", "\ud800"])
_RUNS = st.lists(st.tuples(_CHARS, st.integers(1, 260)), max_size=5)
"""Runs of one character: lengths near both limits come often."""


@st.composite
def _texts(draw: st.DrawFn) -> str:
    return "".join(char * count for char, count in draw(_RUNS))


@st.composite
def _pair(draw: st.DrawFn) -> tuple[str, str]:
    """Two texts sharing a prefix (often past a limit), then different."""
    prefix = draw(_texts())
    return prefix + draw(_texts()), prefix + draw(_texts())


_TEXTS = _texts()


@given(_pair())
def test_the_cut_keeps_the_order(pair: tuple[str, str]) -> None:
    a, b = sorted(pair)
    assert cut(a) <= cut(b)
    assert len(cut(a).encode("utf-8", "surrogatepass")) <= CUT_BYTES + 3
    assert cut(cut(a)) == cut(a)


@given(_pair())
def test_a_bound_shorter_than_the_cut_compares_exactly(pair: tuple[str, str]) -> None:
    text, bound = pair
    if not compares_whole(bound):
        assert len(bound) >= PREFIX or len(bound.encode("utf-8", "surrogatepass")) >= (
            CUT_BYTES
        )
        return
    assert (text < bound) == (cut(text) < bound)
    assert (text == bound) == (cut(text) == bound)


UPGRADED: list[dict[str, Any]] = [
    {"id": "U1", LONG_NAME: "short", "reason": EMOJI, "x-n": 1},
    {"id": "U2", "reason": "plain", "note": [{"text": "中" * 600}]},
]
"""Documents a former schema could hold, whose leaf rows the new rule changes."""
OLD_ROWS = {
    ("U1", "id", "U1"),
    ("U1", LONG_NAME, "short"),  # a path now left out
    ("U1", "reason", EMOJI),  # 500 characters: cut by the old rule only
    ("U2", "id", "U2"),
    ("U2", "reason", "plain"),
    ("U2", "note[].text", "中" * 500),  # 1500 bytes: the same cut both ways
}
"""The leaf rows of :data:`UPGRADED` as the former rule made them (no numbers)."""


def _new_rows() -> set[tuple[Any, ...]]:
    return {
        (document["id"], path, value)
        for document in UPGRADED
        for path, value in leaves(document)
        if isinstance(value, str)
    }


def test_a_version_7_sqlite_file_gets_its_leaves_cut_again(tmp_path: Path) -> None:
    path = tmp_path / "v7.db"
    SQLiteStore(path).add_many(UPGRADED)
    with sqlite3.connect(path) as conn:  # as version 7 left it
        conn.execute("DELETE FROM party_interaction_leaf WHERE typeof(value) = 'text'")
        conn.executemany(
            "INSERT INTO party_interaction_leaf (path, value, seq) SELECT ?, ?, seq "
            "FROM party_interaction WHERE id = ?",
            [(leaf, value, id) for id, leaf, value in OLD_ROWS],
        )
        conn.execute(
            f"INSERT INTO {TEXT_TABLE} (path, text, leaf) VALUES (?, 'short', NULL)",
            [LONG_NAME],
        )
        conn.execute(f"UPDATE {TEXT_TABLE} SET leaf = NULL WHERE path = 'reason'")
        conn.execute("PRAGMA user_version = 7")
    store = SQLiteStore(path)
    try:
        _agree(store, UPGRADED, [f"reason={EMOJI}", f"{LONG_NAME}=short"])
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SQLITE_VERSION,)
        rows = conn.execute(
            "SELECT d.id, l.path, l.value FROM party_interaction_leaf AS l JOIN "
            "party_interaction AS d USING (seq) WHERE typeof(l.value) = 'text'"
        ).fetchall()
        texts = conn.execute(f"SELECT path, text, leaf FROM {TEXT_TABLE}").fetchall()
    assert set(rows) == _new_rows()
    assert len(rows) == len(_new_rows())
    assert set(texts) == {
        ("id", "U1", None),
        ("id", "U2", None),
        ("reason", "plain", None),
        ("reason", EMOJI, cut(EMOJI)),
        ("note[].text", "中" * 600, "中" * 500),
    }


def test_a_version_6_postgres_database_gets_its_leaves_cut_again(
    postgres_databases: Any,
) -> None:
    url = postgres_databases.create()
    PostgresStore(url).add_many(UPGRADED)
    with psycopg.connect(url) as conn:  # as version 6 left it
        conn.execute("DELETE FROM party_interaction_leaf WHERE text IS NOT NULL")
        conn.cursor().executemany(
            "INSERT INTO party_interaction_leaf (seq, path, text) SELECT seq, %s, %s "
            "FROM party_interaction WHERE id = %s",
            [(leaf, value, id) for id, leaf, value in OLD_ROWS],
        )
        conn.execute("UPDATE tmf683_schema SET version = 6")
    store = PostgresStore(url)
    try:
        _agree(store, UPGRADED, [f"reason={EMOJI}", f"{LONG_NAME}=short"])
    finally:
        store.close()
    with psycopg.connect(url) as conn:
        versions = conn.execute("SELECT version FROM tmf683_schema").fetchall()
        rows = conn.execute(
            "SELECT d.id, l.path, l.text FROM party_interaction_leaf AS l JOIN "
            "party_interaction AS d USING (seq) WHERE l.text IS NOT NULL"
        ).fetchall()
    assert versions == [(POSTGRES_VERSION,)]
    assert set(rows) == _new_rows()
    assert len(rows) == len(_new_rows())


def _agree(
    store: PartyInteractionStore, documents: list[dict[str, Any]], queries: list[str]
) -> None:
    oracle = MemoryStore()
    oracle.add_many(documents)
    for text in queries:
        query = parse_query(text)
        wanted, found = oracle.find(query), store.find(query)
        assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items], text
        assert found.total_count == wanted.total_count == 1, text
