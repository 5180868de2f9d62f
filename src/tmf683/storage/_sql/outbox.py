"""The transactional outbox in SQL, for both engines: the rows of hub deliveries.

``event_delivery`` keeps one row per event and subscriber until the subscriber
accepted it (then the row goes) or it failed for good (``state = 'failed'``). Rows
are written in the same transaction as the change that raised them. Every function
runs inside the caller's transaction; the dialect supplies the placeholders and the
column encodings. PostgreSQL's dispatchers share the outbox and read it their own
way (its ``_outbox`` module). SQL text here is built from module constants only.

The hub subscriptions' rows are :mod:`tmf683.storage._sql.hub`'s and the schema
version check :mod:`tmf683.storage._sql.schema_version`'s; their functions are
importable from here as well, where the stores have always found them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tmf683.storage._sql.dialect import Connection, Dialect
from tmf683.storage._sql.hub import add_subscription as add_subscription
from tmf683.storage._sql.hub import check_room as check_room
from tmf683.storage._sql.hub import delete_subscription as delete_subscription
from tmf683.storage._sql.hub import generation as generation
from tmf683.storage._sql.hub import read_one as read_one
from tmf683.storage._sql.hub import subscriptions as subscriptions
from tmf683.storage._sql.schema_version import check_schema as check_schema
from tmf683.storage._sql.tables import DELIVERIES, DELIVERY_COLUMNS, DELIVERY_HEADS
from tmf683.storage.base import (
    FAILED_BEHIND,
    TRIMMED,
    Delivery,
    OutboxStats,
    event_time,
)

OLDEST_OF_CALLBACK = (
    f"d.seq = (SELECT min(seq) FROM {DELIVERIES} "  # noqa: S608 - constants
    "WHERE state = 'pending' AND callback = d.callback)"
)
"""The delivery ``d`` is the oldest pending one of its callback."""


def _names(dialect: Dialect, *names: str) -> list[str]:
    return [dialect.placeholder(name) for name in names]


def insert_deliveries(
    dialect: Dialect,
    conn: Connection,
    deliveries: Sequence[Delivery],
    limit: int | None = None,
    failed_limit: int | None = None,
) -> None:
    """Write outbox rows; past ``limit`` pending per callback, fail the oldest.

    Args:
        dialect: the engine's rules.
        conn: a connection inside the write's transaction.
        deliveries: the rows to write.
        limit: the most pending deliveries per callback (``None``: no limit).
        failed_limit: the most failed deliveries per callback kept when the
            pending limit fails some (``None``: no limit); see :func:`trim_failed`.
    """
    if not deliveries:
        return
    # by callback (each one's order kept): PostgreSQL's writers lock heads in order
    deliveries = sorted(deliveries, key=lambda d: d.callback)
    names = DELIVERY_COLUMNS.split(", ")
    dialect.executemany(
        conn,
        f"INSERT INTO {DELIVERIES} ({DELIVERY_COLUMNS}) "  # noqa: S608 - constants
        f"VALUES ({', '.join(_names(dialect, *names))})",
        [
            {
                "id": d.id,
                "subscription_id": d.subscription_id,
                "callback": d.callback,
                "event": dialect.dump_event(d.event),
                "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at,
                "state": d.state,
                "last_error": d.last_error,
            }
            for d in deliveries
        ],
    )
    if limit is not None:
        for callback in dict.fromkeys(d.callback for d in deliveries):
            trim(dialect, conn, callback, limit, failed_limit)


def trim(
    dialect: Dialect,
    conn: Connection,
    callback: str,
    limit: int,
    failed_limit: int | None = None,
) -> None:
    """Fail the oldest pending deliveries of a callback beyond the newest ``limit``.

    One index range of ``limit`` entries (the ``(state, callback, seq)`` index); a
    delivery being sent now (locked, on PostgreSQL) is left to its dispatcher.
    When that failed some, the callback's failed deliveries are then trimmed to
    ``failed_limit`` (:func:`trim_failed`; ``None``: all are kept): a write that
    fails nothing does not pay for the walk of that index range.
    """
    cb, most, reason = _names(dialect, "callback", "limit", "reason")
    cursor = conn.execute(
        f"UPDATE {DELIVERIES} SET state = 'failed', last_error = {reason} "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {DELIVERIES} WHERE state = 'pending' "
        f"AND callback = {cb} AND seq <= (SELECT seq FROM {DELIVERIES} "
        f"WHERE state = 'pending' AND callback = {cb} ORDER BY seq DESC "
        f"LIMIT 1 OFFSET {most}){dialect.skip_locked})",
        {"callback": callback, "limit": limit, "reason": TRIMMED},
    )
    if failed_limit is not None and cursor.rowcount > 0:
        trim_failed(dialect, conn, callback, failed_limit)


def trim_failed(dialect: Dialect, conn: Connection, callback: str, limit: int) -> None:
    """Delete the oldest failed deliveries of a callback beyond the newest ``limit``.

    Called in the transaction that fails deliveries (the pending limit of
    :func:`trim`, the give-up of :func:`record` and :func:`fail_behind`), so a dead
    callback keeps at most ``limit`` failed rows however long it stays dead; ``0``
    keeps none. One index range of ``limit`` entries: SQLite's ``(state, callback,
    seq)`` index, PostgreSQL's partial ``(callback, seq) WHERE state = 'failed'``
    one. A row another transaction is deleting (locked, on PostgreSQL) is skipped
    rather than waited for.

    Args:
        dialect: the engine's rules.
        conn: a connection inside the caller's transaction.
        callback: the callback whose failed deliveries are trimmed.
        limit: how many of its newest failed deliveries stay (0 or more).
    """
    cb, most = _names(dialect, "callback", "limit")
    conn.execute(
        f"DELETE FROM {DELIVERIES} WHERE id IN (SELECT id FROM {DELIVERIES} "  # noqa: S608
        f"WHERE state = 'failed' AND callback = {cb} AND seq <= (SELECT seq "
        f"FROM {DELIVERIES} WHERE state = 'failed' AND callback = {cb} "
        f"ORDER BY seq DESC LIMIT 1 OFFSET {most}){dialect.skip_locked})",
        {"callback": callback, "limit": limit},
    )


def row_to_delivery(dialect: Dialect, row: Sequence[Any]) -> Delivery:
    """Turn a selected row (columns in ``DELIVERY_COLUMNS`` order) into a Delivery."""
    return Delivery(
        id=row[0],
        subscription_id=row[1],
        callback=row[2],
        event=dialect.load_document(row[3]),
        attempts=row[4],
        next_attempt_at=row[5],
        state=row[6],
        last_error=row[7],
    )


def due(dialect: Dialect, conn: Connection, now: float, limit: int) -> list[Delivery]:
    """The oldest pending delivery of each callback, when its time has come (SQLite).

    Reads ``event_delivery_head`` (each callback's oldest pending delivery, kept by
    SQLite's triggers) through its ``(next_attempt_at, seq)`` index: the cost grows
    with the heads that are due, not with the callbacks nor the pending deliveries.
    PostgreSQL's dispatchers read theirs their own way (its ``_outbox`` module).
    """
    now_at, most = _names(dialect, "now", "limit")
    columns = ", ".join(f"d.{name}" for name in DELIVERY_COLUMNS.split(", "))
    rows = conn.execute(
        f"SELECT {columns} FROM {DELIVERY_HEADS} AS h JOIN {DELIVERIES} AS d "  # noqa: S608
        f"ON d.seq = h.seq WHERE h.next_attempt_at <= {now_at} "
        f"ORDER BY h.seq LIMIT {most}",
        {"now": now, "limit": limit},
    ).fetchall()
    return [row_to_delivery(dialect, row) for row in rows]


def claim(
    dialect: Dialect, conn: Connection, delivery_id: str, now: float, until: float
) -> bool:
    """Claim a delivery for one attempt: push its due time to ``until``.

    Only a delivery still pending, due at ``now`` and the oldest pending one of its
    callback is claimed; a claimed one is not due for anyone else (another
    dispatcher process on the same file) until ``until``, when one that died
    mid-attempt is sent again. The outcome's record replaces the claim.

    Returns:
        Whether this call claimed it.
    """
    id, at, until_at = _names(dialect, "id", "now", "until")
    cursor = conn.execute(
        f"UPDATE {DELIVERIES} SET next_attempt_at = {until_at} "  # noqa: S608
        f"WHERE id = {id} AND state = 'pending' AND next_attempt_at <= {at} "
        f"AND seq = (SELECT min(seq) FROM {DELIVERIES} AS o "
        f"WHERE o.state = 'pending' AND o.callback = {DELIVERIES}.callback)",
        {"id": delivery_id, "now": now, "until": until},
    )
    return bool(cursor.rowcount == 1)


def record(
    dialect: Dialect,
    conn: Connection,
    delivery_id: str,
    delivered: bool,
    next_attempt_at: float | None,
    error: str | None,
    failed_limit: int | None = None,
) -> None:
    """Remove a delivered row, or count a failed attempt (and maybe give up).

    Args:
        dialect: the engine's rules.
        conn: a connection inside the caller's transaction.
        delivery_id: the delivery attempted.
        delivered: the subscriber accepted it: the row goes.
        next_attempt_at: when to retry (seconds since the epoch); ``None`` (and
            not delivered): give up, failing the delivery and those queued behind
            it (:func:`fail_behind`).
        error: why the attempt failed.
        failed_limit: on giving up, the most failed deliveries its callback keeps
            (:func:`trim_failed`; ``None``: all).
    """
    id, at, state, last_error = _names(dialect, "id", "at", "state", "error")
    if delivered:
        conn.execute(
            f"DELETE FROM {DELIVERIES} WHERE id = {id}",  # noqa: S608 - constants
            {"id": delivery_id},
        )
        return
    conn.execute(
        f"UPDATE {DELIVERIES} SET attempts = attempts + 1, "  # noqa: S608 - constants
        f"next_attempt_at = coalesce({at}, next_attempt_at), state = {state}, "
        f"last_error = {last_error} WHERE id = {id}",
        {
            "at": next_attempt_at,
            "state": "pending" if next_attempt_at is not None else "failed",
            "error": error,
            "id": delivery_id,
        },
    )
    if next_attempt_at is None:
        fail_behind(dialect, conn, delivery_id, failed_limit)


def fail_behind(
    dialect: Dialect,
    conn: Connection,
    delivery_id: str,
    failed_limit: int | None = None,
) -> None:
    """Fail every pending delivery queued behind one that failed for good.

    A callback whose oldest event gave up is down for good as far as the outbox
    knows: the events queued behind it are failed at once (kept, listed by
    ``failed_deliveries``, up to ``failed_limit`` per callback: the newest failed
    stay, :func:`trim_failed`) instead of each taking every attempt in turn for
    hours. Events raised later are queued and attempted as usual.
    """
    id, reason = _names(dialect, "id", "reason")
    conn.execute(
        f"UPDATE {DELIVERIES} SET state = 'failed', last_error = {reason} "  # noqa: S608
        f"WHERE id IN (SELECT later.id FROM {DELIVERIES} AS later "
        f"JOIN {DELIVERIES} AS head ON head.id = {id} "
        "WHERE later.state = 'pending' AND later.callback = head.callback "
        f"AND later.seq > head.seq{dialect.skip_locked})",
        {"id": delivery_id, "reason": FAILED_BEHIND},
    )
    if failed_limit is not None:
        row = conn.execute(
            f"SELECT callback FROM {DELIVERIES} WHERE id = {id}",  # noqa: S608
            {"id": delivery_id},
        ).fetchone()
        if row is not None:
            trim_failed(dialect, conn, row[0], failed_limit)


def failed(dialect: Dialect, conn: Connection) -> list[Delivery]:
    """Deliveries that failed for good, oldest first."""
    rows = conn.execute(
        f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERIES} "  # noqa: S608 - constants
        "WHERE state = 'failed' ORDER BY seq",
        {},
    ).fetchall()
    return [row_to_delivery(dialect, row) for row in rows]


def stats(dialect: Dialect, conn: Connection) -> OutboxStats:
    """The outbox's pending and failed counts and its oldest pending event's time.

    One count grouped by state, and the first pending row in ``seq`` order (the
    primary key: delivered rows are gone, so it is found near the start).
    """
    counts = dict(
        conn.execute(
            f"SELECT state, count(*) FROM {DELIVERIES} GROUP BY state",  # noqa: S608
            {},
        ).fetchall()
    )
    row = conn.execute(
        f"SELECT event FROM {DELIVERIES} WHERE state = 'pending' "  # noqa: S608
        "ORDER BY seq LIMIT 1",
        {},
    ).fetchone()
    oldest = None if row is None else event_time(dialect.load_document(row[0]))
    return OutboxStats(
        int(counts.get("pending", 0)), int(counts.get("failed", 0)), oldest
    )
