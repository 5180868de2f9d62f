"""``/health`` and ``/ready``: the probes of tmf683-server and ``create_app`` apps.

``/ready`` fails for real causes: a SQLite file moved away, a schema version
changed by another release, PostgreSQL refusing connections or holding a lock
the check waits on, a dispatcher thread that died.

Over real HTTP against the server of the suite (both versions served); the probe's
answer with the store unreachable is in ``test_contract_details.py``, while
expensive queries run in ``test_limits.py``, and without a token in
``test_auth_http.py``.
"""

from __future__ import annotations

import contextlib
import sqlite3

import httpx
import psycopg
import pytest

from tests import postgres
from tests.conftest import MINIMAL
from tests.servers import ServerProcess
from tests.waiting import wait_for
from tests.wsgi import serving
from tmf683 import (
    DEFAULT_BASE_PATH,
    Dispatcher,
    MemoryStore,
    PartyInteractionService,
    PostgresStore,
    SQLiteStore,
)
from tmf683_falcon import create_app, mount


def test_health_answers_pass_as_health_json(server):
    response = httpx.get(f"{server.root}/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/health+json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {"status": "pass"}


def test_head_health_answers_without_a_body(server):
    response = httpx.head(f"{server.root}/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/health+json"
    assert response.content == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_health_takes_only_get_and_head(server, method):
    response = httpx.request(method, f"{server.root}/health")
    assert response.status_code == 405
    assert response.json()["status"] == "405"  # a TMF Error body
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {
        "GET",
        "HEAD",
    }


def test_health_is_at_the_root_not_under_an_api(server):
    for base in server.bases.values():
        assert httpx.get(f"{base}health").status_code == 404


def test_create_app_has_the_probe_and_mount_leaves_it_to_the_host():
    import falcon

    service = PartyInteractionService(MemoryStore())
    host = falcon.App()
    mount(host, service)
    with serving(create_app(service)) as made, serving(host) as mounted:
        assert httpx.get(f"{made}/health").json() == {"status": "pass"}
        assert httpx.get(f"{mounted}/health").status_code == 404
        assert httpx.get(f"{mounted}{DEFAULT_BASE_PATH}/partyInteraction").json() == []


# -- /ready: readiness -----------------------------------------------------------


def _ready(root: str) -> httpx.Response:
    response = httpx.get(f"{root}/ready", timeout=30.0)
    assert response.headers["Content-Type"] == "application/health+json"
    assert response.headers["Cache-Control"] == "no-store"
    return response


def test_ready_passes_with_the_store_and_the_dispatcher_of_the_server(server):
    response = _ready(server.root)
    assert response.status_code == 200
    assert response.json() == {
        "status": "pass",
        "checks": {
            "store:responsive": [{"status": "pass"}],
            "dispatcher:alive": [{"status": "pass"}],
        },
    }
    head = httpx.head(f"{server.root}/ready")
    assert (head.status_code, head.content) == (200, b"")
    assert httpx.post(f"{server.root}/ready").status_code == 405


def test_ready_checks_no_dispatcher_where_the_process_runs_none(tmp_path):
    with ServerProcess("--db", str(tmp_path / "r.db"), "--no-dispatcher") as server:
        response = _ready(server.root)
        assert response.status_code == 200
        assert response.json()["checks"] == {"store:responsive": [{"status": "pass"}]}


def test_ready_fails_while_the_sqlite_file_is_gone_and_passes_when_back(tmp_path):
    db = tmp_path / "r.db"
    with ServerProcess("--db", str(db), "--no-dispatcher") as server:
        assert _ready(server.root).status_code == 200
        db.rename(tmp_path / "moved.db")  # the server's connections keep the inode
        try:
            response = _ready(server.root)
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "fail"
            assert str(db) in body["output"]
            assert body["checks"]["store:responsive"][0]["status"] == "fail"
            # liveness is another question: the process answers
            assert httpx.get(f"{server.root}/health").status_code == 200
        finally:
            (tmp_path / "moved.db").rename(db)
        assert _ready(server.root).status_code == 200


def test_ready_fails_when_another_release_changed_the_schema_version(tmp_path):
    db = tmp_path / "r.db"
    with ServerProcess("--db", str(db), "--no-dispatcher") as server:
        with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            conn.execute("PRAGMA user_version = 99")
            response = _ready(server.root)
            assert response.status_code == 503
            assert "schema version 99" in response.json()["output"]
            assert f"writes {version}" in response.json()["output"]
            conn.execute(f"PRAGMA user_version = {version}")
        assert _ready(server.root).status_code == 200


def test_ready_fails_when_postgresql_refuses_connections(postgres_databases):
    url = postgres_databases.create()
    name = postgres.database_name(url)
    admin = postgres_databases.admin_url
    with ServerProcess("--db", url, "--no-dispatcher") as server:
        assert _ready(server.root).status_code == 200
        postgres.allow_connections(admin, name, allowed=False)
        try:
            response = _ready(server.root)
            assert response.status_code == 503, response.text
            assert response.json()["status"] == "fail"
            assert name in response.json()["output"]
        finally:
            postgres.allow_connections(admin, name, allowed=True)
        wait_for(lambda: _ready(server.root).status_code == 200, 30.0)


def test_ready_fails_when_a_postgresql_lock_hangs_the_check(postgres_databases):
    url = postgres_databases.create()
    store = PostgresStore(url)
    app = create_app(PartyInteractionService(store), ready_timeout=0.5)
    try:
        with serving(app) as root, psycopg.connect(url) as locker:
            assert _ready(root).status_code == 200
            locker.execute("LOCK TABLE tmf683_schema IN ACCESS EXCLUSIVE MODE")
            response = _ready(root)  # its statement waits on the lock until cut off
            assert response.status_code == 503
            output = response.json()["output"]
            # cut off by PostgreSQL's statement_timeout, or by the probe's deadline
            assert "statement timeout" in output or "within 0.5 s" in output
            locker.rollback()
            wait_for(lambda: _ready(root).status_code == 200)
    finally:
        store.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_ready_fails_when_the_dispatcher_thread_died(tmp_path):
    store = SQLiteStore(tmp_path / "r.db")
    service = PartyInteractionService(store)

    def post(url: str, event: object, timeout: float) -> None:
        raise SystemExit  # not an Exception: ends the worker thread that runs it

    dispatcher = Dispatcher(store, post=post, workers=1)
    app = create_app(service, dispatcher=dispatcher)
    try:
        with serving(app) as root:
            dispatcher.start(poll_interval=0.05)
            assert _ready(root).status_code == 200
            service.events.register({"callback": "http://127.0.0.1:9/listener"})
            service.create(MINIMAL)
            wait_for(lambda: not dispatcher.is_alive())
            response = _ready(root)
            assert response.status_code == 503
            body = response.json()
            assert body["output"] == "the event dispatcher is not running"
            assert body["checks"]["store:responsive"] == [{"status": "pass"}]
            assert body["checks"]["dispatcher:alive"][0]["status"] == "fail"
    finally:
        dispatcher.close()
        store.close()


def test_ready_fails_once_the_dispatcher_is_closed():
    store = MemoryStore()
    dispatcher = Dispatcher(store).start()
    with serving(
        create_app(PartyInteractionService(store), dispatcher=dispatcher)
    ) as root:
        assert _ready(root).status_code == 200
        dispatcher.close()
        assert _ready(root).status_code == 503


@pytest.mark.parametrize("alive", [None, True, False])
def test_ready_takes_any_object_that_says_whether_it_is_alive(alive: bool | None):
    class Elsewhere:
        def is_alive(self) -> bool | None:
            return alive

    app = create_app(PartyInteractionService(MemoryStore()), dispatcher=Elsewhere())
    with serving(app) as root:
        response = _ready(root)
        assert response.status_code == (503 if alive is False else 200)
        assert ("dispatcher:alive" in response.json()["checks"]) is (alive is not None)


def test_store_check_ready_on_every_store(store):
    store.check_ready(2.0)  # raises StoreUnavailableError when not ready
