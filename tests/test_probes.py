"""``/health``: the liveness probe of tmf683-server and of ``create_app`` apps.

Over real HTTP against the server of the suite (both versions served); the probe's
answer with the store unreachable is in ``test_contract_details.py``, while
expensive queries run in ``test_limits.py``, and without a token in
``test_auth_http.py``.
"""

from __future__ import annotations

import httpx
import pytest

from tests.wsgi import serving
from tmf683 import DEFAULT_BASE_PATH, MemoryStore, PartyInteractionService
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
