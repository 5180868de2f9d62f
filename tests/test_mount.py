"""The adapter mounted in a host Falcon app, served by a real waitress on loopback."""

from collections.abc import Iterator

import falcon
import httpx
import pytest

from tests.conftest import MINIMAL
from tests.wsgi import serving
from tmf683 import MemoryStore, PartyInteractionService
from tmf683_falcon import create_app, mount


class Hello:
    def on_get(self, req, resp):
        resp.media = {"hello": "host"}


@pytest.fixture
def host_root() -> Iterator[str]:
    app = falcon.App()
    app.add_route("/hello", Hello())
    mount(app, PartyInteractionService(MemoryStore()), base_path="/bss/pi/")
    with serving(app) as root:
        yield root


def test_mounted_routes_work_beside_the_hosts(host_root):
    with httpx.Client(base_url=host_root, timeout=10) as client:
        assert client.get("/hello").json() == {"hello": "host"}
        created = client.post("/bss/pi/partyInteraction", json=MINIMAL)
        assert created.status_code == 201
        body = created.json()
        assert body["href"] == f"{host_root}/bss/pi/partyInteraction/{body['id']}"
        assert client.get(f"/bss/pi/partyInteraction/{body['id']}").json() == body


def test_mounted_routes_answer_their_own_errors_in_tmf_form(host_root):
    with httpx.Client(base_url=host_root, timeout=10) as client:
        missing = client.get("/bss/pi/partyInteraction/nope")
        assert (missing.status_code, missing.json()["code"]) == (404, "notFound")
        bad = client.post("/bss/pi/partyInteraction", json={"reason": "r"})
        assert (bad.status_code, bad.json()["code"]) == (400, "invalidBody")
        media = client.post(
            "/bss/pi/partyInteraction",
            content=b"x",
            headers={"Content-Type": "text/plain"},
        )
        assert media.status_code == 415
        assert media.json()["code"] == "unsupportedMediaType"
        assert media.json()["status"] == "415"


def test_create_app_with_fixed_base_url_and_path():
    app = create_app(
        PartyInteractionService(MemoryStore()),
        base_path="api/pi",
        base_url="https://bss.example.com",
    )
    with serving(app) as root:
        created = httpx.post(
            f"{root}/api/pi/partyInteraction", json=MINIMAL, timeout=10
        )
        body = created.json()
        assert (
            body["href"]
            == f"https://bss.example.com/api/pi/partyInteraction/{body['id']}"
        )
        assert created.headers["location"] == body["href"]
