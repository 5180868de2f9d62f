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
- The due pass reads ``event_delivery_head``: per callback with pending
  deliveries, a time no later than its oldest pending delivery's due time, kept
  by triggers and set again by the passes, so the pass reads the heads that are
  due (an index range) and probes only those. Writers only ever lower a head
  (when the row they add is the oldest), under a ``KEY SHARE`` lock that other
  writers share; only a due pass raises one, from a fresh view after locking it
  (``FOR UPDATE SKIP LOCKED``: never while a writer's row is not visible yet).
  A head whose delivery went while waiting for a retry is put on
  ``event_delivery_head_check`` (the next one may be due sooner); a head found
  due whose delivery is not is set again. Writers lock heads in callback order
  (:func:`tmf683.storage._sql.outbox.insert_deliveries` sorts), so two writers
  never wait for each other in a cycle.

SQL text here is built from module constants only.
"""

from __future__ import annotations

from typing import Any

import psycopg

from tmf683.storage._sql.outbox import OLDEST_OF_CALLBACK, row_to_delivery
from tmf683.storage._sql.tables import (
    DELIVERIES,
    DELIVERY_COLUMNS,
    DELIVERY_HEADS,
    SUBSCRIPTIONS,
)
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

_HEAD_CHECKS = "event_delivery_head_check"
"""Callbacks whose head may have moved to an earlier due time (see the module)."""

_FIRST = (
    f"SELECT seq, next_attempt_at FROM {DELIVERIES} "  # noqa: S608 - constants
    "WHERE state = 'pending' AND callback = h.callback ORDER BY seq LIMIT 1"
)
"""The oldest pending delivery of the head ``h``'s callback (one index probe)."""

_HEADS = (
    f"SELECT h.callback, h.seq, f.seq, f.next_attempt_at FROM (SELECT callback, seq "  # noqa: S608
    f"FROM {DELIVERY_HEADS} WHERE next_attempt_at <= %s AND (seq, callback) > "
    "(%s, %s) ORDER BY seq, callback LIMIT %s) AS h "
    f"LEFT JOIN LATERAL ({_FIRST}) AS f ON true ORDER BY h.seq, h.callback"
)
"""Due heads in ``seq`` order after a ``(seq, callback)``, with their oldest
deliveries: the heads first (their index), then a probe for each head read."""

_LOWER = f"""CREATE OR REPLACE FUNCTION {DELIVERY_HEADS}_lower() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    due double precision;
    oldest bigint;
BEGIN
    SELECT next_attempt_at, seq INTO due, oldest FROM {DELIVERY_HEADS}
    WHERE callback = NEW.callback FOR KEY SHARE;
    IF NOT FOUND THEN
        INSERT INTO {DELIVERY_HEADS} (callback, next_attempt_at, seq)
        VALUES (NEW.callback, NEW.next_attempt_at, NEW.seq)
        ON CONFLICT (callback) DO UPDATE
        SET next_attempt_at = least({DELIVERY_HEADS}.next_attempt_at,
            excluded.next_attempt_at), seq = least({DELIVERY_HEADS}.seq, excluded.seq)
        WHERE {DELIVERY_HEADS}.next_attempt_at > excluded.next_attempt_at
        OR {DELIVERY_HEADS}.seq > excluded.seq;
    ELSIF oldest > NEW.seq THEN
        -- least: a writer that lowered it further may have committed meanwhile
        UPDATE {DELIVERY_HEADS} SET seq = least(seq, NEW.seq),
        next_attempt_at = least(next_attempt_at, NEW.next_attempt_at)
        WHERE callback = NEW.callback;
    ELSIF due > NEW.next_attempt_at AND NOT EXISTS (SELECT 1 FROM {DELIVERIES}
        WHERE state = 'pending' AND callback = NEW.callback AND seq < NEW.seq) THEN
        UPDATE {DELIVERY_HEADS} SET next_attempt_at = NEW.next_attempt_at
        WHERE callback = NEW.callback AND next_attempt_at > NEW.next_attempt_at;
    END IF;
    RETURN NULL;
END$$"""  # noqa: S608 - constants
"""A pending row came: its callback's head is due no later than it (if it is the
oldest) and its ``seq`` (schema 9) no greater. The ``KEY SHARE`` lock, held to
the commit, keeps a due pass from raising the head before this row is visible;
writers do not block each other."""

_CHECK = f"""CREATE OR REPLACE FUNCTION {DELIVERY_HEADS}_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {_HEAD_CHECKS} (callback) VALUES (OLD.callback);
    RETURN NULL;
END$$"""  # noqa: S608 - constants
"""A pending row that waited for a retry went: the next one may be due earlier."""

HEAD_STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {DELIVERY_HEADS} ("
    "callback text PRIMARY KEY, next_attempt_at double precision NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {DELIVERY_HEADS}_due_idx ON {DELIVERY_HEADS} "
    "(next_attempt_at)",
    f"CREATE TABLE IF NOT EXISTS {_HEAD_CHECKS} ("
    "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, callback text NOT NULL)",
    _LOWER,
    _CHECK,
    f"DROP TRIGGER IF EXISTS {DELIVERY_HEADS}_insert ON {DELIVERIES}",
    f"CREATE TRIGGER {DELIVERY_HEADS}_insert AFTER INSERT ON {DELIVERIES} "
    "FOR EACH ROW WHEN (NEW.state = 'pending') "
    f"EXECUTE FUNCTION {DELIVERY_HEADS}_lower()",
    f"DROP TRIGGER IF EXISTS {DELIVERY_HEADS}_pending ON {DELIVERIES}",
    f"CREATE TRIGGER {DELIVERY_HEADS}_pending AFTER UPDATE ON {DELIVERIES} "
    "FOR EACH ROW WHEN (NEW.state = 'pending' AND (OLD.state <> 'pending' OR "
    "NEW.next_attempt_at < OLD.next_attempt_at OR NEW.callback <> OLD.callback)) "
    f"EXECUTE FUNCTION {DELIVERY_HEADS}_lower()",
    f"DROP TRIGGER IF EXISTS {DELIVERY_HEADS}_gone ON {DELIVERIES}",
    f"CREATE TRIGGER {DELIVERY_HEADS}_gone AFTER DELETE ON {DELIVERIES} "
    "FOR EACH ROW WHEN (OLD.state = 'pending' AND OLD.next_attempt_at > 0) "
    f"EXECUTE FUNCTION {DELIVERY_HEADS}_check()",
    f"DROP TRIGGER IF EXISTS {DELIVERY_HEADS}_left ON {DELIVERIES}",
    f"CREATE TRIGGER {DELIVERY_HEADS}_left AFTER UPDATE ON {DELIVERIES} "
    "FOR EACH ROW WHEN (OLD.state = 'pending' AND OLD.next_attempt_at > 0 AND "
    "(NEW.state <> 'pending' OR NEW.callback <> OLD.callback)) "
    f"EXECUTE FUNCTION {DELIVERY_HEADS}_check()",
    f"DELETE FROM {DELIVERY_HEADS}",  # noqa: S608 - rebuilt from the pending rows
    f"INSERT INTO {DELIVERY_HEADS} (callback, next_attempt_at) "  # noqa: S608
    f"SELECT DISTINCT ON (callback) callback, next_attempt_at FROM {DELIVERIES} "
    "WHERE state = 'pending' ORDER BY callback, seq",
)
"""Schema version 7: the heads, their triggers, filled from the pending rows
(the function of version 9 already: version 9 adds the column it writes)."""

ORDER_STATEMENTS = (
    # 0 where a head is written without it (version 7's fill): a bound all the same
    f"ALTER TABLE {DELIVERY_HEADS} ADD COLUMN IF NOT EXISTS seq bigint NOT NULL "
    "DEFAULT 0",
    f"UPDATE {DELIVERY_HEADS} AS h SET seq = coalesce((SELECT min(seq) "  # noqa: S608
    f"FROM {DELIVERIES} WHERE state = 'pending' AND callback = h.callback), 0)",
    f"CREATE INDEX IF NOT EXISTS {DELIVERY_HEADS}_order_idx ON {DELIVERY_HEADS} "
    "(seq, callback)",
    _LOWER,
)
"""Schema version 9: each head's ``seq``, no greater than its callback's oldest
pending delivery's, so a due pass reads the heads oldest first and stops after
the ``limit`` it returns (filled from the pending rows; 0 where none is seen)."""


def due(conn: psycopg.Connection[Any], now: float, limit: int) -> list[Delivery]:
    """The oldest pending delivery of each callback, when due and not being sent.

    Reads the due heads in ``seq`` order (a bound on each callback's oldest
    pending delivery, never above it), ``limit + 1`` at a time, each with its
    callback's oldest pending delivery, and locks the due ones no unread head can
    precede; it stops once ``limit`` are locked or the due heads are read. So a
    pass over 1,000 due callbacks asking for 100 reads about 101 heads, not
    1,000. A head whose delivery is not due (or gone), whose ``seq`` is behind
    its delivery's, or whose callback was checked, is set again from its
    deliveries (:func:`_reset_heads`). Rows another dispatcher holds (it is
    sending them) are skipped; the locks this takes end with the caller's
    transaction. That transaction writes only those row locks and heads set
    again, so its commit does not wait for the WAL to reach the disk
    (``synchronous_commit`` off for it alone): a lost one loses nothing (the
    heads stay as safe as before, to be set again), and the pass no longer costs
    a disk flush.
    """
    conn.execute("SET LOCAL synchronous_commit = off")
    checks = conn.execute(f"SELECT id, callback FROM {_HEAD_CHECKS}").fetchall()  # noqa: S608
    if checks:  # kept where a writer holds the head: for a later pass
        done = _reset_heads(conn, sorted({callback for _, callback in checks}))
        conn.execute(
            f"DELETE FROM {_HEAD_CHECKS} AS c WHERE id = ANY(%s) AND (callback = "  # noqa: S608
            f"ANY(%s) OR NOT EXISTS (SELECT 1 FROM {DELIVERY_HEADS} AS h "
            "WHERE h.callback = c.callback))",
            [[id for id, _ in checks], done],
        )
    found: list[Delivery] = []
    waiting: list[tuple[int, str]] = []  # due, not yet known to come first
    stale: list[str] = []
    after: tuple[int, str] = (-1, "")
    while len(found) < limit:
        heads = conn.execute(_HEADS, [now, *after, limit + 1]).fetchall()
        for callback, bound, seq, at in heads:
            if seq is None or at > now or seq > bound:
                stale.append(callback)
            if seq is not None and at <= now:
                waiting.append((seq, callback))
        read_all = len(heads) <= limit
        if heads:
            after = (heads[-1][1], heads[-1][0])
        # an unread head's delivery is at its seq or later: these come first
        first = sorted(w for w in waiting if read_all or w[0] <= after[0])
        waiting = [w for w in waiting if not (read_all or w[0] <= after[0])]
        if first:
            rows = conn.execute(
                f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERIES} "  # noqa: S608
                "WHERE seq = ANY(%s) AND state = 'pending' AND next_attempt_at <= %s "
                "ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED",
                [[seq for seq, _ in first], now, limit - len(found)],
            ).fetchall()
            found += [row_to_delivery(DIALECT, row) for row in rows]
        if read_all:
            break
    if stale:
        _reset_heads(conn, sorted(set(stale)))
    return found


def _reset_heads(conn: psycopg.Connection[Any], callbacks: list[str]) -> list[str]:
    """Set the heads of ``callbacks`` from their oldest pending deliveries.

    Only heads no writer holds (``SKIP LOCKED``): a writer adding a pending row
    holds its head until it commits, and the statements after the lock see every
    row committed before it. A head that could not be locked keeps its time and
    ``seq``, for a later pass; a callback with nothing pending loses its head. A
    dispatcher's attempt may commit between the two statements, each reading the
    deliveries afresh: the head is set only where a pending delivery is seen, then
    the heads with none go (the other way round, a head whose last delivery went
    between them was set to NULL and failed the pass).

    Returns:
        The callbacks whose heads were set (or removed).
    """
    locked = [
        callback
        for (callback,) in conn.execute(
            f"SELECT callback FROM {DELIVERY_HEADS} WHERE callback = ANY(%s) "  # noqa: S608
            "ORDER BY callback FOR UPDATE SKIP LOCKED",
            [callbacks],
        ).fetchall()
    ]
    if locked:  # set, then remove: the last delivery may go between the two
        conn.execute(
            f"UPDATE {DELIVERY_HEADS} AS h SET (next_attempt_at, seq) = "  # noqa: S608
            f"(SELECT next_attempt_at, seq FROM ({_FIRST}) AS f) "
            f"WHERE callback = ANY(%s) AND EXISTS ({_FIRST})",
            [locked],
        )
        conn.execute(
            f"DELETE FROM {DELIVERY_HEADS} AS h WHERE callback = ANY(%s) AND "  # noqa: S608
            f"NOT EXISTS ({_FIRST})",
            [locked],
        )
    return locked


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
