"""CORS with ``--cors-origin``: preflights and responses, tokens on, real server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import MINIMAL, V5_BODY
from tests.servers import ServerProcess
from tests.test_cli import run_until_exit
from tests.tokens import AUDIENCE, ISSUER, Keys, sign
from tmf683_falcon.cors import parse_origin, parse_origins

APP = "https://app.example.com"
DEV = "http://localhost:3000"
STRANGER = "https://evil.example"
BODIES = {"v4": MINIMAL, "v5": V5_BODY}


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def server(tmp_path_factory, keys) -> Iterator[ServerProcess]:
    """Tokens required; pages of APP and DEV may call."""
    jwks = tmp_path_factory.mktemp("cors") / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    with ServerProcess(
        "--db",
        "memory:",
        "--no-dispatcher",
        "--jwks",
        str(jwks),
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
        "--cors-origin",
        f"{APP}/",
        "--cors-origin",
        "HTTP://LOCALHOST:3000",
    ) as run:
        yield run


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def token(keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign(keys.rsa)}"}


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type,x-custom",
    }


def vary(response: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("vary", "").split(",")}


@pytest.mark.parametrize("version", ["v4", "v5"])
@pytest.mark.parametrize("origin", [APP, DEV])
def test_a_preflight_of_an_allowed_origin_needs_no_token(
    server, client, version, origin
):
    base = server.bases[version]
    answer = client.options(base + "partyInteraction", headers=preflight(origin))
    assert answer.status_code == 200, answer.text
    headers = answer.headers
    assert headers["access-control-allow-origin"] == origin
    assert {m.strip() for m in headers["access-control-allow-methods"].split(",")} == {
        "GET",
        "HEAD",
        "POST",
        "OPTIONS",
    }
    allowed = {
        h.strip().lower() for h in headers["access-control-allow-headers"].split(",")
    }
    assert allowed == {"authorization", "content-type", "if-match", "x-request-id"}
    assert headers["access-control-max-age"] == "600"
    assert "origin" in vary(answer)
    assert "access-control-allow-credentials" not in headers
    item = client.options(
        base + "partyInteraction/some-id", headers=preflight(origin, "PATCH")
    )
    assert item.status_code == 200, item.text
    assert "PATCH" in item.headers["access-control-allow-methods"]


def test_a_preflight_of_another_origin_gets_no_cors_headers(server, client):
    answer = client.options(
        server.base + "partyInteraction", headers=preflight(STRANGER)
    )
    # not a preflight this server answers: an OPTIONS request, which needs a token
    assert answer.status_code == 401, answer.text
    assert not any(h.startswith("access-control-") for h in answer.headers)


def test_a_plain_options_request_still_needs_a_token(server, client):
    answer = client.options(server.base + "partyInteraction", headers={"Origin": APP})
    assert answer.status_code == 401, answer.text
    assert answer.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_responses_to_an_allowed_origin_carry_and_expose_headers(
    server, client, token, version
):
    base = server.bases[version]
    headers = {"Origin": APP, **token}
    made = client.post(base + "partyInteraction", json=BODIES[version], headers=headers)
    assert made.status_code == 201, made.text
    assert made.headers["access-control-allow-origin"] == APP
    exposed = {
        h.strip().lower()
        for h in made.headers["access-control-expose-headers"].split(",")
    }
    assert exposed >= {
        "x-total-count",
        "x-result-count",
        "etag",
        "location",
        "x-request-id",
        "link",
    }
    assert "origin" in vary(made)
    listed = client.get(base + "partyInteraction", headers=headers)
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == APP
    # a refusal is readable by the page too (it can tell a 401 from a network error)
    refused = client.get(base + "partyInteraction", headers={"Origin": APP})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP


def test_responses_to_other_or_no_origins_carry_none(server, client, token):
    for headers in ({"Origin": STRANGER, **token}, token):
        listed = client.get(server.base + "partyInteraction", headers=headers)
        assert listed.status_code == 200, listed.text
        assert not any(h.startswith("access-control-") for h in listed.headers)
        assert "origin" in vary(listed)  # a cache keeps the answers apart


def test_the_health_probe_is_not_under_cors(server, client):
    answer = client.get(server.root + "/health", headers={"Origin": APP})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


def test_any_origin_with_a_star_and_none_without_the_option(client):
    with ServerProcess("--db", "memory:", "--no-dispatcher", "--cors-origin", "*") as a:
        star = client.get(a.base + "partyInteraction", headers={"Origin": STRANGER})
        pre = client.options(a.base + "partyInteraction", headers=preflight(STRANGER))
    assert star.headers["access-control-allow-origin"] == "*"
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    with ServerProcess("--db", "memory:", "--no-dispatcher") as plain:
        listed = client.get(plain.base + "partyInteraction", headers={"Origin": APP})
        pre = client.options(plain.base + "partyInteraction", headers=preflight(APP))
    assert listed.status_code == 200
    assert pre.status_code == 200
    for answer in (listed, pre):
        assert not any(h.startswith("access-control-") for h in answer.headers)
    assert pre.headers["allow"] == "GET, HEAD, POST, OPTIONS"


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://App.Example.com/", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://localhost:80", "http://localhost"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        (" * ", "*"),
    ],
)
def test_origins_are_read_as_browsers_send_them(text, origin):
    assert parse_origin(text) == origin


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("app.example.com", "does not start with http"),
        ("ftp://a.example", "does not start with http"),
        ("https://a.example/app", "has a path"),
        ("https://a.example?x", "has a path"),
        ("https://", "does not name a host"),
        ("https://a b", "does not name a host"),
        ("https://user@a.example", "does not name a host"),
    ],
)
def test_a_cors_origin_is_scheme_host_and_port(text, why):
    with pytest.raises(ValueError, match=why):
        parse_origin(text)


@given(st.text())
def test_reading_an_origin_fails_only_with_value_error(text):
    try:
        origin = parse_origin(text)
    except ValueError:
        return
    assert origin == "*" or origin.startswith(("http://", "https://"))
    assert parse_origin(origin) == origin


def test_a_star_goes_alone():
    with pytest.raises(ValueError, match="goes alone"):
        parse_origins(["*", APP])
    assert parse_origins([APP, APP + "/"]) == (APP,)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cors-origin", "app.example.com"), "http:// or https://"),
        (("--cors-origin", f"*,{APP}"), "goes alone"),
        (("--cors-origin", "*", "--cors-origin", APP), "goes alone"),
        (("--cors-origin", ","), "names no origin"),
        (("--trusted-proxy", "proxy.internal"), "not an IP address or a network"),
        (("--trusted-proxy", "10.0.0.0/40"), "not an IP address or a network"),
    ],
)
def test_bad_option_values_are_usage_errors(args, message):
    code, stderr = run_until_exit("--db", "memory:", *args)
    assert code == 2, stderr
    assert message in stderr
