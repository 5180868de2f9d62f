"""The check that a SQL store's schema is the version this tmf683 writes."""

from __future__ import annotations

from tmf683._errors import StoreUnavailableError
from tmf683.storage._sql.dialect import Connection


def check_schema(conn: Connection, sql: str, expected: int, name: str) -> None:
    """Raise unless the stored schema version (``sql`` reads it) is ``expected``.

    Args:
        conn: a connection to the store.
        sql: a constant statement answering one row with the version.
        expected: the store's ``SCHEMA_VERSION``.
        name: the store, for the message (a safe location).

    Raises:
        StoreUnavailableError: the version differs (an older or a newer tmf683
            wrote the schema since this process opened the store).
    """
    row = conn.execute(sql, {}).fetchone()
    found = None if row is None or row[0] is None else int(row[0])
    if found != expected:
        raise StoreUnavailableError(
            f"{name} has schema version {found}; this tmf683 writes {expected}"
        )
