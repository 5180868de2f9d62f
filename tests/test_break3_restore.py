"""A PostgreSQL database dumped (``pg_dump``) and restored with pending deliveries.

The heads come back with the rows they describe (one snapshot; the triggers are
created after the data), so the restored database's due pass finds what the
original's would, and its writers keep the heads after the restore.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import psycopg
import pytest

from tmf683 import PostgresStore
from tmf683.storage.base import Delivery, Document


def _outbox(callback: str, at: float) -> Any:
    def outbox(_old: Document | None, new: Document | None) -> list[Delivery]:
        assert new is not None
        return [
            Delivery(
                id=f"E-{new['id']}",
                subscription_id=f"S-{callback[-1]}",
                callback=callback,
                event={"id": new["id"]},
                next_attempt_at=at,
            )
        ]

    return outbox


def _due(store: PostgresStore, now: float) -> list[str]:
    return sorted(d.id for d in store.due_deliveries(now))


def test_a_dumped_and_restored_database_keeps_its_heads(
    postgres_databases: Any,
) -> None:
    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.skip("pg_dump and psql are needed")
    source = postgres_databases.create()
    store = PostgresStore(source)
    try:
        for callback in ("http://h/a", "http://h/b"):
            store.add_subscription(
                {"id": f"S-{callback[-1]}", "callback": callback, "query": ""}
            )
        store.add({"id": "A1"}, _outbox("http://h/a", 5.0))
        store.add({"id": "A2"}, _outbox("http://h/a", 0.0))
        store.add({"id": "B1"}, _outbox("http://h/b", 50.0))
        before = (_due(store, 1.0), _due(store, 10.0), _due(store, 60.0))
    finally:
        store.close()
    dump = subprocess.run(
        ["pg_dump", "--no-owner", source], check=True, capture_output=True, text=True
    ).stdout
    target = postgres_databases.create()
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", target],
        input=dump,
        check=True,
        capture_output=True,
        text=True,
    )
    restored = PostgresStore(target)
    try:
        assert before == ([], ["E-A1"], ["E-A1", "E-B1"])
        assert (_due(restored, 1.0), _due(restored, 10.0), _due(restored, 60.0)) == (
            before
        )
        restored.add({"id": "C1"}, _outbox("http://h/c", 0.0))  # a new callback
        assert _due(restored, 1.0) == ["E-C1"]
        with psycopg.connect(target) as conn:
            heads: dict[str, float] = dict(
                conn.execute(
                    "SELECT callback, next_attempt_at FROM event_delivery_head"
                ).fetchall()
            )
        assert heads["http://h/c"] == 0.0
    finally:
        restored.close()
