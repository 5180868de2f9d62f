"""The SQL stores write only the index rows an update changes, and end where a
rebuild does.

SQLite's ``write_index`` and PostgreSQL's ``_index.rewrite`` delete the leaf rows a
document no longer holds and insert those it did not hold, and do the same with the
texts (SQLite adds only the texts no former version held). After writes of every
kind (patches of one attribute, array elements added and removed, numbers turning
from integer to float and past 64 bits, long texts alike in their cut, plain arrays
of texts, put_many replacing several, deletes) the leaf and text tables must hold
exactly what a store that wrote the final documents afresh holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tmf683 import PostgresStore, SQLiteStore, ValidationError, parse_query
from tmf683.storage._sql.leaves import LEAF_TABLE, PREFIX
from tmf683.storage._sql.text_index import TEXT_TABLE

LONG = "y" * (PREFIX + 10)

Store = SQLiteStore | PostgresStore
Tables = tuple[list[Any], list[Any]]


def _sqlite_tables(store: SQLiteStore) -> Tables:
    """The leaf rows by id (not seq) and the texts, sorted."""
    conn = store._db().conn
    leaf_rows = conn.execute(
        f"SELECT p.id, l.path, l.value, typeof(l.value) FROM {LEAF_TABLE} AS l "
        "JOIN party_interaction AS p ON p.seq = l.seq ORDER BY 1, 2, 3"
    ).fetchall()
    texts = conn.execute(
        f"SELECT path, text, leaf FROM {TEXT_TABLE} ORDER BY 1, 2"
    ).fetchall()
    return leaf_rows, texts


def _postgres_tables(store: PostgresStore) -> Tables:
    """The leaf and text rows by id (not seq), sorted, duplicates kept."""
    with psycopg.connect(store.conninfo) as conn:
        leaf_rows = conn.execute(
            f"SELECT p.id, l.path, l.text, l.number::text FROM {LEAF_TABLE} AS l "
            "JOIN party_interaction AS p ON p.seq = l.seq ORDER BY 1, 2, 3, 4"
        ).fetchall()
        texts = conn.execute(
            f"SELECT p.id, t.path, t.text FROM {TEXT_TABLE} AS t "
            "JOIN party_interaction AS p ON p.seq = t.seq ORDER BY 1, 2, 3"
        ).fetchall()
    return leaf_rows, texts


@pytest.fixture(params=["sqlite", "postgres"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Store, Store, Callable[[Any], Tables]]]:
    """Two empty stores of one engine (written, fresh) and its tables' reader."""
    opened: list[Store] = []
    reader: Callable[[Any], Tables]
    if request.param == "sqlite":
        opened = [SQLiteStore(tmp_path / "written.db"), SQLiteStore(tmp_path / "f.db")]
        reader = _sqlite_tables
    else:
        databases = request.getfixturevalue("postgres_databases")
        opened = [PostgresStore(databases.create()), PostgresStore(databases.create())]
        reader = _postgres_tables
    yield opened[0], opened[1], reader
    for store in opened:
        store.close()


def _documents() -> list[dict[str, Any]]:
    return [
        {
            "id": f"D{n}",
            "status": "open",
            "reason": LONG + str(n % 2),
            "x-n": 1,
            "x-tags": ["t", "u"],
            "note": [{"text": "alpha", "author": f"a{n}"}, {"text": "beta"}],
        }
        for n in range(6)
    ]


def test_updates_leave_the_index_as_a_rebuild_does(
    stores: tuple[Store, Store, Callable[[Any], Tables]],
) -> None:
    written, fresh, tables = stores
    written.add_many(_documents())
    written.update("D0", lambda d: {**d, "status": "closed"})
    written.update("D1", lambda d: {**d, "note": [*d["note"], {"text": "gamma"}]})
    written.update("D2", lambda d: {**d, "note": d["note"][1:]})  # alpha stays
    written.update("D3", lambda d: {**d, "x-n": 1.0, "x-big": 2**70})
    written.update("D3", lambda d: {**d, "x-big": 2**70 + 1, "x-n": 2.5})
    written.update("D3", lambda d: {**d, "x-n": 0.1, "x-tags": ["u", "v"]})
    written.update("D4", lambda d: {**d, "reason": LONG + "z"})  # same cut
    written.update("D5", lambda d: {k: v for k, v in d.items() if k != "note"})
    written.update("D5", lambda d: d)  # nothing changes
    written.update("D5", lambda d: {**d, "x-flag": True, "x-m": {"k": 1}})
    written.update("D5", lambda d: {**d, "x-flag": 1, "x-m": {"k": True}})
    # texts of two names meeting at one path ("x-a.b"): one goes, the other stays
    written.update("D4", lambda d: {**d, "x-a.b": "same", "x-a": {"b": "same"}})
    written.update("D4", lambda d: {k: v for k, v in d.items() if k != "x-a"})
    written.update("D1", lambda d: {**d, "x-big": 2**70, "status": "held"})
    written.update("D1", lambda d: {**d, "status": "open"})
    written.put_many(
        [
            {**_documents()[0], "status": "held", "note": [{"text": "delta"}]},
            {**_documents()[1], "x-n": 7},
        ],
        replace=True,
    )
    written.delete("D2")
    final = [written.get(f"D{n}") for n in (0, 1, 3, 4, 5)]
    fresh.add_many([doc for doc in final if doc is not None])
    got, want = tables(written), tables(fresh)
    assert got[0] == want[0]
    if isinstance(written, PostgresStore):
        assert got[1] == want[1]
    else:
        # a long text alike in its cut to one still held may stay (candidates only)
        assert set(want[1]) <= set(got[1])
        assert {row for row in got[1] if row[2] is None} == {
            row for row in want[1] if row[2] is None
        }
    assert written.find(parse_query("note.text=alpha")).total_count == 3
    assert written.find(parse_query("status=closed")).total_count == 0
    found = written.find(parse_query("note.text.regex=^(delta|gamma)$"))
    assert sorted(d["id"] for d in found.items) == ["D0"]


def test_postgres_refuses_a_nul_in_a_changed_text_and_changes_nothing(
    postgres_databases: Any,
) -> None:
    """The rows go as JSON: PostgreSQL refuses ``\\u0000`` as it does in ``jsonb``."""
    written = PostgresStore(postgres_databases.create())
    try:
        written.add_many(_documents()[:1])
        before = _postgres_tables(written)
        for change in (
            lambda d: {**d, "status": "a\x00b"},
            lambda d: {**d, "x-tags": ["a\x00b"]},
            lambda d: {**d, "x-\x00": 1},
        ):
            with pytest.raises(ValidationError, match="NUL"):
                written.update("D0", change)
        with pytest.raises(ValidationError, match="NUL"):
            written.add({**_documents()[1], "x-tags": ["a\x00b"]})
        assert _postgres_tables(written) == before
        assert written.get("D0") == _documents()[0]
    finally:
        written.close()
