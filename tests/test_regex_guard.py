"""A deadline stops regex work within one search, not between rows or elements.

RE2 is linear, but a pattern that outgrows its automaton (``(?i)a[^c]{100}c``) runs
at 1-2 s per MB of text: a query or a patch that read the clock only between rows
(SQLite's progress handler counts virtual-machine steps, not time spent in the regex
function) or between operations ran minutes past a 5 s deadline. Here the deadline
has passed before the first search, so exactly what the guard does is seen: the
first search stops the work (no timing is asserted).
"""

from __future__ import annotations

import pytest

from tmf683 import (
    MemoryStore,
    PartyInteractionService,
    PatchFormat,
    QueryTimeoutError,
    SQLiteStore,
    parse_query,
)
from tmf683.query.regex import guarded, search
from tmf683.versions.v5service import PartyInteractionServiceV5


def test_a_guard_is_called_before_each_search_inside_its_block_only():
    calls: list[str] = []

    def check() -> None:
        calls.append("check")
        if len(calls) == 3:
            raise QueryTimeoutError(1.0)

    with guarded(check):
        assert search("a", "abc")
        assert not search("z", "abc")
        assert not search("a", 7)  # not a text: no search, no check
        with pytest.raises(QueryTimeoutError):
            search("a", "abc")
    assert search("a", "abc")
    assert calls == ["check"] * 3


def _one_interaction(store) -> PartyInteractionService:
    service = PartyInteractionService(store)
    service.create(
        {
            "channel": [{"id": "1"}],
            "direction": "in",
            "reason": "r",
            "note": [{"id": "1", "text": "abab" * 10}],
        }
    )
    return service


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_list_whose_deadline_passed_stops_at_its_first_regex(tmp_path, kind):
    # one row: SQLite's progress handler alone would let this query finish
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "t.db")
    try:
        _one_interaction(store)
        query = parse_query("note.text.regex=(?i)a[^c]{100}c")
        assert store.find(query).total_count == 0
        store.query_timeout = 1e-9
        with pytest.raises(QueryTimeoutError):
            store.find(query)
        with pytest.raises(QueryTimeoutError):
            list(store.scan(query))
    finally:
        store.close()


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_patch_whose_deadline_passed_stops_at_its_first_regex(tmp_path, version):
    store = SQLiteStore(tmp_path / "t.db")
    try:
        v4 = _one_interaction(store)
        (stored,) = store.find(parse_query("")).items
        service = v4 if version == "v4" else PartyInteractionServiceV5(v4)
        ops = [{"op": "test", "path": "/note?text.regex=x/id", "value": "1"}]
        before = store.get(stored["id"]).version
        store.query_timeout = 1e-9
        with pytest.raises(QueryTimeoutError, match="patch"):
            service.patch(stored["id"], ops, patch_format=PatchFormat.JSON_PATCH_QUERY)
        assert store.get(stored["id"]).version == before
    finally:
        store.close()
