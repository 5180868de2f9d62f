"""The committed older schemas, holding documents the byte cut changes, upgraded.

Documents with texts past 1500 UTF-8 bytes in fewer than 500 characters, texts
the two cuts cut alike, and extension names making leaf paths either side of
1000 bytes, written into ``sqlite-v4.db`` and ``postgres-v3.sql`` as those
releases stored them (the document tables only: those releases had no leaf
index), then opened by today's stores: their queries must answer as the
in-memory oracle does.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.schema_fixtures.make_fixtures import POSTGRES_FILE, SQLITE_FILE, expected
from tmf683 import MemoryStore, PostgresStore, SQLiteStore, parse_query
from tmf683.storage.base import PartyInteractionStore

FOUR = "😀" * 374
INSIDE = "x-" + "é" * 499  # a leaf path of 1000 bytes
OUTSIDE = INSIDE + "a"  # 1001 bytes
LONG: list[dict[str, Any]] = [
    {"id": "B1", "reason": FOUR + "ab", INSIDE: FOUR + "😀a", OUTSIDE: "o"},
    {"id": "B2", "reason": FOUR + "😀b", INSIDE: FOUR + "😀b", OUTSIDE: "p"},
    {"id": "B3", "reason": "中" * 600, "note": [{"text": FOUR + "aaaab"}]},
    {"id": "B4", "reason": "中" * 500 + "a", "note": [{"text": FOUR + "aaaa"}]},
]
QUERIES = [
    f"reason={FOUR}ab",
    f"reason.gt={FOUR}a",
    f"reason.gte={FOUR}😀",
    f"reason.lt={FOUR}😀c",
    f"reason={'中' * 600}",
    f"reason.lt={'中' * 500}b",
    f"reason.ne={FOUR}ab",
    "reason.regex=😀b",
    f"{INSIDE}={FOUR}😀a",
    f"{INSIDE}.gt={FOUR}😀",
    f"{OUTSIDE}=o",
    f"{OUTSIDE}.gte=p",
    f"note.text={FOUR}aaaab",
    f"note.text.lte={FOUR}aaaa",
    "note.text.regex=aaab",
]


def _agree(store: PartyInteractionStore) -> None:
    oracle = MemoryStore()
    oracle.add_many([*(d for d, _ in expected().values()), *LONG])
    for text in QUERIES:
        query = parse_query(text)
        wanted, found = oracle.find(query), store.find(query)
        assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items], text
        assert found.total_count == wanted.total_count, text
    assert oracle.find(parse_query(f"reason={FOUR}ab")).total_count == 1


def test_a_schema_4_sqlite_file_with_long_texts_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(SQLITE_FILE, path)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO party_interaction (id, document) VALUES (?, ?)",
            [(d["id"], json.dumps(d, ensure_ascii=False)) for d in LONG],
        )
    store = SQLiteStore(path)
    try:
        _agree(store)
    finally:
        store.close()


def test_a_schema_3_postgres_dump_with_long_texts_is_upgraded(
    postgres_databases: Any,
) -> None:
    if shutil.which("psql") is None:
        pytest.skip("psql is needed to restore the dump")
    url = postgres_databases.create()
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(POSTGRES_FILE), url],
        check=True,
        capture_output=True,
    )
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "INSERT INTO party_interaction (id, document) VALUES (%s, %s)",
            [(d["id"], Jsonb(d)) for d in LONG],
        )
    store = PostgresStore(url)
    try:
        _agree(store)
    finally:
        store.close()
