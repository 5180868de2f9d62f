"""Hub subscriptions and the transactional outbox in SQLite (schema version 3).

``event_subscription`` keeps the hub subscriptions; ``event_delivery`` keeps one row
per event and subscriber until the subscriber accepted it (then the row goes) or it
failed for good (``state = 'failed'``). Rows are written in the same transaction as
the change that raised them. SQL text here is built from module constants only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from tmf683.storage.base import Delivery, Document

__all__ = [
    "DELIVERIES",
    "SUBSCRIPTIONS",
    "create_tables",
    "due",
    "failed",
    "insert_deliveries",
    "record",
    "row_to_delivery",
]

SUBSCRIPTIONS = "event_subscription"
DELIVERIES = "event_delivery"
_COLUMNS = (
    "id, subscription_id, callback, event, attempts, next_attempt_at, state, last_error"
)


def create_tables(db: sqlite_utils.Database) -> None:
    """Create the two tables and their indexes (schema version 3)."""
    db.execute(
        f"CREATE TABLE {SUBSCRIPTIONS} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL "
        "UNIQUE, document TEXT NOT NULL)"
    )
    db.execute(
        f"CREATE TABLE {DELIVERIES} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
        "subscription_id TEXT NOT NULL, callback TEXT NOT NULL, event TEXT NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0, "
        "state TEXT NOT NULL DEFAULT 'pending', last_error TEXT)"
    )
    db.execute(
        f"CREATE INDEX idx_{DELIVERIES}_pending ON {DELIVERIES} (state, callback, seq)"
    )


def insert_deliveries(
    db: sqlite_utils.Database, deliveries: Sequence[Delivery]
) -> None:
    """Write outbox rows, inside the caller's transaction."""
    db.conn.executemany(
        f"INSERT INTO {DELIVERIES} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        [
            (
                d.id,
                d.subscription_id,
                d.callback,
                json.dumps(d.event, ensure_ascii=False, separators=(",", ":")),
                d.attempts,
                d.next_attempt_at,
                d.state,
                d.last_error,
            )
            for d in deliveries
        ],
    )


def row_to_delivery(row: Sequence[Any]) -> Delivery:
    """Turn a selected row (columns in ``_COLUMNS`` order) into a Delivery."""
    return Delivery(
        id=row[0],
        subscription_id=row[1],
        callback=row[2],
        event=json.loads(row[3]),
        attempts=row[4],
        next_attempt_at=row[5],
        state=row[6],
        last_error=row[7],
    )


def due(db: sqlite_utils.Database, now: float, limit: int) -> list[Delivery]:
    """The oldest pending delivery of each callback, when its time has come."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM {DELIVERIES} AS d "  # noqa: S608 - constants
        "WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND d.seq = ("
        f"SELECT min(seq) FROM {DELIVERIES} "
        "WHERE state = 'pending' AND callback = d.callback) "
        "ORDER BY d.seq LIMIT ?",
        [now, limit],
    ).fetchall()
    return [row_to_delivery(row) for row in rows]


def record(
    db: sqlite_utils.Database,
    delivery_id: str,
    delivered: bool,
    next_attempt_at: float | None,
    error: str | None,
) -> None:
    """Remove a delivered row, or count a failed attempt (and maybe give up)."""
    if delivered:
        db.execute(f"DELETE FROM {DELIVERIES} WHERE id = ?", [delivery_id])  # noqa: S608
        return
    db.execute(
        f"UPDATE {DELIVERIES} SET attempts = attempts + 1, "  # noqa: S608 - constants
        "next_attempt_at = coalesce(?, next_attempt_at), state = ?, last_error = ? "
        "WHERE id = ?",
        [
            next_attempt_at,
            "pending" if next_attempt_at is not None else "failed",
            error,
            delivery_id,
        ],
    )


def failed(db: sqlite_utils.Database) -> list[Delivery]:
    """Deliveries that failed for good, oldest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM {DELIVERIES} WHERE state = 'failed' ORDER BY seq"  # noqa: S608
    ).fetchall()
    return [row_to_delivery(row) for row in rows]


def subscription_rows(db: sqlite_utils.Database) -> list[Document]:
    """Every subscription, in registration order."""
    rows = db.execute(f"SELECT document FROM {SUBSCRIPTIONS} ORDER BY seq").fetchall()  # noqa: S608
    return [json.loads(row[0]) for row in rows]
