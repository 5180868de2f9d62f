"""Fresh PostgreSQL databases for tests, dropped at the end of the session.

The server is ``TMF683_TEST_POSTGRES`` (an admin ``postgresql://`` URL), else the
local one at 127.0.0.1:5432 as user ``postgres``. Where none answers, the PostgreSQL
tests skip and say so, unless ``TMF683_REQUIRE_POSTGRES=1`` (set by ``.ci/run``):
then they fail.
"""

from __future__ import annotations

import os
import urllib.parse
import uuid

import psycopg
import pytest
from psycopg import sql

ADMIN_URL = os.environ.get(
    "TMF683_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRED = os.environ.get("TMF683_REQUIRE_POSTGRES") == "1"
TABLES = (
    "party_interaction",
    "party_interaction_reference",
    "party_interaction_leaf",
    "party_interaction_text",
    "event_delivery",
    "event_delivery_head",
    "event_delivery_head_check",
    "event_subscription",
)


class Databases:
    """Creates databases named ``tmf683_test_<random>`` and drops them all at close."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []
        try:
            with psycopg.connect(admin_url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            reason = (
                f"no PostgreSQL answers at {admin_url.split('@')[-1]} ({exc}); "
                "set TMF683_TEST_POSTGRES to an admin URL to run these tests"
            )
            if REQUIRED:
                pytest.fail(f"{reason}; TMF683_REQUIRE_POSTGRES=1 makes this a failure")
            pytest.skip(reason)

    def create(self) -> str:
        """Create an empty database; return its URL."""
        name = f"tmf683_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return urllib.parse.urlsplit(self.admin_url)._replace(path=f"/{name}").geturl()

    def close(self) -> None:
        """Drop every database this created (closing their open connections)."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(name)
                    )
                )
        self.created.clear()


def empty(url: str) -> None:
    """Delete every row of the tmf683 tables, where they exist."""
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename = ANY(%s)", [list(TABLES)]
        ).fetchall()
        if found:
            conn.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                    sql.SQL(", ").join(sql.Identifier(row[0]) for row in found)
                )
            )


def database_name(url: str) -> str:
    """The database name of a PostgreSQL URL."""
    return str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])


def allow_connections(admin_url: str, name: str, allowed: bool) -> None:
    """Let connections into a database again, or refuse them and end the open ones.

    A real outage as a server sees it: its pooled connections break and no new one
    opens (``FATAL: database ... is not currently accepting connections``).
    """
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.SQL("true" if allowed else "false")
            )
        )
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )


def delete_documents(conn: psycopg.Connection) -> None:
    """Delete every stored document and its leaf rows (the store's own deletes
    do both; the leaf table has no foreign key to cascade from)."""
    conn.execute("DELETE FROM party_interaction")
    conn.execute("DELETE FROM party_interaction_leaf")
