"""SQLite's ``event_delivery_head`` (schema version 7), kept by triggers.

Each callback's oldest pending delivery and its due time, kept by triggers on
``event_delivery``. SQLite runs one write at a time, so the triggers see every
change in order; the due lookup reads the heads that are due from their index
(:func:`tmf683.storage._sql.outbox.due`). SQL text here is built from module
constants only.
"""

from __future__ import annotations

import sqlite_utils

from tmf683.storage._sql.tables import DELIVERIES, DELIVERY_HEADS

_PENDING_HEAD = (
    f"INSERT INTO {DELIVERY_HEADS} (callback, seq, next_attempt_at) "  # noqa: S608
    f"SELECT callback, seq, next_attempt_at FROM {DELIVERIES} WHERE state = "
    "'pending' AND callback = OLD.callback ORDER BY seq LIMIT 1 "
    "ON CONFLICT (callback) DO NOTHING;"
)
"""In a trigger: the head of ``OLD.callback`` again, when its row was removed."""
_NEW_HEAD = (
    f"INSERT INTO {DELIVERY_HEADS} (callback, seq, next_attempt_at) "  # noqa: S608
    "VALUES (NEW.callback, NEW.seq, NEW.next_attempt_at) ON CONFLICT (callback) "
    "DO UPDATE SET seq = excluded.seq, next_attempt_at = excluded.next_attempt_at "
    f"WHERE excluded.seq < {DELIVERY_HEADS}.seq;"
)
"""In a trigger: a pending ``NEW`` row is its callback's head if it is the oldest."""
_DROP_OLD_HEAD = (
    f"DELETE FROM {DELIVERY_HEADS} WHERE callback = OLD.callback AND seq = OLD.seq;"  # noqa: S608
)


def create_delivery_heads(db: sqlite_utils.Database) -> None:
    """The table of each callback's oldest pending delivery, and its triggers."""
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {DELIVERY_HEADS} (callback TEXT PRIMARY KEY, "
        "seq INTEGER NOT NULL, next_attempt_at REAL NOT NULL) WITHOUT ROWID"
    )
    db.execute(
        f"CREATE INDEX IF NOT EXISTS idx_{DELIVERY_HEADS}_due ON {DELIVERY_HEADS} "
        "(next_attempt_at, seq)"
    )
    db.execute(
        f"CREATE TRIGGER IF NOT EXISTS {DELIVERIES}_head_insert AFTER INSERT ON "
        f"{DELIVERIES} WHEN NEW.state = 'pending' BEGIN {_NEW_HEAD} END"
    )
    db.execute(
        f"CREATE TRIGGER IF NOT EXISTS {DELIVERIES}_head_delete AFTER DELETE ON "
        f"{DELIVERIES} WHEN OLD.state = 'pending' BEGIN {_DROP_OLD_HEAD} "
        f"{_PENDING_HEAD} END"
    )
    db.execute(
        f"CREATE TRIGGER IF NOT EXISTS {DELIVERIES}_head_update AFTER UPDATE OF "
        f"state, next_attempt_at, callback, seq ON {DELIVERIES} WHEN OLD.state = "
        f"'pending' BEGIN {_DROP_OLD_HEAD} {_PENDING_HEAD} END"
    )
    db.execute(
        f"CREATE TRIGGER IF NOT EXISTS {DELIVERIES}_head_pending AFTER UPDATE OF "
        f"state, next_attempt_at, callback, seq ON {DELIVERIES} WHEN NEW.state = "
        f"'pending' BEGIN {_NEW_HEAD} END"
    )
    db.execute(f"DELETE FROM {DELIVERY_HEADS}")  # noqa: S608 - constant
    db.execute(
        f"INSERT INTO {DELIVERY_HEADS} (callback, seq, next_attempt_at) "  # noqa: S608
        f"SELECT callback, seq, next_attempt_at FROM {DELIVERIES} AS d WHERE "
        f"state = 'pending' AND seq = (SELECT min(seq) FROM {DELIVERIES} WHERE "
        "state = 'pending' AND callback = d.callback)"
    )
