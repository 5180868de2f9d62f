"""A deep page of the whole collection skips its rows in an index of ``seq`` alone.

SQLite schema 9 adds ``idx_party_interaction_seq``, and the page query selects the
page's ``seq``s first, then reads only the page's documents: an ``OFFSET`` walked
the table's own B-tree before (2-3 documents per 4 kB page; issue 13: 164 ms at
offset 500,000 of 1M interactions). The work is counted in read system calls, one
per page SQLite reads from the file (no memory map): a fresh connection reads each
page it needs once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tmf683 import MemoryStore, SQLiteStore, parse_query
from tmf683.storage.sqlite._schema import SCHEMA_VERSION, SEQ_INDEX

COUNT = 3000
PADDING = "x" * 1000
"""A document of about 1 kB: 3 documents per 4 kB page of the table."""

PAGES = [
    "offset=1500&limit=10",
    "offset=2995&limit=10",
    "offset=0&limit=3",
    "offset=2990",
    "sort=-reason&offset=1000&limit=5",
    "status=open&offset=700&limit=4",
    "reason.gte=r01000&offset=1500&limit=4",
]
"""Pages walked in order (more matches than the store collects first, below)."""


def _documents() -> list[dict[str, Any]]:
    return [
        {
            "id": f"I{n:05d}",
            "reason": f"r{n * 7 % COUNT:05d}",
            "status": "open" if n % 2 else "closed",
            "description": PADDING,
        }
        for n in range(COUNT)
    ]


def _reads(path: Path, query: str) -> int:
    """The read system calls of this process while a fresh store answers ``query``."""
    store = SQLiteStore(path)
    try:
        store.get("I00000")  # the schema and the first pages, read before counting
        before = _read_calls()
        page = store.find(parse_query(query))
        after = _read_calls()
    finally:
        store.close()
    assert len(page.items) == 10
    return after - before


def _read_calls() -> int:
    """``syscr`` of ``/proc/self/io``: the read system calls made so far."""
    lines = Path("/proc/self/io").read_text().splitlines()
    return int(next(line for line in lines if line.startswith("syscr:"))[6:])


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "deep.db"
    store = SQLiteStore(path, selective_matches=100)
    try:
        store.add_many(_documents())
    finally:
        store.close()
    return path


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="Linux counts reads")
def test_a_deep_page_reads_the_seq_index_not_the_table(path: Path) -> None:
    with_index = _reads(path, "offset=1500&limit=10")
    with sqlite3.connect(path) as conn:
        conn.execute(f"DROP INDEX {SEQ_INDEX}")
    without = _reads(path, "offset=1500&limit=10")
    # the walk of 1,500 documents reads ~500 table pages (514 measured); the
    # index holds 3,000 seqs in a few pages, the page's 10 documents sit in 4-5
    # (16 reads measured)
    assert without > 400, without
    assert with_index < 60, (with_index, without)


def test_deep_pages_agree_with_the_oracle(path: Path) -> None:
    oracle = MemoryStore()
    oracle.add_many(_documents())
    store = SQLiteStore(path, selective_matches=100)
    try:
        for query_string in PAGES:
            query = parse_query(query_string)
            wanted, found = oracle.find(query), store.find(query)
            assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items]
            assert found.total_count == wanted.total_count, query_string
            plan = " | ".join(store.explain(query))
            assert "LIST SUBQUERY" in plan, (query_string, plan)  # seqs first
        plan = " | ".join(store.explain(parse_query("offset=1500&limit=10")))
        assert f"SCAN party_interaction USING COVERING INDEX {SEQ_INDEX}" in plan
    finally:
        store.close()


def test_a_version_8_file_gets_the_seq_index(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with sqlite3.connect(path) as conn:  # as version 8 left it
        conn.execute(f"DROP INDEX {SEQ_INDEX}")
        conn.execute("PRAGMA user_version = 8")
    store = SQLiteStore(path)
    try:
        assert f"from version 8 to {SCHEMA_VERSION} in place" in caplog.text
        page = store.find(parse_query("offset=1500&limit=2"))
        assert [d["id"] for d in page.items] == ["I01500", "I01501"]
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        found = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
            [SEQ_INDEX],
        ).fetchall()
    assert found == [(f"CREATE INDEX {SEQ_INDEX} ON party_interaction (seq)",)]
