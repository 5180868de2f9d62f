"""Access log lines and request ids, read from the real server's stderr.

Both formats (``--log-format text`` and ``json``) are parsed line by line: one
access line per request with its fields, the request id echoed and in every line
of its request, and no token, password or query string in any line.
"""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.parse
from datetime import datetime, timedelta
from functools import partial

import httpx
import pytest

from tests import postgres
from tests.servers import ServerProcess
from tests.waiting import wait_for
from tests.wsgi import serving
from tmf683 import MemoryStore, PartyInteractionService, configure_logging
from tmf683_falcon import create_app
from tmf683_falcon.__main__ import build_parser

TOKEN = "s3cr3t-t0ken-never-logged"  # noqa: S105 - a test token
FILTER = "personal-filter-value"
TEXT_ACCESS = re.compile(
    r"^(?P<time>\S+) INFO tmf683\.access: (?P<method>\S+) "
    r"(?P<path>\S+) \((?P<route>[^)]+)\) (?P<status>\d+) (?P<bytes>\d+) bytes "
    r"(?P<seconds>[\d.]+) s client (?P<client>\S+) \[request_id=(?P<rid>[^\]]+)\]$"
)
HEX_ID = re.compile(r"[0-9a-f]{32}")


def lines_with(server: ServerProcess, text: str) -> list[str]:
    return [line.rstrip("\n") for line in list(server.log) if text in line]


def get(server: ServerProcess, path: str, **headers: str) -> httpx.Response:
    return httpx.get(
        f"{server.base}{path}",
        headers={"Authorization": f"Bearer {TOKEN}", **headers},
        timeout=30.0,
    )


def test_text_lines_carry_the_access_fields_and_the_request_id(tmp_path):
    with ServerProcess("--db", str(tmp_path / "a.db"), "--no-dispatcher") as server:
        rid = "req-42.a:b_C"
        response = get(
            server, f"partyInteraction?status={FILTER}", **{"X-Request-ID": rid}
        )
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == rid
        (line,) = wait_for(lambda: lines_with(server, f"[request_id={rid}]"))
        match = TEXT_ACCESS.match(line)
        assert match, line
        fields = match.groupdict()
        assert fields["method"] == "GET"
        assert fields["path"] == urllib.parse.urlsplit(server.base).path + (
            "partyInteraction"
        )
        assert fields["route"] == "/tmf-api/partyInteraction/v4/partyInteraction"
        assert (fields["status"], fields["bytes"]) == ("200", "2")  # "[]"
        assert float(fields["seconds"]) >= 0
        assert fields["client"] == "127.0.0.1"
        assert datetime.fromisoformat(fields["time"]).utcoffset() == timedelta(0)
        unknown = get(server, "partyInteraction/none")
        assert unknown.status_code == 404
        rid = unknown.headers["X-Request-ID"]
        assert HEX_ID.fullmatch(rid)
        (line,) = wait_for(lambda: lines_with(server, f"[request_id={rid}]"))
        assert TEXT_ACCESS.match(line)["status"] == "404"  # type: ignore[index]
        assert TEXT_ACCESS.match(line)["route"].endswith("/partyInteraction/{id}")  # type: ignore[index]
        log = "".join(server.log)
        assert TOKEN not in log
        assert FILTER not in log  # the query string is not logged


def test_an_insane_request_id_is_replaced(tmp_path):
    with ServerProcess("--db", "memory:", "--no-dispatcher") as server:
        for sent in ("has spaces", "x" * 129, "a;b", ""):
            response = get(server, "partyInteraction", **{"X-Request-ID": sent})
            echoed = response.headers["X-Request-ID"]
            assert HEX_ID.fullmatch(echoed), sent
            assert wait_for(partial(lines_with, server, f"[request_id={echoed}]"))
        kept = get(server, "partyInteraction", **{"X-Request-ID": "y" * 128})
        assert kept.headers["X-Request-ID"] == "y" * 128


def test_json_lines_are_objects_with_the_access_fields(tmp_path):
    args = ("--db", str(tmp_path / "j.db"), "--no-dispatcher", "--log-format", "json")
    with ServerProcess(*args) as server:
        rid = "json-1"
        response = get(
            server, f"partyInteraction?status={FILTER}", **{"X-Request-ID": rid}
        )
        assert response.status_code == 200
        (line,) = wait_for(lambda: lines_with(server, '"json-1"'))
        entry = json.loads(line)
        assert entry == {
            "timestamp": entry["timestamp"],
            "level": "INFO",
            "logger": "tmf683.access",
            "message": entry["message"],
            "request_id": rid,
            "method": "GET",
            "route": "/tmf-api/partyInteraction/v4/partyInteraction",
            "path": "/tmf-api/partyInteraction/v4/partyInteraction",
            "status": 200,
            "bytes": 2,
            "duration_seconds": entry["duration_seconds"],
            "client": "127.0.0.1",
        }
        assert entry["timestamp"].endswith("Z")
        assert datetime.fromisoformat(entry["timestamp"]).utcoffset() == timedelta(0)
        assert isinstance(entry["duration_seconds"], float)
        # every line the server wrote is one JSON object (startup lines included)
        for written in list(server.log):
            parsed = json.loads(written)
            assert {"timestamp", "level", "logger", "message"} <= set(parsed)
        log = "".join(server.log)
        assert TOKEN not in log
        assert FILTER not in log


def test_log_level_warning_keeps_access_lines_out():
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    stream = io.StringIO()
    try:
        configure_logging("warning", "text", stream=stream)
        app = create_app(PartyInteractionService(MemoryStore()))
        with serving(app) as base:
            assert httpx.get(f"{base}/health").status_code == 200
            logging.getLogger("tmf683.test").warning("still seen")
        assert "tmf683.access" not in stream.getvalue()
        assert "WARNING tmf683.test: still seen\n" in stream.getvalue()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[1]:
            root.addHandler(handler)
        root.setLevel(saved[0])


def test_unknown_log_options_are_refused():
    parser = build_parser()
    assert parser.parse_args(["--log-level", "debug"]).log_level == "DEBUG"
    for bad in (["--log-level", "loud"], ["--log-format", "xml"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_every_line_of_a_request_carries_its_id_and_no_password(postgres_databases):
    url = postgres_databases.create()
    parts = urllib.parse.urlsplit(url)
    password = "hunter2-never-logged"  # noqa: S105 - a test password
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    with_password = parts._replace(netloc=netloc).geturl()  # trust auth ignores it
    name = postgres.database_name(url)
    admin = postgres_databases.admin_url
    args = ("--db", with_password, "--no-dispatcher", "--log-format", "json")
    with ServerProcess(*args) as server:
        postgres.allow_connections(admin, name, allowed=False)
        try:
            rid = "outage-1"
            response = get(server, "partyInteraction", **{"X-Request-ID": rid})
            assert response.status_code == 503
            assert response.headers["X-Request-ID"] == rid
        finally:
            postgres.allow_connections(admin, name, allowed=True)
        wait_for(lambda: len(lines_with(server, f'"{rid}"')) >= 2)
        entries = lines_with(server, f'"{rid}"')
        loggers = {json.loads(line)["logger"] for line in entries}
        assert loggers >= {"tmf683.access", "tmf683_falcon.errors"}
        assert all(json.loads(line)["request_id"] == rid for line in entries)
        log = "".join(server.log)
        assert password not in log
        assert ":***@" in log  # the store's URL, as logged at start
        assert TOKEN not in log


def test_a_client_cannot_forge_a_text_line_with_a_newline_in_its_path():
    forged = "2026-12-03T09:00:00.000Z INFO tmf683.access: FORGED"
    with ServerProcess("--db", "memory:", "--no-dispatcher") as server:
        path = "nothing%0A" + urllib.parse.quote(forged) + "%0D%1B[31m"
        response = get(server, path, **{"X-Request-ID": "forge-1"})
        assert response.status_code == 404
        (line,) = wait_for(lambda: lines_with(server, "[request_id=forge-1]"))
        assert " INFO tmf683.access: GET " in line
        assert "nothing\\n2026-12-03T09:00:00.000Z" in line
        assert "\\r\\x1b[31m" in line
        assert not [text for text in list(server.log) if text.startswith(forged)]


@pytest.mark.parametrize(("level", "fmt"), [("LOUD", "text"), ("INFO", "xml")])
def test_configure_logging_refuses_an_unknown_level_or_format(level, fmt):
    root = logging.getLogger()
    before = list(root.handlers)
    with pytest.raises(ValueError, match="is not one of"):
        configure_logging(level, fmt)
    assert root.handlers == before  # nothing replaced


def test_a_records_own_request_id_is_kept():
    from tmf683 import RequestIdFilter, request_id

    token = request_id.set("current")
    try:
        mine = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        mine.request_id = "its-own"
        other = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        assert RequestIdFilter().filter(mine)
        assert RequestIdFilter().filter(other)
    finally:
        request_id.reset(token)
    assert (vars(mine)["request_id"], vars(other)["request_id"]) == (
        "its-own",
        "current",
    )
