"""What only PostgreSQL's outbox does: it is shared by several dispatchers.

The statements both engines share are :mod:`tmf683.storage._sql.outbox`'s; here are
the tables' PostgreSQL types and the reads of the dispatchers. Several dispatchers
(one per server process, on several hosts) share the outbox:

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

from typing import Any

import psycopg

from tmf683.storage._sql.outbox import OLDEST_OF_CALLBACK, row_to_delivery
from tmf683.storage._sql.tables import DELIVERIES, DELIVERY_COLUMNS, SUBSCRIPTIONS
from tmf683.storage.base import Delivery
from tmf683.storage.postgres._dialect import DIALECT

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
_D_COLUMNS = ", ".join(f"d.{name}" for name in DELIVERY_COLUMNS.split(", "))


def due(conn: psycopg.Connection[Any], now: float, limit: int) -> list[Delivery]:
    """The oldest pending delivery of each callback, when due and not being sent.

    Rows another dispatcher holds (it is sending them) are skipped; the locks this
    takes end with the caller's transaction. That transaction writes nothing but
    those row locks, so its commit does not wait for the WAL to reach the disk
    (``synchronous_commit`` off for it alone): a lost lock record loses nothing,
    and the pass no longer costs a disk flush.
    """
    conn.execute("SET LOCAL synchronous_commit = off")
    rows = conn.execute(
        f"{_HEADS}SELECT {_D_COLUMNS} FROM {DELIVERIES} AS d "  # noqa: S608
        "JOIN heads ON d.seq = heads.seq "
        "WHERE d.state = 'pending' AND d.next_attempt_at <= %s "
        "ORDER BY d.seq LIMIT %s FOR UPDATE OF d SKIP LOCKED",
        [now, limit],
    ).fetchall()
    return [row_to_delivery(DIALECT, row) for row in rows]


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
        f"SELECT {DELIVERY_COLUMNS}, EXISTS (SELECT 1 FROM {SUBSCRIPTIONS} AS s "  # noqa: S608
        f"WHERE s.id = d.subscription_id) FROM {DELIVERIES} AS d "
        "WHERE d.id = %s AND d.state = 'pending' AND d.next_attempt_at <= %s AND "
        f"{OLDEST_OF_CALLBACK} FOR UPDATE OF d SKIP LOCKED",
        [delivery_id, now],
    ).fetchone()
    if row is None:
        return None
    if not row[-1]:
        conn.execute(f"DELETE FROM {DELIVERIES} WHERE id = %s", [delivery_id])  # noqa: S608
        return None
    return row_to_delivery(DIALECT, row)
