"""The tmf683-server command as a user runs it: options, logging, stopping."""

import argparse
import signal
import subprocess
import sys

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.servers import ServerProcess, wait_for_exit
from tmf683 import MemoryStore, add_delivery_options, bound_outbox
from tmf683_falcon.__main__ import build_parser

pytestmark = pytest.mark.slow


def run_until_exit(*args):
    """Run the server command expected to exit by itself; return (code, stderr)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tmf683_falcon", *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    code = wait_for_exit(process, 20)
    if code is None:
        process.kill()
    return code, process.communicate(timeout=10)[1]


def post(base):
    response = httpx.post(f"{base}partyInteraction", json=MINIMAL, timeout=10)
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_logs_its_url_and_stops_cleanly(tmp_path, sig):
    server = ServerProcess("--db", str(tmp_path / "a.db"))
    assert server.base.startswith("http://127.0.0.1:")
    assert server.base.endswith("/tmf-api/partyInteraction/v4/")
    assert httpx.get(f"{server.base}partyInteraction", timeout=10).status_code == 200
    assert server.stop(sig) == 0
    assert "stopped" in server.log[-1]


def test_sqlite_file_is_created_and_survives_a_restart(tmp_path):
    db = tmp_path / "new" / "x.db"
    db.parent.mkdir()
    with ServerProcess("--db", f"sqlite:///{db}") as first:
        created = post(first.base)
    assert db.is_file()
    with ServerProcess("--db", str(db)) as second:
        response = httpx.get(
            f"{second.base}partyInteraction/{created['id']}", timeout=10
        )
        assert response.status_code == 200
        assert response.json()["creationDate"] == created["creationDate"]


def test_db_defaults_to_the_environment_variable(tmp_path):
    db = tmp_path / "env.db"
    with ServerProcess(env={"TMF683_DB": str(db)}) as server:
        post(server.base)
        assert f"(store: {db})" in "".join(server.log)
    assert db.is_file()


def test_memory_store_forgets_on_restart(tmp_path):
    with ServerProcess("--db", "memory:") as server:
        created = post(server.base)
        assert (
            httpx.get(f"{server.base}partyInteraction/{created['id']}").status_code
            == 200
        )
    with ServerProcess("--db", "memory:") as server:
        assert httpx.get(f"{server.base}partyInteraction").json() == []


def test_base_url_sets_href(tmp_path):
    with ServerProcess(
        "--db", "memory:", "--base-url", "https://api.example.com/"
    ) as s:
        created = post(s.base)
    assert created["href"] == (
        f"https://api.example.com/tmf-api/partyInteraction/v4/partyInteraction/{created['id']}"
    )


def test_max_page_size_lowers_limits():
    with ServerProcess("--db", "memory:", "--max-page-size", "2") as server:
        for _ in range(3):
            post(server.base)
        response = httpx.get(f"{server.base}partyInteraction?limit=100")
        assert len(response.json()) == 2
        assert response.headers["x-total-count"] == "3"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "postgresql://127.0.0.1:1/x"], "cannot be used as a PostgreSQL"),
        (["--db", "mysql://localhost/x"], "scheme 'mysql' is not supported"),
        (
            ["--db", "host=127.0.0.1 port=1 dbname=x password=s3cret"],
            "'host=127.0.0.1 port=1 dbname=x password=***': cannot be used as",
        ),
        (["--db", " "], "is empty"),
        (["--max-page-size", "0"], "at least 1"),
        (["--port", "99999"], "at most 65535"),
        (["--port", "eighty"], "not a whole number"),
        (["--threads", "0"], "at least 1"),
        (["--db", "/nonexistent/dir/x.db"], "cannot open the store"),
        (["--db", "NOT_SQLITE"], "cannot be opened as a SQLite database"),
        (["--max-attempts", "0"], "0 must be above 0"),
        (["--retry-first-delay", "soon"], "'soon' is not a number"),
        (["--max-failed-per-callback", "-1"], "-1 must be 0 or more"),
        (["--max-failed-per-callback", "many"], "'many' is not a whole number"),
    ],
)
def test_bad_options_exit_2_with_a_message(args, message, tmp_path):
    not_sqlite = tmp_path / "text.db"
    not_sqlite.write_text("this is not a database\n" * 100)
    args = [str(not_sqlite) if arg == "NOT_SQLITE" else arg for arg in args]
    code, stderr = run_until_exit("--port", "0", *args)
    assert code == 2
    assert message in stderr
    assert "s3cret" not in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "/nonexistent/dir/x.db"], "cannot open the store"),
        (["--max-attempts", "-1"], "-1 must be above 0"),
        (["--max-failed-per-callback", "-5"], "-5 must be 0 or more"),
    ],
)
def test_the_dispatcher_command_refuses_what_it_cannot_use(args, message):
    result = subprocess.run(
        [sys.executable, "-m", "tmf683.events.command", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("given", "kept"), [([], 10_000), (["--max-failed-per-callback", "0"], 0)]
)
def test_the_failed_limit_option_reaches_the_store(given, kept):
    """Both commands parse it (shared delivery options) and set it on the store."""
    dispatcher_parser = argparse.ArgumentParser()
    add_delivery_options(dispatcher_parser)
    for parser in (build_parser(), dispatcher_parser):
        store = MemoryStore()
        bound_outbox(store, parser.parse_args(["--max-failed-per-callback", "7"]))
        assert store.max_failed_per_callback == 7
        bound_outbox(store, parser.parse_args(given))
        assert store.max_failed_per_callback == kept


def test_console_script_help_lists_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "tmf683_falcon", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for option in ("--host", "--port", "--db", "--base-url", "TMF683_DB"):
        assert option in result.stdout


def test_a_taken_port_exits_2_with_a_message():
    with ServerProcess("--db", "memory:") as running:
        port = running.base.split(":")[2].split("/")[0]
        code, stderr = run_until_exit("--port", port, "--db", "memory:")
    assert code == 2
    assert f"cannot listen on 127.0.0.1 port {port}" in stderr
    assert "Traceback" not in stderr


def test_links_use_the_base_url_and_encode_operators():
    with ServerProcess("--db", "memory:", "--base-url", "https://api.example.com") as s:
        for _ in range(2):
            post(s.base)
        response = httpx.get(
            f"{s.base}partyInteraction?creationDate>=2020-01-01T00:00:00Z&limit=1"
        )
    link = response.headers["link"]
    assert link.startswith(
        "<https://api.example.com/tmf-api/partyInteraction/v4/partyInteraction?"
        'creationDate%3E=2020-01-01T00:00:00Z&offset=0&limit=1>; rel="first"'
    )
    assert 'offset=1&limit=1>; rel="next"' in link


def test_a_busy_server_does_not_flood_its_log():
    from concurrent.futures import ThreadPoolExecutor

    with ServerProcess("--db", "memory:", "--threads", "1") as server:
        with httpx.Client(timeout=10) as client, ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(
                    lambda _: client.get(f"{server.base}partyInteraction").status_code,
                    range(200),
                )
            )
        server.stop()
    assert statuses == [200] * 200
    assert not any("Task queue depth" in line for line in server.log)


def test_passwords_in_store_urls_never_reach_the_log(postgres_databases, tmp_path):
    url = postgres_databases.create().replace("postgres@", "postgres:s3cret@", 1)
    with ServerProcess("--db", url + "?password=s3cret&application_name=t") as server:
        assert httpx.get(f"{server.base}partyInteraction").status_code == 200
    log = "".join(server.log)
    assert "(store: postgresql://postgres:***@" in log
    assert "password=***" in log
    assert "s3cret" not in log


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("postgresql://u:pw@h:5/d", "postgresql://u:***@h:5/d"),
        (
            "postgres://u@h/d?sslmode=require&password=pw",
            "postgres://u@h/d?sslmode=require&password=***",
        ),
        ("host=h password='p w' dbname=d", "host=h password=*** dbname=d"),
        ("client_encoding=UTF8 password=pw", "client_encoding=UTF8 password=***"),
        ("postgresql+psycopg://u:pw@h/d", "postgresql+psycopg://u:***@h/d"),
        ("./tmf683.db", "./tmf683.db"),
        ("memory:", "memory:"),
    ],
)
def test_safe_location_masks_passwords(location, shown):
    from tmf683 import safe_location

    assert safe_location(location) == shown
