"""The PostgreSQL store on a database whose default isolation is not READ COMMITTED.

An operator may set ``default_transaction_isolation`` (``ALTER DATABASE ... SET``,
``postgresql.conf``, a role setting). The store's reasoning is READ COMMITTED's:
the kept count's folds run only there, the schema upgrade's ``count(*)`` must see
the rows committed while it waited for its lock, and the outbox's head resets read
the deliveries committed before their lock. At REPEATABLE READ by default, the
kept count grew by one row per write statement forever, and an upgrade from
version 8 missed the rows an old server committed while it waited for the
upgrade lock: ``X-Total-Count`` stayed wrong for good.
"""

from __future__ import annotations

import threading
import urllib.parse

import psycopg
import pytest
from psycopg import sql

from tmf683 import PostgresStore, parse_query
from tmf683.storage.postgres._counts import COMPACT_EVERY, COUNT_TABLE, COUNTED
from tmf683.storage.postgres._schema import _LOCK_KEY

from .waiting import wait_for


@pytest.fixture(params=["repeatable read", "serializable"])
def url(request, postgres_databases):
    url = postgres_databases.create()
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(postgres_databases.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET default_transaction_isolation = {}").format(
                sql.Identifier(name), sql.Literal(request.param)
            )
        )
    return url


def _both(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        kept = conn.execute(COUNTED).fetchone()
        counted = conn.execute("SELECT count(*) FROM party_interaction").fetchone()
    assert kept is not None
    assert counted is not None
    return int(kept[0]), int(counted[0])


def test_the_kept_count_folds_under_another_default_isolation(url):
    store = PostgresStore(url)
    try:
        for n in range(3 * COMPACT_EVERY):
            store.add({"id": f"A{n}"})
        for n in range(0, 3 * COMPACT_EVERY, 2):
            store.delete(f"A{n}")
        assert store.find(parse_query("limit=1")).total_count == 96
    finally:
        store.close()
    assert _both(url) == (96, 96)
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {COUNT_TABLE}").fetchone()
    assert row is not None
    assert row[0] <= COMPACT_EVERY + 1  # folded, not one row per write


def _as_version_8(url: str) -> None:
    with psycopg.connect(url) as conn:
        for trigger in ("added", "removed", "emptied"):
            conn.execute(f"DROP TRIGGER {COUNT_TABLE}_{trigger} ON party_interaction")
        conn.execute(f"DROP FUNCTION {COUNT_TABLE}_move()")
        conn.execute(f"DROP TABLE {COUNT_TABLE}")
        conn.execute("UPDATE tmf683_schema SET version = 8")


def test_an_upgrade_counts_rows_committed_while_it_waited(url):
    """An old server commits a row while the upgrade waits for its lock."""
    PostgresStore(url).close()
    _as_version_8(url)
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])

        def upgrade() -> None:
            try:
                stores.append(PostgresStore(url))
            except BaseException as exc:  # reported by the test
                errors.append(exc)

        thread = threading.Thread(target=upgrade)
        thread.start()
        try:

            def waiting() -> bool:
                row = holder.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND NOT granted"
                ).fetchone()
                return row is not None and row[0] > 0

            wait_for(waiting, timeout=30)
            with psycopg.connect(url, autocommit=True) as old:  # version 8's write
                old.execute(
                    "INSERT INTO party_interaction (id, document, document_text) "
                    "VALUES ('old', '{}', '{}')"
                )
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])
            thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == []
    try:
        assert _both(url) == (1, 1)
        assert stores[0].find(parse_query("limit=1")).total_count == 1
    finally:
        for store in stores:
            store.close()
