"""SQLite writes only the index rows an update changes, and ends where a rebuild does.

``write_index`` deletes the leaf rows a document no longer holds and inserts those
it did not hold, and adds only the texts no former version held. After writes of
every kind (patches of one attribute, array elements added and removed, numbers
turning from integer to float and past 64 bits, long texts alike in their cut,
put_many replacing several, deletes) the leaf and text tables must hold exactly
what a store that wrote the final documents afresh holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tmf683 import SQLiteStore, parse_query
from tmf683.storage._sql.leaves import LEAF_TABLE, PREFIX
from tmf683.storage._sql.text_index import TEXT_TABLE

LONG = "y" * (PREFIX + 10)


def _tables(store: SQLiteStore) -> tuple[list[Any], list[Any]]:
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


def _documents() -> list[dict[str, Any]]:
    return [
        {
            "id": f"D{n}",
            "status": "open",
            "reason": LONG + str(n % 2),
            "x-n": 1,
            "note": [{"text": "alpha", "author": f"a{n}"}, {"text": "beta"}],
        }
        for n in range(6)
    ]


def test_updates_leave_the_index_as_a_rebuild_does(tmp_path: Path) -> None:
    written = SQLiteStore(tmp_path / "written.db")
    fresh = SQLiteStore(tmp_path / "fresh.db")
    try:
        written.add_many(_documents())
        written.update("D0", lambda d: {**d, "status": "closed"})
        written.update("D1", lambda d: {**d, "note": [*d["note"], {"text": "gamma"}]})
        written.update("D2", lambda d: {**d, "note": d["note"][1:]})  # alpha stays
        written.update("D3", lambda d: {**d, "x-n": 1.0, "x-big": 2**70})
        written.update("D3", lambda d: {**d, "x-big": 2**70 + 1, "x-n": 2.5})
        written.update("D4", lambda d: {**d, "reason": LONG + "z"})  # same cut
        written.update("D5", lambda d: {k: v for k, v in d.items() if k != "note"})
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
        got, want = _tables(written), _tables(fresh)
        assert got[0] == want[0]
        # a long text alike in its cut to one still held may stay (candidates only)
        assert set(want[1]) <= set(got[1])
        assert {row for row in got[1] if row[2] is None} == {
            row for row in want[1] if row[2] is None
        }
        assert written.find(parse_query("note.text=alpha")).total_count == 3
        assert written.find(parse_query("status=closed")).total_count == 0
        found = written.find(parse_query("note.text.regex=^(delta|gamma)$"))
        assert sorted(d["id"] for d in found.items) == ["D0"]
    finally:
        written.close()
        fresh.close()
