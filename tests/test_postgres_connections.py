"""The check of a pooled PostgreSQL connection before use (``check_pooled``): no
round trip for an idle session, the real check for one with something to read, and
a broken one refused."""

import select

import psycopg
import pytest

from tests import postgres
from tests.waiting import wait_for
from tmf683.storage.postgres._connections import check_pooled


@pytest.fixture
def conn(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as opened:
        yield opened


def last_query(pid: int) -> str:
    """The last statement the backend ``pid`` received (``pg_stat_activity``)."""
    with psycopg.connect(postgres.ADMIN_URL, autocommit=True) as admin:
        row = admin.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_an_idle_connection_is_handed_out_without_a_round_trip(conn):
    conn.execute("SELECT 683")
    check_pooled(conn)
    assert last_query(conn.info.backend_pid) == "SELECT 683"


def test_a_connection_with_something_to_read_gets_the_real_check(conn, postgres_url):
    conn.execute("LISTEN h_writes_check")
    with psycopg.connect(postgres_url, autocommit=True) as other:
        other.execute("NOTIFY h_writes_check")
    arrived = select.poll()  # the backend sends the notification when it can
    arrived.register(conn.fileno(), select.POLLIN)
    assert arrived.poll(10_000), "the notification did not arrive within 10 s"
    check_pooled(conn)  # the notification is read; the session is fine
    assert last_query(conn.info.backend_pid) == ""  # psycopg's empty query
    conn.execute("UNLISTEN *")


def test_a_connection_the_server_ended_is_refused(conn):
    pid = conn.info.backend_pid
    with psycopg.connect(postgres.ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

        def gone() -> bool:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchone()
            return row is not None and row[0] == 0

        wait_for(gone)
    with pytest.raises(psycopg.OperationalError):
        check_pooled(conn)
    with pytest.raises(psycopg.OperationalError):
        check_pooled(conn)  # now closed: libpq knows without the socket
