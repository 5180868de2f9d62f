"""The readiness check of a PostgreSQL store: the database answers, at our schema."""

from __future__ import annotations

import psycopg

from tmf683._errors import StoreUnavailableError
from tmf683.storage._sql import outbox as shared
from tmf683.storage.postgres._connections import Connections
from tmf683.storage.postgres._schema import SCHEMA_VERSION, VERSION_TABLE


def check_ready(connections: Connections, name: str, timeout: float) -> None:
    """Read the schema version on a pooled connection within ``timeout`` seconds.

    Args:
        connections: the store's pool.
        name: the database as messages may show it (no password).
        timeout: seconds for the wait for a connection, and again for the
            statement (its ``statement_timeout``).

    Raises:
        StoreUnavailableError: no connection in time, the database does not
            answer in time or answers with an error, or it has another schema
            version than ``SCHEMA_VERSION``; the message starts with ``name``.
    """
    try:
        with connections.transaction(wait=timeout) as conn:
            milliseconds = max(1, int(timeout * 1000))
            conn.execute(f"SET LOCAL statement_timeout = {milliseconds}")
            shared.check_schema(
                conn,
                f"SELECT max(version) FROM {VERSION_TABLE}",  # noqa: S608
                SCHEMA_VERSION,
                name,
            )
    except StoreUnavailableError as exc:
        if exc.message.startswith(name):
            raise
        raise StoreUnavailableError(f"{name}: {exc.message}") from exc
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        raise StoreUnavailableError(f"{name} cannot be read: {reason}") from exc
