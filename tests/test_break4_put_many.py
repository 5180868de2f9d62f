"""Concurrent ``put_many`` on PostgreSQL (two ``tmf683 import --on-existing
replace`` at once): writers of the same stored ids wait for each other, never
deadlock.

Each writer locked the stored rows of its batch (``SELECT ... FOR UPDATE``) in
the order of the plan, a bitmap scan's heap order, which moves as rows are
rewritten: two writers of the same ids took their locks in other orders, and
PostgreSQL failed one (``deadlock detected``, a ``StoreUnavailableError``) where
both should have been written, one after the other. Seen with three writers of
the same 150 stored ids (each batch shuffled, plus ids of its own) within 40
rounds on every run before the fix.
"""

from __future__ import annotations

import random
import threading

import pytest

from tmf683 import ConflictError
from tmf683.storage.postgres import PostgresStore

pytestmark = pytest.mark.slow

WRITERS = 3
ROUNDS = 40
STORED = 150
NEW_ROUNDS = 15


def test_writers_of_the_same_stored_ids_in_other_orders_never_deadlock(
    postgres_databases,
):
    url = postgres_databases.create()
    first = PostgresStore(url)
    first.put_many([{"id": f"D{n:04d}"} for n in range(STORED)])
    first.close()
    stores = [
        PostgresStore(url, min_connections=1, max_connections=1) for _ in range(WRITERS)
    ]
    failures: list[str] = []

    def write(writer: int) -> None:
        draw = random.Random(writer)  # noqa: S311 - test data
        try:
            for round in range(ROUNDS):
                ids = [f"D{n:04d}" for n in range(STORED)]
                ids += [f"W{writer}-{round:02d}-{n}" for n in range(5)]  # its own
                draw.shuffle(ids)
                batch = [{"id": id, "description": f"{writer}/{round}"} for id in ids]
                assert stores[writer].put_many(batch, replace=True) == len(batch)
        except Exception as exc:  # reported below
            failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
        assert failures == []
        check = stores[0]
        for n in range(STORED):
            stored = check.get(f"D{n:04d}")
            assert stored["description"].endswith(f"/{ROUNDS - 1}")
            assert stored.version == 1 + WRITERS * ROUNDS  # no write lost
    finally:
        for store in stores:
            store.close()


def test_writers_adding_the_same_new_ids_in_other_orders_meet_a_conflict(
    postgres_databases,
):
    """Two batches adding the same new ids, in other orders: each ``COPY`` waits
    on the unique index for an id the other added first, a cycle PostgreSQL
    breaks by failing one; that writer gets the documented ``ConflictError``
    (another writer added one of its new ids), not ``StoreUnavailableError``;
    a writer that comes after the other's commit skips the stored ids."""
    url = postgres_databases.create()
    stores = [
        PostgresStore(url, min_connections=1, max_connections=1) for _ in range(2)
    ]
    outcomes: list[list[str]] = [[], []]
    together = threading.Barrier(2, timeout=60)

    def write(writer: int) -> None:
        for round in range(NEW_ROUNDS):
            ids = [f"N{round:02d}-{n:03d}" for n in range(100)]
            if writer:
                ids.reverse()
            together.wait()  # both batches at once
            try:
                count = stores[writer].put_many([{"id": id} for id in ids])
                outcomes[writer].append({100: "written", 0: "skipped"}[count])
            except ConflictError:
                outcomes[writer].append("conflict")
            except Exception as exc:  # reported below
                outcomes[writer].append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
        assert {o for each in outcomes for o in each} <= {
            "written",
            "skipped",
            "conflict",
        }
        for round in range(NEW_ROUNDS):  # one of the two wrote the round's ids
            written = [outcomes[0][round], outcomes[1][round]].count("written")
            assert written == 1
    finally:
        for store in stores:
            store.close()
