"""SQLite's new texts wait for the FTS5 index and go in by batches (schema 10).

A ``regex`` must find a document whether its texts are still waiting or in the
index, and the FTS5 index must stay whole through writes, deletes of waiting and
indexed texts, and flushes (FTS5's own ``integrity-check``, which compares the
index with the text table).
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmf683 import MemoryStore, SQLiteStore, parse_query
from tmf683.storage._sql.text_index import TEXT_TABLE, TRIGRAM_TABLE
from tmf683.storage.sqlite import _index
from tmf683.storage.sqlite._schema import TEXTS_WAITING


def _note(id: str, text: str, reason: str = "r") -> dict[str, Any]:
    return {
        "id": id,
        "channel": [{"id": "1"}],
        "direction": "in",
        "reason": reason,
        "note": [{"text": text}],
    }


def _renoted(document: dict[str, Any], text: str) -> dict[str, Any]:
    return {**document, "note": [{"text": text}]}


def _waiting(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute(
            f"SELECT count(*) FROM {TEXT_TABLE} WHERE indexed = 0"
        ).fetchone()
    return int(count)


def _in_index(conn: sqlite3.Connection) -> None:
    """Every text of 3 or more characters is found in the index by its own text."""
    for id, text in conn.execute(f"SELECT id, text FROM {TEXT_TABLE}").fetchall():
        if len(text) < 3:
            continue
        phrase = '"' + text.replace('"', '""') + '"'
        found = conn.execute(
            f"SELECT rowid FROM {TRIGRAM_TABLE} WHERE {TRIGRAM_TABLE} MATCH ?",
            [phrase],
        ).fetchall()
        assert (id,) in found, text


def _flush_and_check(path: Path) -> None:
    """Flush what waits, then check the index: FTS5's integrity-check (raises on an
    index that a ``delete`` of a row it never held corrupted) and every text in it."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("BEGIN IMMEDIATE")
        _index.flush_texts(conn)
        conn.execute("COMMIT")
        conn.execute(
            f"INSERT INTO {TRIGRAM_TABLE} ({TRIGRAM_TABLE}) VALUES ('integrity-check')"
        )
        _in_index(conn)


def _ids(store: SQLiteStore, query: str) -> list[str]:
    return [document["id"] for document in store.find(parse_query(query)).items]


def test_waiting_texts_are_found_and_a_batch_goes_into_the_index(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.db"
    store = SQLiteStore(path)
    try:
        store.add(_note("a", "first Needle"))
        assert _waiting(path) > 0  # not in the index yet
        assert _ids(store, "note.text.regex=Needle") == ["a"]
        assert _ids(store, "note.text.regex=(?i)nEEDLE") == ["a"]
        assert _ids(store, "note.text.regex=Haystack") == []
        for n in range(_index.TRIGRAM_BATCH):  # one new text (the id) at least each
            store.add(_note(f"b{n:03d}", f"hay {n}"))
        # the write that brought the batch's last text flushed them all
        assert _waiting(path) < _index.TRIGRAM_BATCH
        assert _ids(store, "note.text.regex=Needle") == ["a"]
        assert _ids(store, "note.text.regex=hay 25.$") == [
            f"b{n:03d}" for n in range(250, 256)
        ]
        explained = " | ".join(store.explain(parse_query("note.text.regex=Needle")))
        assert f"{TRIGRAM_TABLE} VIRTUAL TABLE" in explained
        # the index's texts by their id, the waiting ones by their own index: not
        # every text at the path (the 20k-interaction case: 50-200 ms -> 1 ms)
        assert f"SEARCH {TEXT_TABLE} USING INTEGER PRIMARY KEY" in explained
        assert f"USING INDEX {TEXTS_WAITING}" in explained
        assert f"{TEXT_TABLE} USING INDEX sqlite_autoindex" not in explained
    finally:
        store.close()
    _flush_and_check(path)


def test_texts_leave_the_index_whether_waiting_or_indexed(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = SQLiteStore(path)
    try:
        store.add_many([_note("a", "indexed text"), _note("b", "other text")])
        _flush_and_check(path)  # a's and b's texts in the index
        store.add(_note("c", "waiting text"))
        store.update("a", lambda d: {**d, "note": [{"text": "changed text"}]})
        store.delete("c")  # its texts never reached the index
        store.delete("b")  # its texts did
        assert _ids(store, "note.text.regex=text$") == ["a"]
        assert _ids(store, "note.text.regex=indexed|waiting|other") == []
        assert _ids(store, "note.text.regex=changed") == ["a"]
    finally:
        store.close()
    _flush_and_check(path)
    reopened = SQLiteStore(path)
    try:
        assert _ids(reopened, "note.text.regex=changed") == ["a"]
        assert _waiting(path) == 0
    finally:
        reopened.close()


def test_a_text_written_as_an_earlier_version_did_goes_into_the_index_at_once(
    tmp_path: Path,
) -> None:
    """A schema-9 server still running inserts texts without ``indexed``."""
    path = tmp_path / "t.db"
    store = SQLiteStore(path)
    try:
        store.add(_note("a", "plain"))
        _flush_and_check(path)
        with sqlite3.connect(path) as conn:  # what a schema-9 write of a note adds
            conn.execute(
                f"INSERT INTO {TEXT_TABLE} (path, text, leaf) "
                "VALUES ('note[].text', 'old server text', NULL)"
            )
        assert _waiting(path) == 0  # in the index, not waiting
        with sqlite3.connect(path, isolation_level=None) as conn:
            _in_index(conn)
            conn.execute(f"DELETE FROM {TEXT_TABLE} WHERE text = 'old server text'")
    finally:
        store.close()
    _flush_and_check(path)


def _fts_holds(path: Path, text: str) -> bool:
    with sqlite3.connect(path) as conn:
        phrase = '"' + text.replace('"', '""') + '"'
        found = conn.execute(
            f"SELECT t.text FROM {TRIGRAM_TABLE} JOIN {TEXT_TABLE} AS t "
            f"ON t.id = {TRIGRAM_TABLE}.rowid WHERE {TRIGRAM_TABLE} MATCH ?",
            [phrase],
        ).fetchall()
    return (text,) in found


LONG = "long text " * 60  # past the 500 characters the leaf index keeps


def test_a_waiting_text_is_not_in_the_index_until_its_batch(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = SQLiteStore(path)
    try:
        store.add(_note("a", LONG + "waiting"))
        assert not _fts_holds(path, LONG + "waiting")
        # a long text finds its document through its cut while it waits
        assert _ids(store, "note.text.regex=text waiting$") == ["a"]
        for n in range(_index.TRIGRAM_BATCH):
            store.add(_note(f"b{n:03d}", f"hay {n}"))
        assert _fts_holds(path, LONG + "waiting")
        assert _ids(store, "note.text.regex=text waiting$") == ["a"]
    finally:
        store.close()


def test_writes_that_also_remove_texts_still_flush(tmp_path: Path) -> None:
    """Each update brings a new text and takes an indexed one away."""
    path = tmp_path / "t.db"
    store = SQLiteStore(path)
    try:
        store.add_many([_note(f"d{n:03d}", f"first {n}") for n in range(300)])
        _flush_and_check(path)
        for n in range(300):
            store.update(f"d{n:03d}", functools.partial(_renoted, text=f"then {n}"))
            assert _waiting(path) < _index.TRIGRAM_BATCH
        assert _ids(store, "note.text.regex=^then 29.$") == [
            f"d{n:03d}" for n in range(290, 300)
        ]
        assert _ids(store, "note.text.regex=first") == []
    finally:
        store.close()
    _flush_and_check(path)


_WORDS = st.sampled_from(
    ["needle", "Needle", "hay", "stack", "needles", "hayfork", "ſtack", "日本語", LONG]
)
_TEXTS = st.lists(_WORDS, min_size=1, max_size=3).map(" ".join)
_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete", "replace", "add_many"]),
        st.integers(0, 5),
        _TEXTS,
        _TEXTS,
    ),
    min_size=1,
    max_size=20,
)
_QUERIES = [
    "note.text.regex=needle",
    "note.text.regex=(?i)NEEDLE",
    "note.text.regex=^hay",
    "note.text.regex=stack$",
    "note.text.regex=hayf.rk|needles",
    "note.text.regex=(?i)stack",
    "note.text.regex=本語",
    "note.text.regex=text needle",
    "reason.regex=needle",
]


def _step(
    target: Any, action: str, id: str, held: set[str], text: str, reason: str
) -> None:
    """One write of the Hypothesis test on ``target`` (the oracle or SQLite)."""
    if action == "delete" and id in held:
        target.delete(id)
    elif action == "put" and id in held:
        target.update(id, functools.partial(_renoted, text=text))
    elif action == "put":
        target.add(_note(id, text, reason))
    elif action == "replace":  # as an import does, several documents at once
        target.put_many(
            [_note(id, text, reason), _note(id + "x", reason, text)], replace=True
        )
    elif action == "add_many" and id not in held and id + "y" not in held:
        target.add_many([_note(id, text, text), _note(id + "y", text, reason)])


@settings(max_examples=60, deadline=None)
@given(steps=_STEPS, batch=st.integers(1, 4))
def test_regex_agrees_with_the_oracle_through_batches(
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[str, int, str, str]],
    batch: int,
) -> None:
    """Texts shared by documents and paths, long ones, several documents a write."""
    path = tmp_path_factory.mktemp("batches") / "t.db"
    oracle = MemoryStore()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_index, "TRIGRAM_BATCH", batch)
        store = SQLiteStore(path)
        try:
            for action, number, text, reason in steps:
                held = {d["id"] for d in oracle.find(parse_query("limit=100")).items}
                for target in (oracle, store):
                    _step(target, action, f"d{number}", held, text, reason)
                for query in _QUERIES:
                    parsed = parse_query(query)
                    assert store.find(parsed) == oracle.find(parsed), query
        finally:
            store.close()
    _flush_and_check(path)
