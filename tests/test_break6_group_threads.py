"""Group commit under many threads of one process, on a real SQLite file.

Patches of a few shared documents under ``expected_version`` (retried on a
conflict), changes that raise beside them, creates and deletes of one id from
every thread: versions contiguous, nothing lost or doubled, one outbox row per
committed write and none for a failed one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tmf683 import SQLiteStore
from tmf683._errors import ConflictError, NotFoundError, PreconditionFailedError
from tmf683.storage.base import Delivery, Document

pytestmark = pytest.mark.slow

THREADS = 8
ROUNDS = 25
IDS = ["P0", "P1", "P2"]


def _outbox(token: str) -> Callable[[Document | None, Document | None], list[Delivery]]:
    def outbox(old: Document | None, new: Document | None) -> list[Delivery]:
        return [
            Delivery(id=token, subscription_id="S", callback="http://h/a", event={})
        ]

    return outbox


def _deliveries(store: SQLiteStore) -> list[str]:
    with sqlite3.connect(store.path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM event_delivery")]


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_patches_of_shared_documents_are_contiguous_and_exact(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    try:
        store.add_many([{"id": id, "note": []} for id in IDS])
        lock = threading.Lock()
        versions: dict[str, list[int]] = {id: [] for id in IDS}
        tokens: dict[str, list[str]] = {id: [] for id in IDS}
        failed: list[str] = []
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                for r in range(ROUNDS):
                    id = IDS[(n + r) % len(IDS)]
                    token = f"{n}-{r}"
                    bad = r % 5 == 4

                    def change(
                        doc: dict[str, Any], token: str = token, bad: bool = bad
                    ) -> Any:
                        if bad:
                            raise ValueError("invalid")
                        return {**doc, "note": [*doc["note"], {"text": token}]}

                    while True:
                        current = store.get(id)
                        try:
                            done = store.update(
                                id,
                                change,
                                _outbox(token),
                                expected_version=current.version,
                            )
                        except PreconditionFailedError:
                            continue
                        except ValueError:
                            with lock:
                                failed.append(token)
                            break
                        with lock:
                            versions[id].append(done.version)
                            tokens[id].append(token)
                        assert done["note"][-1] == {"text": token}
                        break
            except BaseException as exc:  # reported below
                errors.append(exc)

        _join([threading.Thread(target=worker, args=(n,)) for n in range(THREADS)])
        assert errors == []
        for id in IDS:
            assert sorted(versions[id]) == list(range(2, 2 + len(versions[id])))
            final = store.get(id)
            assert final.version == 1 + len(versions[id])
            assert sorted(n["text"] for n in final["note"]) == sorted(tokens[id])
        delivered = _deliveries(store)
        assert Counter(delivered) == Counter(t for id in IDS for t in tokens[id])
        assert not set(delivered) & set(failed)
    finally:
        store.close()


def test_one_create_and_one_delete_of_an_id_win(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    try:
        outcomes: list[str] = []
        lock = threading.Lock()
        for round in range(10):
            id = f"C{round}"
            outcomes.clear()

            def create(n: int, id: str = id) -> None:
                try:
                    store.add({"id": id, "x-n": n}, _outbox(f"{id}-c{n}"))
                    result = "ok"
                except ConflictError:
                    result = "conflict"
                with lock:
                    outcomes.append(result)

            _join([threading.Thread(target=create, args=(n,)) for n in range(THREADS)])
            assert Counter(outcomes) == {"ok": 1, "conflict": THREADS - 1}
            outcomes.clear()

            def delete(n: int, id: str = id) -> None:
                try:
                    store.delete(id, _outbox(f"{id}-d{n}"), expected_version=1)
                    result = "ok"
                except (NotFoundError, PreconditionFailedError):
                    result = "refused"
                with lock:
                    outcomes.append(result)

            _join([threading.Thread(target=delete, args=(n,)) for n in range(THREADS)])
            assert Counter(outcomes) == {"ok": 1, "refused": THREADS - 1}
        delivered = _deliveries(store)
        assert len(delivered) == 20
        with pytest.raises(NotFoundError):
            store.get("C0")
    finally:
        store.close()
