"""Bearer tokens on a real tmf683-server: every operation of v4 and v5, every failure.

The issuer's JWKS is served over loopback by the test; the server is started with
``--jwks URL --issuer --audience`` and must refuse every token it should, with the
RFC 6750 challenge and a TMF Error body, and accept good RS256 and ES256 tokens.
"""

from __future__ import annotations

import ipaddress
import json
import math
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import MINIMAL, V5_BODY
from tests.servers import ServerProcess
from tests.test_cli import run_until_exit
from tests.tokens import (
    AUDIENCE,
    ISSUER,
    READ,
    WRITE,
    JwksServer,
    Keys,
    claims,
    forged_hs256,
    jwks_served,
    sign,
    sign_payload,
    unsigned,
)
from tests.waiting import wait_for

BODIES = {"v4": MINIMAL, "v5": V5_BODY}
HUBS = {
    "v4": {"callback": "http://127.0.0.1:9/listener"},
    "v5": {"@type": "Hub", "callback": "http://127.0.0.1:9/listener"},
}


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def jwks(keys) -> Iterator[JwksServer]:
    with jwks_served(keys.jwks()) as server:
        yield server


def auth_flags(jwks_url: str) -> tuple[str, ...]:
    return (
        "--db",
        "memory:",
        "--no-dispatcher",
        "--jwks",
        jwks_url,
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
    )


@pytest.fixture(scope="module")
def server(jwks) -> Iterator[ServerProcess]:
    with ServerProcess(*auth_flags(jwks.url)) as running:
        yield running


@pytest.fixture(scope="module")
def good(keys) -> str:
    return sign(keys.rsa)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Operation:
    version: str
    method: str
    path: str  # under the version's root; {pi} and {hub} are filled in
    write: bool
    success: int
    body: Any = None

    @property
    def name(self) -> str:
        return f"{self.version} {self.method} {self.path}"


def operations(version: str) -> list[Operation]:
    v = version
    return [
        Operation(v, "GET", "partyInteraction", False, 200),
        Operation(v, "HEAD", "partyInteraction", False, 200),
        Operation(v, "POST", "partyInteraction", True, 201, BODIES[v]),
        Operation(v, "GET", "partyInteraction/{pi}", False, 200),
        Operation(v, "HEAD", "partyInteraction/{pi}", False, 200),
        Operation(v, "PATCH", "partyInteraction/{pi}", True, 200, {"status": "x"}),
        Operation(v, "POST", "hub", True, 201, HUBS[v]),
        Operation(v, "GET", "hub/{hub}", False, 200),
        Operation(v, "DELETE", "hub/{hub}", True, 204),
        Operation(v, "DELETE", "partyInteraction/{pi}", True, 204),
    ]


ALL_OPERATIONS = operations("v4") + operations("v5")


@pytest.fixture(scope="module")
def existing(server, good) -> dict[str, dict[str, str]]:
    """An interaction and a subscription per version, created with a good token."""
    made: dict[str, dict[str, str]] = {}
    for version, root in server.bases.items():
        pi = httpx.post(
            f"{root}partyInteraction", json=BODIES[version], headers=bearer(good)
        )
        hub = httpx.post(f"{root}hub", json=HUBS[version], headers=bearer(good))
        assert (pi.status_code, hub.status_code) == (201, 201), (pi.text, hub.text)
        made[version] = {"pi": pi.json()["id"], "hub": hub.json()["id"]}
    return made


def call(server, existing, op: Operation, headers: dict[str, str]) -> httpx.Response:
    path = op.path.format(**existing[op.version])
    return httpx.request(
        op.method,
        f"{server.bases[op.version]}{path}",
        json=op.body,
        headers=headers,
        timeout=10,
    )


def refused(response: httpx.Response, op: Operation, status: int) -> dict[str, Any]:
    """Check a refusal's status and, except for HEAD, its TMF Error body."""
    assert response.status_code == status, response.text
    if op.method == "HEAD":
        return {}
    body: dict[str, Any] = response.json()
    expected = {"code", "reason", "message", "status"}
    if op.version == "v5":
        assert body.pop("@type") == "Error"
    assert set(body) == expected
    assert body["status"] == str(status)
    assert body["code"] == {401: "unauthorized", 403: "forbidden"}[status]
    return body


def bad_tokens(keys: Keys) -> dict[str, str]:
    """Each way a sent token fails, as its Authorization header."""
    now = int(time.time())
    return {
        "not a JWT": "Bearer not-a-jwt",
        "empty bearer": "Bearer",
        "bad signature": "Bearer " + sign(keys.stranger),
        "stranger's key, unknown kid": "Bearer " + sign(keys.stranger, kid="other"),
        "expired beyond the leeway": "Bearer " + sign(keys.rsa, exp=now - 120),
        "not valid yet": "Bearer " + sign(keys.rsa, nbf=now + 600),
        "wrong issuer": "Bearer " + sign(keys.rsa, iss="https://evil.example"),
        "wrong audience": "Bearer " + sign(keys.rsa, aud="another-api"),
        "no exp": "Bearer " + sign(keys.rsa, exp=None),
        "no aud": "Bearer " + sign(keys.rsa, aud=None),
        "alg none": "Bearer " + unsigned(),
        "HS256 with the public key": "Bearer " + forged_hs256(keys.public_pem()),
        "RS256 header on the EC key": "Bearer " + sign(keys.rsa, kid="ec"),
    }


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=lambda op: op.name)
@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Token abc"])
def test_no_bearer_token_is_401_with_a_bare_challenge(server, existing, op, header):
    headers = {} if header is None else {"Authorization": header}
    response = call(server, existing, op, headers)
    body = refused(response, op, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    if body:
        assert "Authorization: Bearer" in body["message"]


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=lambda op: op.name)
def test_every_bad_token_is_401_invalid_token(server, existing, keys, op):
    for case, header in bad_tokens(keys).items():
        response = call(server, existing, op, {"Authorization": header})
        refused(response, op, 401)
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer error="invalid_token"'), case
        assert "error_description=" in challenge, case


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=lambda op: op.name)
def test_a_token_without_the_scope_is_403(server, existing, keys, op):
    needed, other = (WRITE, READ) if op.write else (READ, WRITE)
    for scopes in ({"scope": other}, {"scope": None, "scp": [other]}, {"scope": ""}):
        response = call(server, existing, op, bearer(sign(keys.rsa, **scopes)))
        body = refused(response, op, 403)
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer error="insufficient_scope"')
        assert f'scope="{needed}"' in challenge
        if body:
            assert needed in body["message"]


@pytest.mark.parametrize("version", ["v4", "v5"])
@pytest.mark.parametrize(
    "token_kind", ["RS256 scope", "ES256 scp array", "expired within the leeway"]
)
def test_good_tokens_reach_every_operation(server, keys, version, token_kind):
    now = int(time.time())
    token = {
        "RS256 scope": lambda: sign(keys.rsa),
        "ES256 scp array": lambda: sign(
            keys.ec, kid="ec", alg="ES256", scope=None, scp=[READ, WRITE]
        ),
        "expired within the leeway": lambda: sign(keys.rsa, exp=now - 20),
    }[token_kind]()
    root = server.bases[version]
    headers = bearer(token)
    own: dict[str, str] = {}
    for op in operations(version):
        path = op.path.format(**own) if own else op.path
        response = httpx.request(
            op.method, f"{root}{path}", json=op.body, headers=headers, timeout=10
        )
        assert response.status_code == op.success, (op.name, response.text)
        if op.method == "POST":
            key = "pi" if op.path == "partyInteraction" else "hub"
            own[key] = response.json()["id"]
        assert "WWW-Authenticate" not in response.headers


def test_an_unknown_kid_does_not_refetch_within_a_minute(server, jwks, keys):
    # the server fetched the JWKS once at start; the unknown kid does not fetch again
    before = jwks.fetches
    for _ in range(5):
        response = httpx.get(
            f"{server.base}partyInteraction",
            headers=bearer(sign(keys.rsa, kid="rotated")),
        )
        assert response.status_code == 401
    assert before == jwks.fetches == 1


def test_unknown_paths_stay_404_without_a_token(server):
    response = httpx.get(f"{server.bases['v5']}nothing")
    assert response.status_code == 404
    assert response.json()["@type"] == "Error"


def test_the_liveness_probe_needs_no_token(server):
    # probes (Kubernetes, a container HEALTHCHECK) carry no token
    response = httpx.get(f"{server.root}/health")
    assert (response.status_code, response.json()) == (200, {"status": "pass"})
    assert httpx.get(f"{server.base}partyInteraction").status_code == 401


def test_readiness_and_metrics_need_no_token(server):
    # the probes and the ODA managementFunction's Prometheus scrape carry none
    assert httpx.get(f"{server.base}partyInteraction").status_code == 401
    ready = httpx.get(f"{server.root}/ready")
    assert (ready.status_code, ready.json()["status"]) == (200, "pass")
    metrics = httpx.get(f"{server.root}/metrics")
    assert metrics.status_code == 200
    assert 'status="401"' in metrics.text  # the refused request, counted


def test_tokens_never_appear_in_the_log(jwks, keys):
    tokens = [sign(keys.rsa), sign(keys.rsa, scope=READ)]
    tokens.append(sign(keys.ec, kid="ec", alg="ES256"))
    tokens += [h.removeprefix("Bearer ") for h in bad_tokens(keys).values()]
    tokens = [token for token in tokens if len(token) > 20]
    with ServerProcess(*auth_flags(jwks.url)) as server:
        for token in tokens:
            for version, root in server.bases.items():
                httpx.get(f"{root}partyInteraction", headers=bearer(token))
                httpx.post(
                    f"{root}partyInteraction",
                    json=BODIES[version],
                    headers=bearer(token),
                )
                httpx.delete(f"{root}hub/none", headers=bearer(token))
    log = "".join(server.log)
    assert "bearer tokens required" in log
    for token in tokens:
        for part in token.split("."):
            assert len(part) < 20 or part not in log


def test_a_jwks_file_works_too(tmp_path, keys):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(keys.jwks()))
    flags = auth_flags(str(path))
    with ServerProcess(*flags) as server:
        ok = httpx.get(
            f"{server.bases['v5']}partyInteraction",
            headers=bearer(sign(keys.ec, kid="ec", alg="ES256")),
        )
        assert ok.status_code == 200
        assert httpx.get(f"{server.base}partyInteraction").status_code == 401


@pytest.mark.slow
def test_server_refuses_incomplete_or_unreadable_auth_options(tmp_path):
    code, err = run_until_exit("--db", "memory:", "--jwks", str(tmp_path / "x"))
    assert code == 2
    assert "--jwks, --issuer and --audience go together" in err
    code, err = run_until_exit("--db", "memory:", "--party-claim", "party_id")
    assert code == 2
    assert "--party-claim needs --jwks" in err
    code, err = run_until_exit(*auth_flags(str(tmp_path / "missing.json")))
    assert code == 2
    assert "cannot read --jwks" in err


def test_auth_is_off_by_default():
    with ServerProcess("--db", "memory:") as server:
        assert httpx.get(f"{server.base}partyInteraction").status_code == 200
        assert "bearer tokens required" not in "".join(server.log)


def related(party_id):
    return {
        "v4": {
            **MINIMAL,
            "relatedParty": [
                {"id": party_id, "role": "customer", "@referredType": "Individual"}
            ],
        },
        "v5": {
            **V5_BODY,
            "relatedParty": [
                {
                    "@type": "RelatedPartyOrPartyRole",
                    "role": "customer",
                    "partyOrPartyRole": {"@type": "PartyRef", "id": party_id},
                }
            ],
        },
    }


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_party_claim_limits_what_a_token_sees(jwks, keys, version):
    with ServerProcess(*auth_flags(jwks.url), "--party-claim", "party_id") as server:
        root = server.bases[version]
        admin = bearer(sign(keys.rsa))  # no party claim: sees everything
        made = {}
        for party_id in ("P1", "P2"):
            response = httpx.post(
                f"{root}partyInteraction",
                json=related(party_id)[version],
                headers=admin,
            )
            assert response.status_code == 201, response.text
            made[party_id] = response.json()["id"]
        p1 = bearer(sign(keys.rsa, party_id="P1"))
        listed = httpx.get(f"{root}partyInteraction", headers=p1)
        assert [item["id"] for item in listed.json()] == [made["P1"]]
        assert listed.headers["X-Total-Count"] == "1"
        everyone = httpx.get(f"{root}partyInteraction", headers=admin)
        assert everyone.headers["X-Total-Count"] == "2"
        other = f"{root}partyInteraction/{made['P2']}"
        missing = f"{root}partyInteraction/no-such-id"
        for method, body in (
            ("GET", None),
            ("PATCH", {"status": "x"}),
            ("DELETE", None),
        ):
            hidden = httpx.request(method, other, json=body, headers=p1)
            absent = httpx.request(method, missing, json=body, headers=p1)
            assert hidden.status_code == absent.status_code == 404
            assert hidden.json()["message"] == absent.json()["message"].replace(
                "no-such-id", made["P2"]
            )
            assert ("@type" in hidden.json()) == (version == "v5")
        assert httpx.get(other, headers=admin).status_code == 200
        own = f"{root}partyInteraction/{made['P1']}"
        assert httpx.get(own, headers=p1).status_code == 200
        patched = httpx.patch(own, json={"status": "closed"}, headers=p1)
        assert patched.status_code == 200
        subscription = httpx.post(f"{root}hub", json=HUBS[version], headers=admin)
        hub_id = subscription.json()["id"]
        for method, path, body in (
            ("POST", "hub", HUBS[version]),
            ("GET", f"hub/{hub_id}", None),
            ("DELETE", f"hub/{hub_id}", None),
        ):
            hub = httpx.request(method, f"{root}{path}", json=body, headers=p1)
            # more scope would not help: no insufficient_scope challenge
            assert hub.status_code == 403
            assert "WWW-Authenticate" not in hub.headers
            assert (hub.json()["code"], hub.json()["status"]) == ("forbidden", "403")
            assert "may not use the hub" in hub.json()["message"]
        assert httpx.get(f"{root}hub/{hub_id}", headers=admin).status_code == 200
        assert httpx.delete(own, headers=p1).status_code == 204
        odd = httpx.get(
            f"{root}partyInteraction", headers=bearer(sign(keys.rsa, party_id=["P1"]))
        )
        assert odd.status_code == 401
        assert "party_id" in odd.json()["message"]


PARTY_PATCHES = {
    # (media type, a patch of P1's own interaction that writes P2 in)
    "v4": [
        (
            "application/merge-patch+json",
            {
                "relatedParty": [
                    related("P2")["v4"]["relatedParty"][0],
                    related("P1")["v4"]["relatedParty"][0],
                ]
            },
        ),
        (
            "application/json-patch+json",
            [
                {
                    "op": "add",
                    "path": "/relatedParty/-",
                    "value": related("P2")["v4"]["relatedParty"][0],
                }
            ],
        ),
        (
            "application/json-patch-query+json",
            [{"op": "replace", "path": "/relatedParty?id=P1/id", "value": "P2"}],
        ),
    ],
    "v5": [
        (
            "application/merge-patch+json",
            {
                "relatedParty": [
                    related("P1")["v5"]["relatedParty"][0],
                    related("P2")["v5"]["relatedParty"][0],
                ]
            },
        ),
        (
            "application/json-patch+json",
            [
                {
                    "op": "add",
                    "path": "/relatedParty/-",
                    "value": related("P2")["v5"]["relatedParty"][0],
                }
            ],
        ),
        (
            "application/json-patch-query+json",
            [
                {
                    "op": "replace",
                    "path": "/relatedParty?partyOrPartyRole.id=P1/partyOrPartyRole/id",
                    "value": "P2",
                }
            ],
        ),
    ],
}


def assert_party_refused(response: httpx.Response, version: str, *ids: str) -> None:
    assert response.status_code == 403, response.text
    assert "WWW-Authenticate" not in response.headers
    body = response.json()
    assert (body["code"], body["status"]) == ("forbidden", "403")
    assert ("@type" in body) == (version == "v5")
    if version == "v5":
        assert body["@type"] == "Error"
    assert "restricted to party 'P1'" in body["message"]
    for id in ids:
        assert f"'{id}'" in body["message"]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_party_token_cannot_write_another_party_in(jwks, keys, version):
    with ServerProcess(*auth_flags(jwks.url), "--party-claim", "party_id") as server:
        root = server.bases[version]
        items = f"{root}partyInteraction"
        admin = bearer(sign(keys.rsa))
        p1 = bearer(sign(keys.rsa, party_id="P1"))
        p2 = bearer(sign(keys.rsa, party_id="P2"))
        both = related("P1")[version]
        both = {
            **both,
            "relatedParty": both["relatedParty"]
            + related("P2")[version]["relatedParty"],
        }
        for planted in (related("P2")[version], both):
            assert_party_refused(
                httpx.post(items, json=planted, headers=p1), version, "P2"
            )
        assert httpx.get(items, headers=admin).headers["X-Total-Count"] == "0"
        own = httpx.post(items, json=related("P1")[version], headers=p1)
        assert own.status_code == 201, own.text
        url = f"{root}partyInteraction/{own.json()['id']}"
        for media_type, patch in PARTY_PATCHES[version]:
            response = httpx.patch(
                url,
                content=json.dumps(patch),
                headers={**p1, "Content-Type": media_type},
            )
            assert_party_refused(response, version, "P2")
        assert httpx.get(url, headers=p1).headers["ETag"] == own.headers["ETag"]
        assert httpx.get(items, headers=p2).json() == []
        assert httpx.get(url, headers=p2).status_code == 404
        patched = httpx.patch(url, json={"status": "closed"}, headers=p1)
        assert patched.status_code == 200, patched.text
        listed = httpx.get(items, headers=p1)
        assert [item["id"] for item in listed.json()] == [own.json()["id"]]
        # a token without the claim still writes any party
        for_p2 = httpx.post(items, json=related("P2")[version], headers=admin)
        assert for_p2.status_code == 201
        assert httpx.get(items, headers=p2).headers["X-Total-Count"] == "1"


def auth_lines(server: ServerProcess, level: str) -> list[str]:
    """The server's log lines of the key set (``tmf683_falcon.jwks``) at ``level``."""
    return [line for line in server.log if f" {level} tmf683_falcon.jwks: " in line]


@pytest.mark.slow  # waits out the 5 s between two attempts
def test_a_jwks_outage_is_one_warning_503s_with_retry_after_and_one_info(keys):
    with jwks_served(keys.jwks()) as closed:
        port = closed.port  # nothing answers there once closed
    with ServerProcess(*auth_flags(closed.url)) as server:
        url = f"{server.base}partyInteraction"
        token = bearer(sign(keys.rsa))
        for _ in range(5):
            response = httpx.get(url, headers=token)
            assert response.status_code == 503
            assert response.json()["code"] == "serviceUnavailable"
            assert 1 <= int(response.headers["Retry-After"]) <= 5
            assert "WWW-Authenticate" not in response.headers
        with jwks_served(keys.jwks(), port=port) as back:
            # the next attempt, at most 5 s after the last one, finds the keys
            wait_for(
                lambda: httpx.get(url, headers=token).status_code == 200,
                timeout=15,
                interval=0.2,
            )
            wait_for(lambda: auth_lines(server, "INFO"))  # every line before it, too
            assert httpx.get(url, headers=token).status_code == 200
            assert back.fetches == 1
    [warning] = auth_lines(server, "WARNING")
    assert closed.url in warning
    assert "answering 503 with Retry-After" in warning
    [info] = auth_lines(server, "INFO")
    assert f"signing keys fetched again from {closed.url}" in info
    log = "".join(server.log)
    assert " ERROR " not in log
    assert "Traceback" not in log


NOT_NUMBERS = {
    "a numeric string": lambda now: str(now + 300),
    "true": lambda now: True,
    "null": lambda now: None,
    "NaN": lambda now: math.nan,
    "Infinity": lambda now: math.inf,
}


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_time_claims_that_are_not_numbers_are_401(server, keys, claim, value):
    payload = {**claims(), claim: value(int(time.time()))}
    for root in server.bases.values():
        response = httpx.get(
            f"{root}partyInteraction",
            headers=bearer(sign_payload(keys.rsa, payload)),
        )
        assert response.status_code == 401, response.text
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer error="invalid_token"')
        assert f"'{claim}' claim must be a number" in challenge
        assert f"'{claim}' claim must be a number" in response.json()["message"]


def test_huge_time_claims_are_no_500(server, keys):
    root = server.base
    for payload, status in (
        ({"exp": 10**400}, 200),
        ({"exp": 1e308, "iat": -1e308}, 200),
        ({"nbf": 10**400}, 401),
        ({"iat": 1e308}, 401),
        ({"exp": -(10**400)}, 401),
    ):
        response = httpx.get(
            f"{root}partyInteraction", headers=bearer(sign(keys.rsa, **payload))
        )
        assert response.status_code == status, (payload, response.text)


def non_loopback_address() -> str:
    """An address of this machine that is not loopback, or skip the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: a route lookup
        except OSError:
            pytest.skip("this machine has no IPv4 route off loopback")
        address: str = probe.getsockname()[0]
    if ipaddress.ip_address(address).is_loopback:
        pytest.skip("this machine has no IPv4 address off loopback")
    return address


def test_a_plain_http_jwks_off_loopback_is_one_warning(keys):
    address = non_loopback_address()
    with (
        jwks_served(keys.jwks(), host="0.0.0.0", url_host=address) as jwks,  # noqa: S104
        ServerProcess(*auth_flags(jwks.url)) as server,
    ):
        for root in server.bases.values():
            ok = httpx.get(f"{root}partyInteraction", headers=bearer(sign(keys.rsa)))
            assert ok.status_code == 200
    [warning] = auth_lines(server, "WARNING")
    assert f"the JWKS {jwks.url} is fetched over plain http" in warning


def test_a_loopback_jwks_is_no_warning(server, good):
    ok = httpx.get(f"{server.base}partyInteraction", headers=bearer(good))
    assert ok.status_code == 200
    assert auth_lines(server, "WARNING") == []
