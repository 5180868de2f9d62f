"""BearerAuth in the library: create_app, mount_listener, and fetching the JWKS."""

from __future__ import annotations

import base64
import logging
import math
import socket
import time
from collections.abc import Iterator

import falcon
import httpx
import pytest

from tests.conftest import MINIMAL
from tests.tokens import (
    AUDIENCE,
    ISSUER,
    READ,
    WRITE,
    FakeClock,
    Keys,
    claims,
    jwks_served,
    sign,
    sign_payload,
)
from tests.wsgi import serving
from tmf683 import (
    DEFAULT_BASE_PATH,
    V5_BASE_PATH,
    AuthenticationError,
    ForbiddenError,
    InsufficientScopeError,
    KeysUnavailableError,
    MemoryStore,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PartyRestrictionError,
)
from tmf683_falcon import BearerAuth, create_app, mount_listener
from tmf683_falcon.auth import granted_scopes, protect


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def auth_for(jwks, **options) -> BearerAuth:
    return BearerAuth(jwks, issuer=ISSUER, audience=AUDIENCE, **options)


@pytest.fixture
def app_root(keys) -> Iterator[str]:
    service = PartyInteractionService(MemoryStore())
    app = create_app(
        service, v5=PartyInteractionServiceV5(service), auth=auth_for(keys.jwks())
    )
    with serving(app) as root:
        yield root
    service.close()


V4 = DEFAULT_BASE_PATH.rstrip("/")
V5 = V5_BASE_PATH


def test_create_app_requires_the_token_on_both_versions(app_root, keys):
    for base in (V4, V5):
        url = f"{app_root}{base}/partyInteraction"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers=bearer(sign(keys.rsa))).status_code == 200
    created = httpx.post(
        f"{app_root}{V4}/partyInteraction", json=MINIMAL, headers=bearer(sign(keys.rsa))
    )
    assert created.status_code == 201
    read_only = bearer(sign(keys.rsa, scope=READ))
    item = f"{app_root}{V5}/partyInteraction/{created.json()['id']}"
    assert httpx.get(item, headers=read_only).status_code == 200
    refused = httpx.delete(item, headers=read_only)
    assert refused.status_code == 403
    assert refused.json()["@type"] == "Error"
    assert httpx.get(item, headers=read_only).status_code == 200


def test_falcon_404_and_405_are_unprotected_only_where_nothing_is_served(
    app_root, keys
):
    assert httpx.get(f"{app_root}{V4}/elsewhere").status_code == 404
    collection = f"{app_root}{V4}/partyInteraction"
    assert httpx.put(collection).status_code == 401  # a route of ours: token first
    response = httpx.put(collection, headers=bearer(sign(keys.rsa)))
    assert response.status_code == 405


def test_the_claims_are_left_on_the_request(keys):
    seen: list[object] = []

    class Probe:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            seen.append(req.context.tmf683_claims["sub"])

    app = falcon.App()
    probe = Probe()
    app.add_route("/probe", probe)
    protect(app, auth_for(keys.jwks()), [probe])
    with serving(app) as root:
        assert httpx.get(f"{root}/probe", headers=bearer(sign(keys.rsa))).is_success
    assert seen == ["agent-7"]


@pytest.mark.parametrize(("version", "ok"), [("v4", 201), ("v5", 204)])
def test_mount_listener_can_require_the_token(keys, version, ok):
    received: list[object] = []
    app = falcon.App()
    mount_listener(
        app,
        received.append,
        base_path="/crm",
        version=version,
        auth=auth_for(keys.jwks()),
    )
    envelope = {
        "eventId": "E1",
        "eventTime": "2024-05-01T10:00:00.000000Z",
        "eventType": "PartyInteractionCreateEvent",
        "event": {"partyInteraction": {"id": "1"}},
    }
    with serving(app) as root:
        url = f"{root}/crm/listener/partyInteractionCreateEvent"
        missing = httpx.post(url, json=envelope)
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        assert ("@type" in missing.json()) == (version == "v5")
        scoped = httpx.post(
            url, json=envelope, headers=bearer(sign(keys.rsa, scope=READ))
        )
        assert scoped.status_code == 403
        assert received == []
        good = httpx.post(
            url, json=envelope, headers=bearer(sign(keys.rsa, scope=WRITE))
        )
        assert good.status_code == ok
    assert received == [envelope]


def test_an_unknown_kid_refetches_at_most_once_a_minute(keys):
    clock = FakeClock()
    with jwks_served(keys.jwks()) as server:
        auth = auth_for(server.url, clock=clock)
        auth.authenticate(f"Bearer {sign(keys.rsa)}")
        assert server.fetches == 1
        server.jwks = keys.jwks("rotated")  # the issuer adds a key
        rotated = f"Bearer {sign(keys.rsa, kid='rotated')}"
        clock.now += 59
        with pytest.raises(AuthenticationError, match="key set does not hold"):
            auth.authenticate(rotated)
        assert server.fetches == 1
        clock.now += 1
        assert auth.authenticate(rotated)["sub"] == "agent-7"
        assert server.fetches == 2
        for _ in range(3):
            with pytest.raises(AuthenticationError):
                auth.authenticate(f"Bearer {sign(keys.rsa, kid='unknown')}")
        assert server.fetches == 2
        clock.now += 60
        with pytest.raises(AuthenticationError):
            auth.authenticate(f"Bearer {sign(keys.rsa, kid='unknown')}")
        assert server.fetches == 3


def test_the_key_set_is_refetched_after_its_lifespan_and_kept_when_that_fails(keys):
    clock = FakeClock()
    with jwks_served(keys.jwks()) as server:
        auth = auth_for(server.url, clock=clock, jwks_lifespan=300)
        token = f"Bearer {sign(keys.rsa)}"
        auth.authenticate(token)
        clock.now += 299
        auth.authenticate(token)
        assert server.fetches == 1
        clock.now += 1
        auth.authenticate(token)
        assert server.fetches == 2
    clock.now += 300  # the issuer is down now: the known keys still serve
    assert auth.authenticate(token)["iss"] == ISSUER


def test_keys_that_cannot_be_fetched_are_a_503_with_retry_after(keys, caplog):
    caplog.set_level(logging.DEBUG)
    with jwks_served(keys.jwks()) as server:
        url = server.url  # closed below: nothing answers there any more
    service = PartyInteractionService(MemoryStore())
    clock = FakeClock()
    app = create_app(
        PartyInteractionServiceV5(service), auth=auth_for(url, clock=clock)
    )
    with serving(app) as root:
        answers = []
        for _ in range(3):
            answers.append(
                httpx.get(
                    f"{root}{V5}/partyInteraction", headers=bearer(sign(keys.rsa))
                )
            )
            clock.now += 2
    service.close()
    for response in answers:
        assert response.status_code == 503
        assert response.json()["@type"] == "Error"
        assert response.json()["code"] == "serviceUnavailable"
        assert "WWW-Authenticate" not in response.headers
    assert [r.headers["Retry-After"] for r in answers] == ["5", "3", "1"]
    logged = [(r.name, r.levelname) for r in caplog.records if r.levelno > 20]
    assert logged == [("tmf683_falcon.jwks", "WARNING")]  # no ERROR, no traceback


def test_a_jwks_url_that_does_not_answer_times_out(keys):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections, never answers
        port = silent.getsockname()[1]
        auth = auth_for(f"http://127.0.0.1:{port}/certs", jwks_timeout=0.2)
        with pytest.raises(KeysUnavailableError, match="timed out"):
            auth.load_keys()


def test_scope_checks(keys):
    auth = auth_for(keys.jwks(), read_scope="pi.read", write_scope="pi.write")
    claims = auth.authenticate(f"Bearer {sign(keys.rsa, scope='pi.read other')}")
    auth.authorize(claims, auth.scope_for("HEAD"))
    with pytest.raises(InsufficientScopeError, match=r"'pi\.write'"):
        auth.authorize(claims, auth.scope_for("patch"))


@pytest.mark.parametrize(
    ("claims", "granted"),
    [
        ({"scope": "a b  c"}, {"a", "b", "c"}),
        ({"scp": ["a", 3, "b"]}, {"a", "b"}),
        ({"scp": "a b"}, {"a", "b"}),
        ({"scope": "a", "scp": ["b"]}, {"a", "b"}),
        ({"scope": ["a"]}, {"a"}),
        ({"scope": 7}, set()),
        ({}, set()),
    ],
)
def test_granted_scopes(claims, granted):
    assert granted_scopes(claims) == granted


def test_bearer_auth_refuses_unusable_settings(keys):
    with pytest.raises(ValueError, match="issuer and an audience"):
        BearerAuth(keys.jwks(), issuer="", audience=AUDIENCE)
    with pytest.raises(ValueError, match="issuer and an audience"):
        BearerAuth(keys.jwks(), issuer=ISSUER, audience=[])
    with pytest.raises(ValueError, match="not usable"):
        BearerAuth({"keys": []}, issuer=ISSUER, audience=AUDIENCE)


def test_several_audiences_accept_any(keys):
    auth = BearerAuth(keys.jwks(), issuer=ISSUER, audience=["x", AUDIENCE])
    assert auth.authenticate(f"Bearer {sign(keys.rsa, aud=['y', AUDIENCE])}")
    with pytest.raises(AuthenticationError, match="another audience"):
        auth.authenticate(f"Bearer {sign(keys.rsa, aud='y')}")


def test_a_jwks_file_that_is_not_an_object_is_unavailable(tmp_path, keys):
    path = tmp_path / "jwks.json"
    path.write_text("[]")
    with pytest.raises(KeysUnavailableError, match="not a JSON object"):
        auth_for(path).load_keys()
    auth_for(keys.jwks()).load_keys()  # a JWKS given as a dict needs no loading


NOT_NUMBERS = {
    # PyJWT reads these with int(): it took the string and the booleans
    "a numeric string": str(int(time.time()) + 300),
    "true": True,
    "false": False,
    "null": None,
    "a word": "yesterday",
    "an array": [1],
    "an object": {"seconds": 1},
    "NaN": math.nan,
    "Infinity": math.inf,
    "-Infinity": -math.inf,
}


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_time_claims_that_are_not_numbers_are_refused(keys, claim, value):
    auth = auth_for(keys.jwks())
    token = sign_payload(keys.rsa, {**claims(), claim: value})
    with pytest.raises(AuthenticationError) as failed:
        auth.authenticate(f"Bearer {token}")
    assert str(failed.value).startswith(f"the token's '{claim}' claim must be a number")
    assert failed.value.token_sent


def test_time_claims_of_any_size_are_numbers(keys):
    auth = auth_for(keys.jwks())
    now = time.time()
    for accepted in (
        {"exp": now + 300.5, "nbf": now - 0.5, "iat": now},
        {"exp": 10**400},  # beyond any float: PyJWT compares integers exactly
        {"exp": 1e308, "nbf": -(10**400), "iat": -1e308},
    ):
        token = sign_payload(keys.rsa, {**claims(), **accepted})
        assert auth.authenticate(f"Bearer {token}")["sub"] == "agent-7"
    for claim, value, message in (
        ("exp", -(10**400), "expired"),
        ("nbf", 10**400, "not valid yet"),
        ("iat", 1e308, "not valid yet"),
    ):
        token = sign_payload(keys.rsa, {**claims(), claim: value})
        with pytest.raises(AuthenticationError, match=message):
            auth.authenticate(f"Bearer {token}")


@pytest.mark.parametrize(
    "payload",
    ['{"exp": 1e999}', '{"exp": 1' + "0" * 5000 + "}", '{"nbf": NaN}', "[1]"],
    ids=["1e999", "5001 digits", "NaN literal", "an array"],
)
def test_payloads_json_reads_oddly_are_401_not_500(keys, payload):
    def part(data: str) -> str:
        return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()

    token = ".".join([part('{"alg": "RS256", "kid": "rsa"}'), part(payload), "c2ln"])
    with pytest.raises(AuthenticationError) as failed:
        auth_for(keys.jwks()).authenticate(f"Bearer {token}")
    assert failed.value.token_sent


def test_a_party_claim_of_another_kind_is_refused(keys):
    auth = auth_for(keys.jwks(), party_claim="party_id")
    assert auth.party({"party_id": "P1"}) == "P1"
    assert auth.party({}) is None
    # a JSON string may escape a lone surrogate or a NUL; no stored id holds one
    for value in ("", 7, ["P1"], "\ud800", "P\udfffQ", "P\x00"):
        with pytest.raises(AuthenticationError, match="party_id"):
            auth.party({"party_id": value})
    for text in ("\U0001f600", "P\u2028", "Ω-7"):
        assert auth.party({"party_id": text}) == text
    assert auth_for(keys.jwks()).party({"party_id": "P1"}) is None


def auth_log(caplog) -> list[tuple[str, str]]:
    """The key set's log so far: (level name, message)."""
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "tmf683_falcon.jwks"
    ]


def test_an_issuer_never_reached_is_retried_every_few_seconds_only(keys, caplog):
    caplog.set_level(logging.DEBUG, logger="tmf683_falcon.jwks")
    clock = FakeClock()
    token = f"Bearer {sign(keys.rsa)}"
    with jwks_served(keys.jwks()) as server:
        server.status = 503
        auth = auth_for(server.url, clock=clock)
        for _ in range(3):
            with pytest.raises(KeysUnavailableError) as failed:
                auth.authenticate(token)
            assert failed.value.retry_after == 5  # the next attempt, 5 s away
        assert server.fetches == 1
        clock.now += 2.5
        with pytest.raises(KeysUnavailableError) as failed:
            auth.authenticate(token)
        assert failed.value.retry_after == 3  # 2.5 s, rounded up
        clock.now += 2.4
        with pytest.raises(KeysUnavailableError, match="retrying at most every 5 s"):
            auth.authenticate(token)
        assert server.fetches == 1
        clock.now += 0.1
        with pytest.raises(KeysUnavailableError) as failed:
            auth.authenticate(token)  # the second attempt fails too
        assert (server.fetches, failed.value.retry_after) == (2, 5)
        [(level, message)] = auth_log(caplog)  # one line for the whole outage
        assert level == "WARNING"
        assert server.url in message
        assert "answering 503 with Retry-After" in message
        server.status = 200
        clock.now += 5
        assert auth.authenticate(token)["sub"] == "agent-7"
        assert server.fetches == 3
    assert auth_log(caplog)[1:] == [
        ("INFO", f"signing keys fetched again from {server.url}")
    ]


def test_an_outage_with_known_keys_is_logged_once_and_its_end_once(keys, caplog):
    caplog.set_level(logging.DEBUG, logger="tmf683_falcon.jwks")
    clock = FakeClock()
    token = f"Bearer {sign(keys.rsa)}"
    with jwks_served(keys.jwks()) as first:
        auth = auth_for(first.url, clock=clock)
        auth.authenticate(token)
    assert auth_log(caplog) == []
    for _ in range(3):  # each one past the lifespan: a failed refetch
        clock.now += 300
        assert auth.authenticate(token)["sub"] == "agent-7"  # the known keys
        with pytest.raises(AuthenticationError, match="does not hold"):
            auth.authenticate(f"Bearer {sign(keys.rsa, kid='rotated')}")
    [(level, message)] = auth_log(caplog)
    assert level == "WARNING"
    assert first.url in message
    assert "keeping the known keys" in message
    with jwks_served(keys.jwks("rotated"), port=first.port) as again:
        clock.now += 60
        assert auth.authenticate(f"Bearer {sign(keys.rsa, kid='rotated')}")
        clock.now += 300
        assert auth.authenticate(token)
        assert again.fetches == 2
    assert auth_log(caplog)[1:] == [
        ("INFO", f"signing keys fetched again from {first.url}")
    ]


@pytest.mark.parametrize(
    "jwks",
    [
        "http://jwks.example/certs",
        "http://192.0.2.7:8080/certs",
        "http://[2001:db8::1]/certs",
        "http://127.0.0.1.example/certs",
    ],
)
def test_a_plain_http_jwks_off_this_machine_is_a_warning(jwks, caplog):
    caplog.set_level(logging.DEBUG, logger="tmf683_falcon.jwks")
    auth_for(jwks)  # nothing is fetched yet: the warning comes at once
    [(level, message)] = auth_log(caplog)
    assert level == "WARNING"
    assert jwks in message
    assert "anyone on the way can swap the keys" in message


@pytest.mark.parametrize(
    "jwks",
    [
        "https://jwks.example/certs",
        "http://127.0.0.1:8080/certs",
        "http://127.8.9.10/certs",
        "http://localhost:8080/certs",
        "http://LocalHost./certs",
        "http://[::1]:8080/certs",
        "jwks.json",
    ],
)
def test_https_loopback_and_files_are_no_warning(jwks, caplog):
    caplog.set_level(logging.DEBUG, logger="tmf683_falcon.jwks")
    auth_for(jwks)
    assert auth_log(caplog) == []


def test_forbidden_is_the_403_more_scope_would_not_cure():
    assert issubclass(InsufficientScopeError, ForbiddenError)
    assert issubclass(PartyRestrictionError, ForbiddenError)
    assert issubclass(ForbiddenError, PermissionError)
    assert str(ForbiddenError("not the hub")) == "not the hub"
    scope = InsufficientScopeError("tmf683:write")
    assert (scope.scope, scope.message) == ("tmf683:write", str(scope))
    assert "'tmf683:write'" in scope.message
    party = PartyRestrictionError("P1", ["P2"])
    assert party.message == str(party)
    assert "'P2'" in party.message


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("https://idp.example/jwks", True),
        ("HTTPS://idp.example/jwks", True),
        ("Http://127.0.0.1:1/jwks", True),
        ("/etc/tmf683/jwks.json", False),
        ("jwks.json", False),
        ("file:///etc/jwks.json", False),
    ],
)
def test_a_jwks_url_is_told_from_a_path_whatever_the_case_of_its_scheme(source, url):
    from tmf683_falcon.jwks import is_url

    assert is_url(source) is url


def test_a_jwks_url_with_credentials_is_shown_without_them(keys, caplog):
    caplog.set_level(logging.DEBUG)
    with jwks_served(keys.jwks()) as server:
        url = server.url  # closed below: nothing answers there any more
    secret, token = "jwks-pass-never-shown", "jwks-token-never-shown"
    with_credentials = url.replace("://", f"://reader:{secret}@", 1)
    service = PartyInteractionService(MemoryStore())
    for source in (with_credentials, f"{url}?token={token}&plain"):
        app = create_app(PartyInteractionServiceV5(service), auth=auth_for(source))
        with serving(app) as root:
            response = httpx.get(
                f"{root}{V5}/partyInteraction", headers=bearer(sign(keys.rsa))
            )
        assert response.status_code == 503
        shown = response.text + "\n".join(r.getMessage() for r in caplog.records)
        assert "reader:***@" in shown or "token=***" in shown
        assert secret not in shown
        assert token not in shown
    service.close()
