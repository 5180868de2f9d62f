"""The SQLite store computes an update's change before its write lock.

The lock then covers the SQL and the commit only; under it the row is read again,
and the change computed ahead stands only for the same document at the same version.
These tests make a write come between the two (from inside the first run of the
change, which runs outside the lock) and check that nothing of it is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tmf683 import NotFoundError, PreconditionFailedError, SQLiteStore

DOCUMENT: dict[str, Any] = {"id": "A", "reason": "r", "status": "open"}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = SQLiteStore(tmp_path / "w.db")
    opened.add(dict(DOCUMENT))
    yield opened
    opened.close()


@pytest.fixture
def other(store: SQLiteStore) -> Any:
    """Another writer on the same file (as another process would be): had the change
    run under the first one's lock, its write would wait and fail ("database is
    locked") instead of coming between."""
    opened = SQLiteStore(store.path)
    yield opened
    opened.close()


def test_the_change_computed_ahead_is_written_when_nothing_came_between(
    store: SQLiteStore,
) -> None:
    seen: list[dict[str, Any]] = []

    def change(current: dict[str, Any]) -> dict[str, Any]:
        seen.append(dict(current))
        return {**current, "reason": "changed"}

    updated = store.update("A", change)
    assert seen == [DOCUMENT]  # computed once, ahead, and kept
    assert (dict(updated), updated.version) == ({**DOCUMENT, "reason": "changed"}, 2)
    assert store.get("A") == {**DOCUMENT, "reason": "changed"}


def test_a_write_between_the_change_and_the_lock_is_kept(
    store: SQLiteStore, other: SQLiteStore
) -> None:
    seen: list[str] = []

    def change(current: dict[str, Any]) -> dict[str, Any]:
        seen.append(current["status"])
        if len(seen) == 1:  # outside the lock: another write commits now
            other.update("A", lambda d: {**d, "status": "held"})
        return {**current, "reason": f"after {current['status']}"}

    updated = store.update("A", change)
    assert seen == ["open", "held"]  # computed again on the newer document
    assert updated.version == 3
    assert store.get("A") == {"id": "A", "reason": "after held", "status": "held"}


def test_a_failure_ahead_is_not_final(store: SQLiteStore, other: SQLiteStore) -> None:
    calls: list[str] = []

    def change(current: dict[str, Any]) -> dict[str, Any]:
        calls.append(current["status"])
        if current["status"] == "open":
            other.update("A", lambda d: {**d, "status": "held"})
            raise ValueError("refused for an open interaction")
        return {**current, "reason": "ok"}

    assert store.update("A", change)["reason"] == "ok"
    assert calls == ["open", "held"]


def test_errors_come_from_the_run_under_the_lock(store: SQLiteStore) -> None:
    def refuse(current: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        store.update("A", refuse)
    with pytest.raises(NotFoundError):
        store.update("B", lambda d: d)
    with pytest.raises(PreconditionFailedError):
        store.update("A", lambda d: d, expected_version=7)
    assert (store.get("A"), store.get("A").version) == (DOCUMENT, 1)


def test_a_delete_and_add_between_is_not_taken_for_the_same_row(
    store: SQLiteStore, other: SQLiteStore
) -> None:
    """Same id and version 1 again, another document: the change runs again."""
    seen: list[str] = []

    def change(current: dict[str, Any]) -> dict[str, Any]:
        seen.append(current["reason"])
        if len(seen) == 1:
            other.delete("A")
            other.add({**DOCUMENT, "reason": "re-added"})
        return {**current, "status": "closed"}

    assert store.update("A", change)["reason"] == "re-added"
    assert seen == ["r", "re-added"]


@pytest.mark.parametrize(
    ("before", "after"), [(1, True), (1, 1.0), (0.0, -0.0), (True, 1.0)]
)
def test_a_re_added_document_equal_only_as_python_values_gets_the_change_again(
    store: SQLiteStore, other: SQLiteStore, before: object, after: object
) -> None:
    """Same id, version 1 again, and a document Python's ``==`` takes for the old one
    (``1 == True == 1.0``, ``0.0 == -0.0``) but another JSON text: the change runs
    again on it, so what the re-added document holds is kept as written."""
    other.delete("A")  # version 1 again, with x
    other.add({**DOCUMENT, "x": before})
    seen: list[object] = []

    def change(current: dict[str, Any]) -> dict[str, Any]:
        seen.append(current["x"])
        if len(seen) == 1:
            other.delete("A")
            other.add({**DOCUMENT, "x": after})
        return {**current, "status": "closed"}

    updated = store.update("A", change)
    assert repr(updated["x"]) == repr(after)
    assert repr(store.get("A")["x"]) == repr(after)
    assert [repr(x) for x in seen] == [repr(before), repr(after)]
