"""One dispatcher among processes on a store: the locks and the election."""

from __future__ import annotations

import os

import falcon.testing
import psycopg
import pytest

from tests.conftest import MINIMAL
from tests.waiting import wait_for
from tmf683 import (
    Dispatcher,
    ElectedDispatcher,
    MemoryStore,
    PostgresStore,
    SQLiteStore,
    dispatcher_lock,
)
from tmf683.events.election import AdvisoryLock, FileLock, ProcessLock
from tmf683_falcon import gunicorn_conf, wsgi
from tmf683_falcon.runtime import StartupError


def test_each_store_gets_its_kind_of_lock(tmp_path, postgres_url):
    sqlite = SQLiteStore(tmp_path / "s.db")
    postgres = PostgresStore(postgres_url)
    try:
        lock = dispatcher_lock(sqlite)
        assert isinstance(lock, FileLock)
        assert lock.path == tmp_path / "s.db-dispatcher.lock"
        assert isinstance(dispatcher_lock(postgres), AdvisoryLock)
        assert isinstance(dispatcher_lock(MemoryStore()), ProcessLock)
    finally:
        sqlite.close()
        postgres.close()


def pair(kind, tmp_path, postgres_databases):
    if kind == "file":
        path = tmp_path / "x.db-dispatcher.lock"
        return FileLock(path), FileLock(path)
    url = postgres_databases.create()
    return AdvisoryLock(url), AdvisoryLock(url)


@pytest.mark.parametrize("kind", ["file", "advisory"])
def test_one_holder_at_a_time_until_it_lets_go(kind, tmp_path, postgres_databases):
    first, second = pair(kind, tmp_path, postgres_databases)
    try:
        assert first.acquire()
        assert first.acquire()  # again: still held
        assert not second.acquire()
        assert first.held()
        assert not second.held()
        first.release()
        assert not first.held()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


def test_a_lost_lock_connection_is_a_lost_lock(postgres_databases):
    url = postgres_databases.create()
    lock = AdvisoryLock(url)
    assert lock.acquire()
    pid = lock._connection.info.backend_pid  # the lock holder's session
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert not lock.held()
    other = AdvisoryLock(url)
    try:  # the terminated session's lock goes as its server process ends
        wait_for(other.acquire)
    finally:
        other.release()


def elected(store, lock):
    return ElectedDispatcher(lambda: Dispatcher(store), lock, retry_seconds=0.05)


def test_the_standby_takes_over_when_the_holder_closes(tmp_path):
    store = MemoryStore()
    path = tmp_path / "db-dispatcher.lock"
    first, second = elected(store, FileLock(path)), elected(store, FileLock(path))
    try:
        assert first.is_alive() is None  # not started
        first.start()
        wait_for(lambda: first.is_alive())
        second.start()
        wait_for(lambda: second.lock.acquire is not None)  # its thread runs
        assert second.is_alive() is None
        assert not second.holds_lock()
        first.close(5)
        assert first.is_alive() is None
        wait_for(lambda: second.is_alive())
        with pytest.raises(RuntimeError, match="closed"):
            first.start()
    finally:
        first.close(5)
        second.close(5)


def test_the_wsgi_application_builds_in_the_process_that_serves(monkeypatch):
    monkeypatch.setenv("TMF683_DB", "memory:")
    monkeypatch.setenv("TMF683_MAX_PAGE_SIZE", "1")
    application = wsgi.Application()
    assert application._runtime is None  # nothing at import or construction
    client = falcon.testing.TestClient(application, headers={"Host": "localhost"})
    path = "/tmf-api/partyInteraction/v4/partyInteraction"
    try:
        for _ in range(2):
            assert client.simulate_post(path, json=MINIMAL).status_code == 201
        listed = client.simulate_get(path)
        assert (len(listed.json), listed.headers["X-Total-Count"]) == (1, "2")
        wait_for(lambda: application.dispatcher.is_alive())  # memory: always held
    finally:
        application.close()
    assert application._runtime is None
    try:  # built again on the next use
        wait_for(lambda: application.dispatcher.is_alive())
    finally:
        application.close()


def test_a_forked_process_builds_its_own_runtime(monkeypatch):
    monkeypatch.setenv("TMF683_DB", "memory:")
    application = wsgi.Application()
    parent = application.runtime()
    pid = os.getpid()
    try:
        monkeypatch.setattr(os, "getpid", lambda: pid + 1)  # as after a fork
        child = application.runtime()
        assert child is not parent
        assert child.store is not parent.store
        assert application.runtime() is child
        application.close()
        child_closed = child._closed
    finally:
        monkeypatch.setattr(os, "getpid", lambda: pid)
        parent.close()
    assert child_closed


def test_the_wsgi_application_refuses_a_bad_variable(monkeypatch, capsys):
    monkeypatch.setenv("TMF683_MAX_PAGE_SIZE", "none")
    with pytest.raises(StartupError, match="not usable"):
        wsgi.Application()
    assert "environment variable TMF683_MAX_PAGE_SIZE='none'" in capsys.readouterr().err


def test_no_dispatcher_keeps_a_wsgi_process_out_of_the_election(monkeypatch):
    monkeypatch.setenv("TMF683_DB", "memory:")
    monkeypatch.setenv("TMF683_NO_DISPATCHER", "yes")
    application = wsgi.Application()
    try:
        assert application.dispatcher.is_alive() is None
        assert application.dispatcher._thread is None
    finally:
        application.close()


class FakeWorker:
    pid = 424242


def test_the_gunicorn_hooks_build_and_close_the_workers_runtime(monkeypatch):
    monkeypatch.setenv("TMF683_DB", "memory:")
    application = wsgi.Application()
    monkeypatch.setattr(wsgi, "application", application)
    gunicorn_conf.post_worker_init(FakeWorker())
    runtime = application._runtime
    assert runtime is not None
    gunicorn_conf.worker_exit(None, FakeWorker())
    assert application._runtime is None
    assert runtime._closed
    assert gunicorn_conf.wsgi_app == "tmf683_falcon.wsgi:application"


def test_child_exit_marks_a_dead_workers_metrics_only_in_multiprocess_mode(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    (tmp_path / f"gauge_livesum_{FakeWorker.pid}.db").write_bytes(b"")
    gunicorn_conf.child_exit(None, FakeWorker())  # nothing to do
    assert (tmp_path / f"gauge_livesum_{FakeWorker.pid}.db").exists()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gunicorn_conf.child_exit(None, FakeWorker())
    assert not (tmp_path / f"gauge_livesum_{FakeWorker.pid}.db").exists()


def test_a_database_that_refuses_the_lock_is_tried_again(caplog):
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lock = AdvisoryLock(
        f"postgresql://postgres@127.0.0.1:{port}/none?connect_timeout=2"
    )
    made: list[Dispatcher] = []

    def make() -> Dispatcher:  # never called: the lock is never taken
        made.append(Dispatcher(MemoryStore()))
        return made[-1]

    elected = ElectedDispatcher(make, lock, retry_seconds=0.05)
    with caplog.at_level("WARNING", logger="tmf683.dispatcher"):
        elected.start()
        try:

            def failures() -> int:
                return sum("election failed" in r.message for r in caplog.records)

            wait_for(lambda: failures() >= 2, 20)
            assert elected.is_alive() is None  # runs none, and keeps trying
        finally:
            elected.close(5)
    assert made == []
