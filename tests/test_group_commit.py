"""Group commit on SQLite: concurrent writes share a transaction, each alone in it.

Real SQLite files and real threads. A group is made on purpose by holding the
store's write lock: the first writer leads a group of its own and waits on the
lock, the others queue behind it; released, the first commits alone and the next
leads all the others in one transaction (``tmf683.storage.sqlite._group``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tmf683 import SQLiteStore
from tmf683._errors import ConflictError, NotFoundError, PreconditionFailedError
from tmf683.storage.base import Delivery, Document

from .waiting import wait_for

Outcome = tuple[str, Any]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "group.db")
    yield opened
    opened.close()


def _doc(id: str) -> Document:
    return {"id": id, "description": f"the {id}", "status": "open"}


def _events(id: str) -> Callable[[Document | None, Document | None], list[Delivery]]:
    """An outbox giving one delivery per write, named after ``id``."""

    def outbox(old: Document | None, new: Document | None) -> list[Delivery]:
        return [
            Delivery(id=f"E-{id}", subscription_id="S", callback="http://h/a", event={})
        ]

    return outbox


def _delivery_ids(store: SQLiteStore) -> set[str]:
    with sqlite3.connect(store.path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM event_delivery")}


def _stored_ids(store: SQLiteStore) -> set[str]:
    with sqlite3.connect(store.path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM party_interaction")}


def _run(outcomes: list[Outcome | None], index: int, call: Callable[[], Any]) -> None:
    try:
        outcomes[index] = ("ok", call())
    except BaseException as exc:
        outcomes[index] = ("error", exc)


def _in_one_group(store: SQLiteStore, calls: list[Callable[[], Any]]) -> list[Outcome]:
    """Run ``calls`` in threads of their own, all in one group; their outcomes."""
    group = store._group
    outcomes: list[Outcome | None] = [None] * len(calls)
    threads: list[threading.Thread] = []
    opener: list[Outcome | None] = [None]
    with store._write_lock:
        first = threading.Thread(
            target=_run, args=(opener, 0, lambda: store.add(_doc("opener")))
        )
        first.start()
        threads.append(first)
        wait_for(lambda: group._leading and not group._queue)  # its group taken
        for index, call in enumerate(calls):
            thread = threading.Thread(target=_run, args=(outcomes, index, call))
            thread.start()
            threads.append(thread)
        wait_for(lambda: len(group._queue) == len(calls))
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()
    assert opener[0] is not None
    assert opener[0][0] == "ok", opener
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def test_concurrent_creates_are_stored_once_and_readable_on_return(
    store: SQLiteStore,
) -> None:
    """Would catch a caller returning before its group's COMMIT, a job run twice
    or lost between groups, or a leader that never hands over (a hang)."""
    errors: list[BaseException] = []

    def writer(thread: int) -> None:
        try:
            for n in range(25):
                id = f"T{thread}-{n}"
                store.add(_doc(id), _events(id))
                assert store.get(id)["id"] == id  # readable on return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
    assert errors == []
    expected = {f"T{k}-{n}" for k in range(12) for n in range(25)}
    assert _stored_ids(store) == expected
    assert _delivery_ids(store) == {f"E-{id}" for id in expected}
    assert not store._group._leading
    assert not store._group._queue


def test_a_taken_id_fails_only_its_job(store: SQLiteStore) -> None:
    """Would catch a job's failure rolling back the whole group, or its events
    (written before the failing insert, in its savepoint) being kept."""
    store.add(_doc("taken"))
    outcomes = _in_one_group(
        store,
        [
            lambda: store.add(_doc("new-1"), _events("new-1")),
            lambda: store.add_many([_doc("fresh"), _doc("taken")], _events("bad")),
            lambda: store.add(_doc("new-2"), _events("new-2")),
        ],
    )
    assert outcomes[0] == ("ok", None)
    assert outcomes[1][0] == "error"
    assert isinstance(outcomes[1][1], ConflictError)
    assert outcomes[2] == ("ok", None)
    assert _stored_ids(store) == {"taken", "opener", "new-1", "new-2"}
    assert _delivery_ids(store) == {"E-new-1", "E-new-2"}


def test_an_update_conflict_fails_only_its_job(store: SQLiteStore) -> None:
    """Would catch expected_version checked outside the group's transaction, or
    the change computed ahead kept although an earlier job of the same group
    changed the document (``change_again`` under the lock)."""
    for id in ("A", "B", "C"):
        store.add(_doc(id))

    def append(text: str) -> Callable[[Document], Document]:
        def change(document: Document) -> Document:
            return {**document, "description": document["description"] + text}

        return change

    outcomes = _in_one_group(
        store,
        [
            lambda: store.update("A", append("+1")),  # both changed ahead on v1:
            lambda: store.update("A", append("+2")),  # the later one runs again
            lambda: store.update("B", append("!"), expected_version=7),
            lambda: store.delete("C", expected_version=1),
        ],
    )
    assert outcomes[0][0] == "ok"
    assert outcomes[1][0] == "ok"
    assert outcomes[2][0] == "error"
    assert isinstance(outcomes[2][1], PreconditionFailedError)
    assert outcomes[3] == ("ok", _doc("C"))
    stored = store.get("A")
    assert sorted(stored["description"].split("the A")[1]) == sorted("+1+2")
    assert stored.version == 3
    assert store.get("B").version == 1
    with pytest.raises(NotFoundError):
        store.get("C")


def test_an_exception_in_a_job_does_not_poison_the_others(store: SQLiteStore) -> None:
    """Would catch an arbitrary error (not SQLite's) leaving the transaction in a
    state that loses or breaks the other jobs, or its events being kept."""
    store.add(_doc("A"))

    def broken(document: Document) -> Document:
        raise RuntimeError("the change failed")

    def broken_outbox(old: Document | None, new: Document | None) -> list[Delivery]:
        raise KeyError("outbox")

    outcomes = _in_one_group(
        store,
        [
            lambda: store.update("A", broken, _events("A")),
            lambda: store.add(_doc("half"), broken_outbox),
            lambda: store.add(_doc("C"), _events("C")),
        ],
    )
    assert outcomes[0][0] == "error"
    assert isinstance(outcomes[0][1], RuntimeError)
    assert outcomes[1][0] == "error"
    assert isinstance(outcomes[1][1], KeyError)
    assert outcomes[2] == ("ok", None)
    assert _stored_ids(store) == {"A", "opener", "C"}
    assert _delivery_ids(store) == {"E-C"}
    assert store.get("A").version == 1


def _poison(store: SQLiteStore) -> None:
    """Make the COMMIT of any transaction that stored id ``poison`` fail: a
    deferred foreign key the trigger breaks (checked at COMMIT only)."""
    with sqlite3.connect(store.path) as conn:
        conn.executescript(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
            "CREATE TABLE dangling (ref INTEGER REFERENCES parent (id)"
            " DEFERRABLE INITIALLY DEFERRED);"
            "CREATE TRIGGER poison AFTER INSERT ON party_interaction"
            " WHEN NEW.id = 'poison' BEGIN INSERT INTO dangling VALUES (1); END;"
        )


def _with_foreign_keys(
    call: Callable[[], Any], store: SQLiteStore
) -> Callable[[], Any]:
    """``call`` on a thread whose connection checks foreign keys (any may lead)."""

    def run() -> Any:
        store._db().execute("PRAGMA foreign_keys = ON")
        return call()

    return run


def test_a_failed_commit_fails_every_job_and_keeps_nothing(store: SQLiteStore) -> None:
    """Would catch callers told of success when the shared COMMIT failed, a
    transaction left open after it (the next write could not begin), or the
    group's writes or events kept."""
    store.add(_doc("A"))
    _poison(store)
    outcomes = _in_one_group(
        store,
        [
            _with_foreign_keys(lambda: store.add(_doc("B"), _events("B")), store),
            _with_foreign_keys(lambda: store.add(_doc("poison")), store),
            _with_foreign_keys(lambda: store.update("A", dict), store),
        ],
    )
    for kind, error in outcomes:
        assert kind == "error"
        assert isinstance(error, sqlite3.IntegrityError)
    assert _stored_ids(store) == {"A", "opener"}
    assert _delivery_ids(store) == set()
    assert store.get("A").version == 1
    store.add(_doc("after"), _events("after"))  # the store still writes
    assert _stored_ids(store) == {"A", "opener", "after"}


def test_a_failed_commit_of_a_group_of_one(store: SQLiteStore) -> None:
    """A writer alone: its COMMIT's error reaches it and nothing stays; the
    connection is not left inside the failed transaction."""
    _poison(store)
    store._db().execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):
        store.add(_doc("poison"), _events("poison"))
    assert _stored_ids(store) == set()
    assert _delivery_ids(store) == set()
    store.add(_doc("next"))
    assert _stored_ids(store) == {"next"}
