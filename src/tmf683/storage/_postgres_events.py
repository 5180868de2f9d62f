"""Hub subscriptions and the transactional outbox in PostgreSQL.

``event_subscription`` keeps the hub subscriptions; ``event_delivery`` one row per
event and subscriber until the subscriber accepted it (the row goes) or it failed for
good (``state = 'failed'``). Rows are written in the transaction of the change that
raised them.

Several dispatchers (one per server process, on several hosts) share the outbox:

- Only the oldest pending delivery of each callback is ever due, so events to one
  callback go out in the order they were raised.
- A dispatcher attempts a delivery inside a transaction that holds the row lock
  (``SELECT ... FOR UPDATE SKIP LOCKED``) until the outcome is written: no other
  dispatcher sends it (or the next one for that callback) meanwhile, and when a
  dispatcher dies mid-attempt its connection closes, the lock goes with it, and
  another dispatcher sends the delivery at once.

SQL text here is built from module constants only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Json

from tmf683.storage.base import Delivery, Document

__all__ = [
    "CREATE_TABLES",
    "DELIVERIES",
    "SUBSCRIPTIONS",
    "delete_subscription",
    "due",
    "failed",
    "insert_deliveries",
    "lock_if_due",
    "record",
]

SUBSCRIPTIONS = "event_subscription"
DELIVERIES = "event_delivery"
_COLUMNS = (
    "id, subscription_id, callback, event, attempts, next_attempt_at, state, last_error"
)

CREATE_TABLES = (
    f"CREATE TABLE {SUBSCRIPTIONS} ("
    "seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    'id text COLLATE "C" NOT NULL UNIQUE, document jsonb NOT NULL)',
    f"CREATE TABLE {DELIVERIES} ("
    "seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    'id text COLLATE "C" NOT NULL UNIQUE, subscription_id text NOT NULL, '
    "callback text NOT NULL, event json NOT NULL, "
    "attempts integer NOT NULL DEFAULT 0, "
    "next_attempt_at double precision NOT NULL DEFAULT 0, "
    "state text NOT NULL DEFAULT 'pending', last_error text)",
    f"CREATE INDEX {DELIVERIES}_pending_idx ON {DELIVERIES} (callback, seq) "
    "WHERE state = 'pending'",
    f"CREATE INDEX {DELIVERIES}_subscription_idx ON {DELIVERIES} (subscription_id)",
)
"""The statements of schema version 1 for the two tables."""

_HEADS = (
    "WITH RECURSIVE heads (callback, seq) AS ("  # noqa: S608 - constants
    f"(SELECT callback, seq FROM {DELIVERIES} WHERE state = 'pending' "
    "ORDER BY callback, seq LIMIT 1) UNION ALL "
    "SELECT later.callback, later.seq FROM heads, LATERAL ("
    f"SELECT callback, seq FROM {DELIVERIES} WHERE state = 'pending' "
    "AND callback > heads.callback ORDER BY callback, seq LIMIT 1) AS later) "
)
"""The oldest pending delivery of each callback: one index probe per callback (a
loose index scan), however many deliveries wait behind them."""
_D_COLUMNS = ", ".join(f"d.{name}" for name in _COLUMNS.split(", "))

_OLDEST_OF_CALLBACK = (
    f"d.seq = (SELECT min(seq) FROM {DELIVERIES} "  # noqa: S608 - constants
    "WHERE state = 'pending' AND callback = d.callback)"
)


def insert_deliveries(
    conn: psycopg.Connection[Any], deliveries: Sequence[Delivery]
) -> None:
    """Write outbox rows, inside the caller's transaction."""
    if not deliveries:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {DELIVERIES} ({_COLUMNS}) "  # noqa: S608 - constants
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    d.id,
                    d.subscription_id,
                    d.callback,
                    Json(d.event),
                    d.attempts,
                    d.next_attempt_at,
                    d.state,
                    d.last_error,
                )
                for d in deliveries
            ],
        )


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(
        id=row[0],
        subscription_id=row[1],
        callback=row[2],
        event=row[3],
        attempts=row[4],
        next_attempt_at=row[5],
        state=row[6],
        last_error=row[7],
    )


def due(conn: psycopg.Connection[Any], now: float, limit: int) -> list[Delivery]:
    """The oldest pending delivery of each callback, when due and not being sent.

    Rows another dispatcher holds (it is sending them) are skipped; the locks this
    takes end with the caller's transaction.
    """
    rows = conn.execute(
        f"{_HEADS}SELECT {_D_COLUMNS} FROM {DELIVERIES} AS d "  # noqa: S608
        "JOIN heads ON d.seq = heads.seq "
        "WHERE d.state = 'pending' AND d.next_attempt_at <= %s "
        "ORDER BY d.seq LIMIT %s FOR UPDATE OF d SKIP LOCKED",
        [now, limit],
    ).fetchall()
    return [_delivery(row) for row in rows]


def lock_if_due(
    conn: psycopg.Connection[Any], delivery_id: str, now: float
) -> Delivery | None:
    """Lock a delivery for an attempt, if it is still to be attempted now.

    A delivery whose subscription is gone (it was unregistered while the change
    that raised the delivery was being written) is removed instead.

    Returns:
        The delivery as stored, locked until the caller's transaction ends; ``None``
        when it is gone, not pending, not due, not the oldest of its callback, or
        being attempted by another dispatcher.
    """
    row = conn.execute(
        f"SELECT {_COLUMNS}, EXISTS (SELECT 1 FROM {SUBSCRIPTIONS} AS s "  # noqa: S608
        f"WHERE s.id = d.subscription_id) FROM {DELIVERIES} AS d "
        "WHERE d.id = %s AND d.state = 'pending' AND d.next_attempt_at <= %s AND "
        f"{_OLDEST_OF_CALLBACK} FOR UPDATE OF d SKIP LOCKED",
        [delivery_id, now],
    ).fetchone()
    if row is None:
        return None
    if not row[-1]:
        conn.execute(f"DELETE FROM {DELIVERIES} WHERE id = %s", [delivery_id])  # noqa: S608
        return None
    return _delivery(row)


def record(
    conn: psycopg.Connection[Any],
    delivery_id: str,
    delivered: bool,
    next_attempt_at: float | None,
    error: str | None,
) -> None:
    """Remove a delivered row, or count a failed attempt (and maybe give up)."""
    if delivered:
        conn.execute(f"DELETE FROM {DELIVERIES} WHERE id = %s", [delivery_id])  # noqa: S608
        return
    conn.execute(
        f"UPDATE {DELIVERIES} SET attempts = attempts + 1, "  # noqa: S608 - constants
        "next_attempt_at = coalesce(%s, next_attempt_at), state = %s, last_error = %s "
        "WHERE id = %s",
        [
            next_attempt_at,
            "pending" if next_attempt_at is not None else "failed",
            error,
            delivery_id,
        ],
    )


def failed(conn: psycopg.Connection[Any]) -> list[Delivery]:
    """Deliveries that failed for good, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM {DELIVERIES} WHERE state = 'failed' ORDER BY seq"  # noqa: S608
    ).fetchall()
    return [_delivery(row) for row in rows]


def subscriptions(conn: psycopg.Connection[Any]) -> list[Document]:
    """Every subscription, in registration order."""
    rows = conn.execute(
        f"SELECT document FROM {SUBSCRIPTIONS} ORDER BY seq"  # noqa: S608 - constant
    ).fetchall()
    return [row[0] for row in rows]


def delete_subscription(conn: psycopg.Connection[Any], id: str) -> bool:
    """Remove a subscription and its deliveries; tell whether it existed.

    A change that read the subscription before this commits may still add a
    delivery for it afterwards, and a delivery being sent now is left to its
    dispatcher: :func:`lock_if_due` removes such deliveries instead of locking them.
    """
    cursor = conn.execute(
        f"DELETE FROM {SUBSCRIPTIONS} WHERE id = %s",  # noqa: S608 - constant
        [id],
    )
    # skip a delivery being sent: waiting for it could take as long as the send;
    # its dispatcher finds the subscription gone and drops it (lock_if_due)
    conn.execute(
        f"DELETE FROM {DELIVERIES} WHERE id IN (SELECT id FROM {DELIVERIES} "  # noqa: S608
        "WHERE subscription_id = %s FOR UPDATE SKIP LOCKED)",
        [id],
    )
    return cursor.rowcount > 0
