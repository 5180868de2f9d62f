"""Contract details that fuzzing found (tests/test_fuzz.py), each pinned over HTTP.

A real ``tmf683-server`` serving v4 and v5 over one SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.conftest import MINIMAL
from tests.postgres import allow_connections
from tests.servers import ServerProcess
from tests.waiting import wait_for
from tmf683 import parse_fields, parse_query

VERSIONS = ["v4", "v5"]


@pytest.fixture
def api(server, request) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.bases[request.param], timeout=10.0) as client:
        yield client


@pytest.fixture
def created(http) -> dict[str, object]:
    response = http.post("partyInteraction", json=MINIMAL)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_empty_fields_selects_every_attribute_as_no_fields_does():
    assert parse_query("fields=").fields is None
    assert parse_query("fields=,%20,").fields is None
    assert parse_fields("fields=") is None


@pytest.mark.parametrize("api", VERSIONS, indirect=True)
@pytest.mark.parametrize("fields", ["fields=", "fields=,", "fields=%20"])
def test_an_empty_fields_is_accepted_on_list_and_retrieve(api, created, fields):
    whole = api.get(f"partyInteraction/{created['id']}").json()
    one = api.get(f"partyInteraction/{created['id']}?{fields}")
    assert one.status_code == 200, one.text
    assert one.json() == whole
    listed = api.get(f"partyInteraction?id={created['id']}&{fields}")
    assert listed.status_code == 200, listed.text
    assert listed.json() == [whole]


def error_of(response: httpx.Response, version: str, status: int, code: str):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == str(status)
    assert body.get("@type") == ("Error" if version == "v5" else None)
    return body


@pytest.mark.parametrize("api", VERSIONS, indirect=True)
@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml, text/*", "application/json;q=0"]
)
def test_an_accept_that_excludes_json_gets_406(api, created, accept, request):
    version = request.node.callspec.params["api"]
    headers = {"Accept": accept}
    for response in (
        api.get("partyInteraction", headers=headers),
        api.get(f"partyInteraction/{created['id']}", headers=headers),
        api.post("partyInteraction", json=MINIMAL, headers=headers),
        api.delete(f"partyInteraction/{created['id']}", headers=headers),
    ):
        body = error_of(response, version, 406, "notAcceptable")
        assert "application/json" in body["message"]
    # nothing was created nor deleted
    assert api.get(f"partyInteraction/{created['id']}").status_code == 200


@pytest.mark.parametrize("api", VERSIONS, indirect=True)
@pytest.mark.parametrize(
    "accept",
    [
        "*/*",
        "application/*",
        "application/json",
        "application/json;charset=utf-8",
        "text/html, application/json;q=0.1",
    ],
)
def test_an_accept_that_admits_json_is_served(api, created, accept):
    response = api.get(f"partyInteraction/{created['id']}", headers={"Accept": accept})
    assert response.status_code == 200, response.text


METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ROUTES = ["partyInteraction", "partyInteraction/{id}", "hub", "hub/{id}"]


@pytest.mark.parametrize("api", VERSIONS, indirect=True)
@pytest.mark.parametrize("route", ROUTES)
def test_allow_lists_exactly_the_methods_the_route_serves(api, route):
    path = route.format(id="no-such-id")
    served = set()
    for method in METHODS:
        # no body: a served POST/PATCH answers 400 or 415, never 405
        response = api.request(method, path)
        if response.status_code != 405:
            served.add(method)
    options = api.options(path)
    refused = api.put(path) if "PUT" not in served else api.request("TRACE", path)
    assert refused.status_code == 405
    for response in (options, refused):
        allow = {m.strip() for m in response.headers["allow"].split(",")}
        assert allow == served, (response.request.method, allow, served)
    if route == "hub/{id}":
        assert served == {"GET", "DELETE", "OPTIONS"}


@pytest.mark.parametrize("api", VERSIONS, indirect=True)
def test_an_unknown_path_has_no_allow(api):
    response = api.options("noSuchResource")
    assert response.status_code == 404
    assert "allow" not in response.headers


@pytest.mark.slow
def test_with_postgresql_unreachable_requests_get_a_503_and_then_recover(
    postgres_databases,
):
    url = postgres_databases.create()
    name = str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
    admin = postgres_databases.admin_url
    with (
        ServerProcess("--db", url, "--no-dispatcher") as server,
        httpx.Client(base_url=server.base, timeout=30.0) as http,
    ):
        created = http.post("partyInteraction", json=MINIMAL)
        assert created.status_code == 201, created.text
        allow_connections(admin, name, allowed=False)
        try:
            # every request answers (the first after the pool has waited for a
            # connection, the later ones at once while it knows the database is
            # down), each a TMF 503
            for path in [
                "partyInteraction",
                f"partyInteraction/{created.json()['id']}",
            ]:
                for _ in range(3):
                    response = http.get(path)
                    assert response.status_code == 503, response.text
                    assert response.json() == {
                        "code": "serviceUnavailable",
                        "reason": "Service unavailable",
                        "message": response.json()["message"],
                        "status": "503",
                    }
                    assert "unavailable" in response.json()["message"]
            assert "cannot be reached" in http.get("partyInteraction").json()["message"]
            # the liveness probe touches no store: the process is alive
            alive = http.get(f"{server.root}/health")
            assert (alive.status_code, alive.json()) == (200, {"status": "pass"})
        finally:
            allow_connections(admin, name, allowed=True)
        wait_for(lambda: http.get("partyInteraction").status_code == 200, 60.0)
        assert [d["id"] for d in http.get("partyInteraction").json()] == [
            created.json()["id"]
        ]
