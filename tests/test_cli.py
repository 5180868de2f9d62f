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
        (["--max-failed-per-callback", "-1"], "-1 must be from 0 to"),
        (["--max-failed-per-callback", "many"], "'many' is not a whole number"),
        # a store's integer holds at most 2**63 - 1: beyond, every write was a 500
        (
            ["--max-failed-per-callback", "9223372036854775808"],
            "must be from 0 to 9223372036854775807",
        ),
        (
            ["--max-pending-per-callback", "9223372036854775808"],
            "at most 9223372036854775807",
        ),
        (["--max-subscriptions", "99999999999999999999"], "at most"),
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
        (["--max-failed-per-callback", "-5"], "-5 must be from 0 to"),
        (["--max-failed-per-callback", str(2**63)], "must be from 0 to"),
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


def test_base_url_may_carry_a_path_prefix_and_its_trailing_slash_is_dropped():
    with ServerProcess(
        "--db", "memory:", "--base-url", "HTTPS://gw.example.com:8443/tmf/"
    ) as s:
        created = post(s.base)
        listed = httpx.get(f"{s.base}partyInteraction?limit=1")
    root = "https://gw.example.com:8443/tmf/tmf-api/partyInteraction/v4"
    assert created["href"] == f"{root}/partyInteraction/{created['id']}"
    assert listed.headers["link"].startswith(f"<{root}/partyInteraction?offset=0")


def parsed(option, value):
    """The value ``tmf683-server`` reads for ``option`` given as ``value``."""
    from tmf683_falcon.__main__ import build_parser

    args = build_parser().parse_args([f"{option}={value}"])
    return getattr(args, option[2:].replace("-", "_"))


def refusal(capsys, option, value, command):
    """The last stderr line of ``command`` refusing ``option`` (exit status 2)."""
    from tmf683.events.command import main as dispatcher_main
    from tmf683_falcon.__main__ import main as server_main

    main = server_main if command == "tmf683-server" else dispatcher_main
    with pytest.raises(SystemExit) as raised:
        main([f"{option}={value}"])
    assert raised.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


@pytest.mark.parametrize(
    ("option", "value", "read"),
    [
        ("--callback-host", "crm.example.com", ["crm.example.com"]),
        ("--callback-host", "CRM.Example.com.", ["crm.example.com"]),
        ("--callback-host", "xn--bcher-kva.example", ["xn--bcher-kva.example"]),
        ("--callback-host", "10.0.0.7", ["10.0.0.7"]),
        ("--callback-host", "2001:DB8::1", ["2001:db8::1"]),
        ("--callback-host", "[::1]", ["::1"]),
        ("--callback-allow", "10.20.0.0/16", ["10.20.0.0/16"]),
        ("--callback-allow", "fc00::/7", ["fc00::/7"]),
        ("--callback-allow", "::1", ["::1"]),
        ("--callback-allow", "crm.example.com.", ["crm.example.com."]),
        ("--callback-allow", "xn--bcher-kva.example", ["xn--bcher-kva.example"]),
        ("--allowed-host", "api.example.com", ["api.example.com"]),
        ("--allowed-host", "API.example.com.:8443", ["api.example.com"]),
        ("--allowed-host", "203.0.113.5:80", ["203.0.113.5"]),
        ("--allowed-host", "[2001:db8::1]:8080", ["2001:db8::1"]),
        ("--allowed-host", "xn--bcher-kva.example", ["xn--bcher-kva.example"]),
        ("--base-url", "https://api.example.com", "https://api.example.com"),
        ("--base-url", "https://api.example.com/", "https://api.example.com"),
        ("--base-url", "http://[::1]:8080/gw//", "http://[::1]:8080/gw"),
        (
            "--base-url",
            "HTTP://xn--bcher-kva.example./a",
            "http://xn--bcher-kva.example./a",
        ),
    ],
)
def test_network_options_accept_hosts_addresses_and_urls(option, value, read):
    assert parsed(option, value) == read


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        (
            "--callback-host",
            "http://x/",
            "'http://x/' is not a host name or an IP address: it is a URL; "
            "give the host alone",
        ),
        ("--callback-host", "crm.example.com:443", "it has a port"),
        ("--callback-host", "*.example.com", "wildcards (*) are not supported"),
        ("--callback-host", "", "'' is not a host name or an IP address: it is empty"),
        ("--callback-host", "bücher.example", "in its xn-- (punycode) form"),
        ("--callback-host", "a_b.example", "its label 'a_b' holds a character"),
        (
            "--callback-allow",
            "http://x/",
            "'http://x/' is not a network (CIDR) or a host name: it is a URL; "
            "give the host alone",
        ),
        ("--callback-allow", "10.0.0.1:80", "it has a port"),
        ("--callback-allow", "10.0.0.0/33", "it is not a valid CIDR"),
        ("--callback-allow", "", "it is empty"),
        ("--callback-allow", "crm example.com", "it contains a space"),
        ("--callback-allow", "*.example.com", "wildcards (*) are not supported"),
    ],
)
@pytest.mark.parametrize("command", ["tmf683-server", "tmf683-dispatcher"])
def test_callback_options_refuse_what_they_could_never_match(
    capsys, command, option, value, expected
):
    line = refusal(capsys, option, value, command)
    assert line.startswith(f"{command}: error: argument {option}: '{value}' is not")
    assert expected in line
    assert "not a valid IP address" not in line


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        (
            "--allowed-host",
            "http://api.example.com/",
            "'http://api.example.com/' is not a host name or an IP address with an "
            "optional port (HOST, HOST:PORT, [IPv6]:PORT): it is a URL; give the "
            "host alone",
        ),
        ("--allowed-host", "api.example.com/v4", "it has a path"),
        ("--allowed-host", "user@api.example.com", "it carries user information"),
        ("--allowed-host", "api.example.com:0", "its port 0 is not between 1 and"),
        ("--allowed-host", "api.example.com:70000", "its port 70000 is not"),
        ("--allowed-host", "api.example.com:https", "its port 'https' is not a"),
        ("--allowed-host", "2001:db8::1", "an IPv6 address goes in brackets"),
        ("--allowed-host", "[2001:db8::1", "is not closed"),
        ("--allowed-host", "*.example.com", "wildcards (*) are not supported"),
        ("--allowed-host", "", "it is empty"),
        (
            "--base-url",
            "api.example.com",
            "'api.example.com' is not an absolute http or https URL with a host and "
            "an optional path (e.g. https://api.example.com/gateway): it does not "
            "start with http:// or https://",
        ),
        ("--base-url", "ftp://api.example.com", "does not start with http://"),
        ("--base-url", "https://", "it has no host"),
        ("--base-url", "https:///v4", "it has no host"),
        ("--base-url", "https://api.example.com/?x=1", "it has a query or a fragment"),
        ("--base-url", "https://api.example.com/#top", "it has a query or a fragment"),
        ("--base-url", "https://u:p@api.example.com", "it carries user information"),
        ("--base-url", "https://api.example.com:0", "its port 0 is not between"),
        ("--base-url", "https://api_1.example.com", "its label 'api_1' holds"),
        ("--base-url", "https://api.example.com/a b", "it holds a space"),
        ("--base-url", "", "it does not start with http://"),
    ],
)
def test_server_host_options_refuse_what_is_not_a_host_or_url(
    capsys, option, value, expected
):
    line = refusal(capsys, option, value, "tmf683-server")
    assert line.startswith(f"tmf683-server: error: argument {option}: '{value}' is")
    assert expected in line


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["tmf683_falcon", "--port", "0", "--db", "memory:"], "--allowed-host"),
        (["tmf683.events.command", "--db", "memory:"], "--callback-allow"),
    ],
    ids=["server", "dispatcher"],
)
def test_the_real_commands_exit_2_with_one_error_line(command, option):
    result = subprocess.run(
        [sys.executable, "-m", *command, option, "http://x/"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1
    assert f"argument {option}: 'http://x/' is not a " in errors[0]
    assert "serving" not in result.stderr
    assert "delivering" not in result.stderr
