"""Hub subscriptions in SQL, for both engines: their rows and their generation.

``event_subscription`` keeps one row per hub subscription (its document as JSON);
``event_subscription_generation`` moves on every change of it, so a publisher knows
when to read the subscriptions again. Every function runs inside the caller's
transaction; the dialect supplies the placeholders and the column encodings. SQL
text here is built from module constants only. The outbox of their deliveries is
:mod:`tmf683.storage._sql.outbox`.
"""

from __future__ import annotations

from tmf683._errors import SubscriptionLimitError
from tmf683.storage._sql.dialect import Connection, Dialect
from tmf683.storage._sql.tables import DELIVERIES, GENERATION, SUBSCRIPTIONS
from tmf683.storage.base import Document


def check_room(dialect: Dialect, conn: Connection, limit: int) -> None:
    """Raise SubscriptionLimitError when ``limit`` subscriptions exist.

    The dialect's ``lock_subscriptions`` makes concurrent registrations wait for
    each other (SQLite's write transaction does already), so the count holds until
    the caller's insert commits.
    """
    if dialect.lock_subscriptions:
        conn.execute(dialect.lock_subscriptions, {})
    (count,) = conn.execute(
        f"SELECT count(*) FROM {SUBSCRIPTIONS}",  # noqa: S608 - constant
        {},
    ).fetchone()
    if count >= limit:
        raise SubscriptionLimitError(limit)


def add_subscription(
    dialect: Dialect, conn: Connection, subscription: Document
) -> None:
    """Write a subscription row (a taken id raises the driver's integrity error)."""
    id, document = dialect.placeholder("id"), dialect.placeholder("document")
    conn.execute(
        f"INSERT INTO {SUBSCRIPTIONS} (id, document) "  # noqa: S608 - constants
        f"VALUES ({id}, {dialect.cast(document, 'jsonb')})",
        {"id": subscription["id"], "document": dialect.dump_document(subscription)},
    )


def read_one(
    dialect: Dialect, conn: Connection, table: str, id: str
) -> Document | None:
    """The document of the row with that id in ``table`` (a module constant)."""
    row = conn.execute(
        f"SELECT document FROM {table} WHERE id = {dialect.placeholder('id')}",  # noqa: S608
        {"id": id},
    ).fetchone()
    return None if row is None else dialect.load_document(row[0])


def subscriptions(dialect: Dialect, conn: Connection) -> list[Document]:
    """Every subscription, in registration order."""
    rows = conn.execute(
        f"SELECT document FROM {SUBSCRIPTIONS} ORDER BY seq",  # noqa: S608 - constant
        {},
    ).fetchall()
    return [dialect.load_document(row[0]) for row in rows]


def generation(conn: Connection) -> int:
    """The subscriptions' generation (see ``tables.GENERATION``): one row read."""
    row = conn.execute(f"SELECT generation FROM {GENERATION}", {}).fetchone()  # noqa: S608
    return int(row[0])


def delete_subscription(dialect: Dialect, conn: Connection, id: str) -> bool:
    """Remove a subscription and its deliveries; tell whether it existed.

    With the dialect's ``skip_locked``, a delivery being sent now is left to its
    dispatcher, which finds the subscription gone and drops it (waiting for it
    could take as long as the send).
    """
    key = dialect.placeholder("id")
    cursor = conn.execute(
        f"DELETE FROM {SUBSCRIPTIONS} WHERE id = {key}",  # noqa: S608 - constant
        {"id": id},
    )
    conn.execute(
        f"DELETE FROM {DELIVERIES} WHERE id IN (SELECT id FROM {DELIVERIES} "  # noqa: S608
        f"WHERE subscription_id = {key}{dialect.skip_locked})",
        {"id": id},
    )
    return cursor.rowcount > 0
