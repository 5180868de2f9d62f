"""Deliveries with a bearer token, to a listener that requires one (issue 11).

Real parts: a ``tmf683-server`` (and a ``tmf683-dispatcher``) with
``--delivery-token-file`` on a SQLite file, and a Falcon app served by waitress on
127.0.0.1 with ``mount_listener(..., version="v5", auth=BearerAuth(...))``. The
listener's keys come from a JWKS file, so that a rotation of the issuer's key makes
the old token invalid.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import falcon
import httpx
import pytest

from tests.conftest import V5_BODY
from tests.servers import ServerProcess, dispatcher_process
from tests.test_cli import run_until_exit
from tests.tokens import AUDIENCE, ISSUER, Keys, sign
from tests.waiting import wait_for
from tests.wsgi import serving
from tmf683 import open_store
from tmf683_falcon import BearerAuth, mount_listener

WARNING = "--delivery-token-file without --callback-allow"
CREATE_ROUTE = "/crm/listener/partyInteractionCreateEvent"


@dataclass
class Seen:
    """One request the listener answered: its Authorization header and status."""

    authorization: str | None
    status: int


@dataclass
class Listener:
    """A protected v5 listener: what reached the handler and every answer."""

    callback: str
    jwks_file: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)


class Recorder:
    """Falcon middleware noting each request's token and the status answered."""

    def __init__(self, seen: list[Seen]) -> None:
        self.seen = seen

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        self.seen.append(
            Seen(
                req.get_header("Authorization"), falcon.http_status_to_code(resp.status)
            )
        )


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


def key_set(keys: Keys, kid: str) -> dict[str, Any]:
    """The issuer's JWKS holding one key: ``old`` (keys.rsa) or ``new``."""
    private = keys.rsa if kid == "old" else keys.stranger
    return {"keys": [Keys.jwk(private, kid)]}


def token(keys: Keys, kid: str) -> str:
    return sign(keys.rsa if kid == "old" else keys.stranger, kid=kid)


@pytest.fixture
def listener(keys, tmp_path) -> Iterator[Listener]:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(key_set(keys, "old")))
    # keys read again at every token naming an unknown kid: a rotated JWKS file
    # is seen at the next request
    auth = BearerAuth(jwks_file, issuer=ISSUER, audience=AUDIENCE, refetch_interval=0)
    state = Listener("", jwks_file)
    app = falcon.App(middleware=[Recorder(state.seen)])
    mount_listener(app, state.events.append, base_path="/crm", version="v5", auth=auth)
    with serving(app) as root:
        state.callback = f"{root}{CREATE_ROUTE}"
        yield state


def subscribe(server: ServerProcess, callback: str) -> None:
    response = httpx.post(
        f"{server.bases['v5']}hub",
        json={
            "@type": "Hub",
            "callback": callback,
            "query": "eventType=PartyInteractionCreateEvent",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text


def create(server: ServerProcess) -> str:
    response = httpx.post(
        f"{server.bases['v5']}partyInteraction", json=V5_BODY, timeout=10
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def ids(listener: Listener) -> list[str]:
    return [e["event"]["partyInteraction"]["id"] for e in listener.events]


def assert_not_logged(log: str, *tokens: str) -> None:
    for secret in tokens:
        assert secret not in log
        for part in secret.split("."):
            assert part not in log


def test_events_arrive_with_the_token_and_are_accepted(listener, keys, tmp_path):
    secret = token(keys, "old")
    token_file = tmp_path / "delivery-token"
    token_file.write_text(secret + "\n")
    flags = ("--db", str(tmp_path / "t.db"), "--delivery-token-file", str(token_file))
    with ServerProcess(*flags, "--callback-allow", "127.0.0.0/8") as server:
        subscribe(server, listener.callback)
        created = create(server)
        wait_for(lambda: listener.events, 20)
    assert ids(listener) == [created]
    assert [(s.authorization, s.status) for s in listener.seen] == [
        (f"Bearer {secret}", 204)
    ]
    log = "".join(server.log)
    assert f"sending the bearer token of {token_file}" in log
    assert WARNING not in log  # --callback-allow given
    assert_not_logged(log, secret)


def test_a_rotated_token_is_sent_from_the_next_delivery_on(listener, keys, tmp_path):
    old, new = token(keys, "old"), token(keys, "new")
    token_file = tmp_path / "delivery-token"
    token_file.write_text(old)
    flags = ("--db", str(tmp_path / "r.db"), "--delivery-token-file", str(token_file))
    with ServerProcess(*flags, "--retry-first-delay", "0.2") as server:
        subscribe(server, listener.callback)
        first = create(server)
        wait_for(lambda: len(listener.events) == 1, 20)
        # the issuer rotates its key, and the token job rewrites the file
        listener.jwks_file.write_text(json.dumps(key_set(keys, "new")))
        token_file.write_text(new + "\n")
        second = create(server)
        wait_for(lambda: len(listener.events) == 2, 20)
    assert ids(listener) == [first, second]
    assert [(s.authorization, s.status) for s in listener.seen] == [
        (f"Bearer {old}", 204),
        (f"Bearer {new}", 204),
    ]
    # the old token is no good any more: sending it still would have failed
    refused = httpx.post(
        listener.callback,
        json=listener.events[0],
        headers={"Authorization": f"Bearer {old}"},
        timeout=10,
    )
    assert refused.status_code == 401
    log = "".join(server.log)
    assert WARNING in log  # no --callback-allow: the token goes anywhere
    assert "WARNING" in log.split(WARNING)[0].splitlines()[-1]
    assert_not_logged(log, old, new)


def test_without_the_option_the_listener_refuses_and_the_delivery_fails(
    listener, tmp_path
):
    db = str(tmp_path / "n.db")
    flags = ("--db", db, "--max-attempts", "2", "--retry-first-delay", "0.1")
    with ServerProcess(*flags) as server:
        subscribe(server, listener.callback)
        create(server)
        store = open_store(db)
        try:
            (failed,) = wait_for(store.failed_deliveries, 20)
        finally:
            store.close()
    assert failed.last_error == "HTTP 401"
    assert failed.attempts == 2
    assert listener.events == []
    assert [(s.authorization, s.status) for s in listener.seen] == [
        (None, 401),
        (None, 401),
    ]
    assert WARNING not in "".join(server.log)


def test_the_dispatcher_command_sends_the_token_too(listener, keys, tmp_path):
    secret = token(keys, "old")
    token_file = tmp_path / "delivery-token"
    token_file.write_text(secret)
    db = str(tmp_path / "d.db")
    with ServerProcess("--db", db, "--no-dispatcher") as server:
        subscribe(server, listener.callback)
        created = create(server)
        with dispatcher_process("--db", db, "--delivery-token-file", str(token_file)):
            wait_for(lambda: listener.events, 20)
    assert ids(listener) == [created]
    assert listener.seen[0].authorization == f"Bearer {secret}"


@pytest.mark.parametrize("content", [None, ""])
def test_a_server_without_a_usable_token_file_does_not_start(tmp_path, content):
    path = tmp_path / "delivery-token"
    if content is not None:
        path.write_text(content)
    code, err = run_until_exit(
        "--db", "memory:", "--port", "0", "--delivery-token-file", str(path)
    )
    assert code == 2
    assert f"delivery token file '{path}'" in err
    assert "serving TMF683" not in err


def test_a_dispatcher_without_a_usable_token_file_does_not_start(tmp_path):
    path = tmp_path / "missing-token"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tmf683.events.command",
            "--db",
            str(tmp_path / "x.db"),
            "--delivery-token-file",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert f"delivery token file '{path}' cannot be read" in result.stderr
    assert "delivering events" not in result.stderr
