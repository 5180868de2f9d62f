"""Behind a proxy: forwarded scheme, host and prefix, believed from trusted peers only.

Unit tests of the header parser and the hop walk, then a real ``tmf683-server`` on
127.0.0.1 with and without ``--trusted-proxy``.
"""

from __future__ import annotations

from collections.abc import Iterator

import falcon
import falcon.testing
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import MINIMAL, V5_BODY
from tests.servers import ServerProcess
from tmf683_falcon import external_origin
from tmf683_falcon.forwarded import (
    Forwarding,
    TrustedProxies,
    parse_forwarded,
    parse_proxy,
    resolve,
)

BODIES = {"v4": MINIMAL, "v5": V5_BODY}
TRUST_LOOPBACK = TrustedProxies(["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"])


# -- the Forwarded header (RFC 7239, section 4) ------------------------------------


@pytest.mark.parametrize(
    ("header", "elements"),
    [
        (
            "for=192.0.2.60;proto=http;by=203.0.113.43",
            [{"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"}],
        ),
        ('For="[2001:db8:cafe::17]:4711"', [{"for": "[2001:db8:cafe::17]:4711"}]),
        (
            "for=192.0.2.43, for=198.51.100.17",
            [{"for": "192.0.2.43"}, {"for": "198.51.100.17"}],
        ),
        ('host="a\\"b";proto=https', [{"host": 'a"b', "proto": "https"}]),
        (
            " for=a ; proto=https ,, for=b ",
            [{"for": "a", "proto": "https"}, {"for": "b"}],
        ),
        ("", []),
        (";,;", []),
    ],
)
def test_forwarded_elements_are_read_left_to_right(header, elements):
    assert parse_forwarded(header) == elements


@pytest.mark.parametrize(
    "header",
    [
        "for",  # no value
        "for=a b",  # two tokens
        'for="unclosed',
        "for=a;for=b",  # a parameter twice in one element
        'host=evil.example;by=", for="[2001:db8::1]";proto=https',  # quote injection
        "for=é",
    ],
)
def test_a_forwarded_header_off_its_syntax_is_none(header):
    assert parse_forwarded(header) is None


@given(st.text())
def test_the_parser_never_raises(text):
    elements = parse_forwarded(text)
    assert elements is None or all(isinstance(e, dict) and e for e in elements)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "forwarded",
                "x-forwarded-for",
                "x-forwarded-proto",
                "x-forwarded-host",
                "x-forwarded-prefix",
            ]
        ),
        st.text(),
    ),
    st.one_of(st.none(), st.text(), st.sampled_from(["127.0.0.1", "::1", "10.1.2.3"])),
)
def test_resolving_never_raises_and_yields_only_well_formed_values(headers, peer):
    forwarding = resolve(headers, peer, TRUST_LOOPBACK)
    assert forwarding.scheme in (None, "http", "https")
    for value in (forwarding.host, forwarding.prefix):
        assert value is None or not any(ch in value for ch in ' \t\r\n,"<>?#')
    assert (
        forwarding.prefix is None
        or forwarding.prefix == ""
        or (forwarding.prefix.startswith("/") and not forwarding.prefix.endswith("/"))
    )


# -- which hop is believed ------------------------------------------------------


def test_nothing_is_believed_from_an_untrusted_peer():
    headers = {"x-forwarded-proto": "https", "forwarded": "proto=https;host=h.example"}
    assert resolve(headers, "192.0.2.1", TRUST_LOOPBACK) == Forwarding()
    assert resolve(headers, None, TRUST_LOOPBACK) == Forwarding()
    assert resolve(headers, "127.0.0.1", TrustedProxies([])) == Forwarding()


def test_the_outermost_trusted_element_of_forwarded_is_taken():
    header = (
        "for=192.0.2.9;proto=http;host=evil.example, "  # the client's own claim
        "for=198.51.100.7;proto=https;host=api.example.com, "  # added by 10.1.1.1
        "for=10.1.1.1;proto=http;host=ingress.internal"  # added by the peer
    )
    # the peer and 10.1.1.1 are trusted: 10.1.1.1 added the middle element, which
    # names 198.51.100.7 (not trusted) as its client: the walk stops there
    assert resolve({"forwarded": header}, "127.0.0.1", TRUST_LOOPBACK) == Forwarding(
        "https", "api.example.com", None
    )
    # only the peer trusted: the element it added
    peer_only = TrustedProxies(["127.0.0.1"])
    assert resolve({"forwarded": header}, "127.0.0.1", peer_only) == Forwarding(
        "http", "ingress.internal", None
    )


def test_x_forwarded_values_are_counted_from_the_right_by_trusted_hops():
    headers = {
        "x-forwarded-for": "192.0.2.9, 10.2.2.2",
        "x-forwarded-proto": "http, https, http",
        "x-forwarded-host": "evil.example, api.example.com, ingress.internal",
        "x-forwarded-prefix": "/x, /crm, /",
    }
    # the peer and 10.2.2.2 are trusted: two hops, the second value from the right
    assert resolve(headers, "127.0.0.1", TRUST_LOOPBACK) == Forwarding(
        "https", "api.example.com", "/crm"
    )
    # a proxy that sets one value rather than appending
    single = {"x-forwarded-for": "192.0.2.9, 10.2.2.2", "x-forwarded-host": "h.example"}
    assert resolve(single, "127.0.0.1", TRUST_LOOPBACK).host == "h.example"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-forwarded-proto": "gopher"}, Forwarding()),
        ({"x-forwarded-host": "a b"}, Forwarding()),
        ({"x-forwarded-host": "user@h.example"}, Forwarding()),
        ({"x-forwarded-host": "h.example:99999"}, Forwarding()),
        ({"x-forwarded-host": "H.Example:8443"}, Forwarding(host="h.example:8443")),
        ({"x-forwarded-host": "[2001:DB8::1]"}, Forwarding(host="[2001:db8::1]")),
        ({"x-forwarded-prefix": "crm"}, Forwarding()),
        ({"x-forwarded-prefix": "/crm/../x?y"}, Forwarding()),
        ({"x-forwarded-prefix": "/"}, Forwarding(prefix="")),
        ({"x-forwarded-prefix": "/my%20crm/"}, Forwarding(prefix="/my%20crm")),
        ({"forwarded": "proto=HTTPS;host=h.example"}, Forwarding("https", "h.example")),
        # Forwarded off its syntax: ignored, X-Forwarded-* read instead
        ({"forwarded": 'proto="x', "x-forwarded-proto": "https"}, Forwarding("https")),
    ],
)
def test_bad_values_are_ignored_good_ones_normalised(headers, expected):
    assert resolve(headers, "127.0.0.1", TRUST_LOOPBACK) == expected


def test_ipv6_and_mapped_peers_are_matched_against_networks():
    assert TRUST_LOOPBACK.trusts("2001:db8::5")
    assert TRUST_LOOPBACK.trusts("[2001:db8::5]:443")
    assert TRUST_LOOPBACK.trusts("::ffff:127.0.0.1")
    assert not TRUST_LOOPBACK.trusts("unknown")
    assert not TRUST_LOOPBACK.trusts("_hidden")
    assert not TRUST_LOOPBACK.trusts("::1")


@pytest.mark.parametrize("text", ["localhost", "10.0.0.0/33", "", "http://10.0.0.1"])
def test_a_trusted_proxy_is_an_address_or_a_network(text):
    with pytest.raises(ValueError, match="not an IP address or a network"):
        parse_proxy(text)


def test_a_request_without_a_peer_address_is_not_from_a_trusted_proxy():
    from tmf683_falcon.forwarded import ForwardedOrigin

    req = falcon.testing.create_req(headers={"X-Forwarded-Host": "h.example"})
    req.env.pop("REMOTE_ADDR", None)  # e.g. a Unix socket; falcon says 127.0.0.1
    ForwardedOrigin("", TRUST_LOOPBACK).process_request(req, falcon.Response())
    assert external_origin(req)[1] == "falconframework.org"
    trusted = falcon.testing.create_req(
        headers={"X-Forwarded-Host": "h.example"}, remote_addr="127.0.0.1"
    )
    ForwardedOrigin("", TRUST_LOOPBACK).process_request(trusted, falcon.Response())
    assert external_origin(trusted) == ("http", "h.example", "")


def test_external_origin_is_the_request_s_own_without_trusted_proxies():
    req = falcon.testing.create_req(
        host="h.example", port=8080, root_path="/app", headers={"X-Forwarded-Host": "x"}
    )
    assert external_origin(req) == ("http", "h.example:8080", "/app")


# -- a real server ------------------------------------------------------------------

FORWARDED_HEADERS = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.com",
    "X-Forwarded-Prefix": "/crm",
}


@pytest.fixture(scope="module")
def trusting() -> Iterator[ServerProcess]:
    """A server that trusts its loopback peer, answering for api.example.com."""
    with ServerProcess(
        "--db",
        "memory:",
        "--no-dispatcher",
        "--trusted-proxy",
        "127.0.0.1,::1",
        "--allowed-host",
        "api.example.com",
    ) as run:
        yield run


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


def path_of(server: ServerProcess, version: str) -> str:
    """The version's API root path, e.g. ``/tmf-api/partyInteraction/v4``."""
    return "/" + server.bases[version].split("/", 3)[3].rstrip("/")


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_trusted_proxy_s_x_forwarded_headers_build_href_location_and_link(
    trusting, client, version
):
    base = trusting.bases[version]
    made = client.post(
        base + "partyInteraction", json=BODIES[version], headers=FORWARDED_HEADERS
    )
    assert made.status_code == 201, made.text
    root = "https://api.example.com/crm" + path_of(trusting, version)
    href = f"{root}/partyInteraction/{made.json()['id']}"
    assert made.json()["href"] == href
    assert made.headers["location"] == href
    client.post(base + "partyInteraction", json=BODIES[version])
    listed = client.get(
        base + "partyInteraction", params={"limit": 1}, headers=FORWARDED_HEADERS
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()[0]["href"].startswith(root + "/partyInteraction/")
    assert listed.headers["link"].startswith(f"<{root}/partyInteraction?")
    # without the headers, the same server builds links from the request
    plain = client.get(base + "partyInteraction/" + made.json()["id"])
    assert plain.json()["href"] == base + "partyInteraction/" + made.json()["id"]


FORWARDED_V6 = 'for="[2001:db8::7]:4711";proto=https;host="API.example.com:8443"'


def test_a_trusted_proxy_s_forwarded_header_builds_href(trusting, client):
    made = client.post(
        trusting.base + "partyInteraction",
        json=MINIMAL,
        headers={"Forwarded": FORWARDED_V6},
    )
    assert made.status_code == 201, made.text
    assert made.headers["location"].startswith(
        "https://api.example.com:8443/tmf-api/partyInteraction/v4/partyInteraction/"
    )


def test_a_forwarded_host_must_be_allowed(trusting, client):
    refused = client.post(
        trusting.base + "partyInteraction",
        json=MINIMAL,
        headers={"X-Forwarded-Host": "evil.example"},
    )
    assert refused.status_code == 400, refused.text
    assert "evil.example" in refused.json()["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Forwarded": 'for="unclosed;proto=https'},
        {"Forwarded": "proto=https;proto=http"},
        {"Forwarded": '=;=,"\\'},
        {"X-Forwarded-Proto": "ftp", "X-Forwarded-Host": "a b"},
        {"X-Forwarded-Host": "[::1", "X-Forwarded-Prefix": "no-slash"},
        {"X-Forwarded-For": "999.1.1.1, ::::", "X-Forwarded-Host": ",,,"},
    ],
)
def test_malformed_proxy_headers_are_ignored_not_failed(trusting, client, headers):
    made = client.post(
        trusting.base + "partyInteraction", json=MINIMAL, headers=headers
    )
    assert made.status_code == 201, made.text
    assert made.headers["location"].startswith(trusting.base + "partyInteraction/")


def test_without_the_option_proxy_headers_are_ignored(tmp_path, client):
    with ServerProcess("--db", "memory:", "--no-dispatcher") as server:
        made = client.post(
            server.base + "partyInteraction",
            json=MINIMAL,
            headers={**FORWARDED_HEADERS, "Forwarded": "proto=https;host=x.example"},
        )
    assert made.status_code == 201, made.text
    assert made.headers["location"].startswith(server.base + "partyInteraction/")


def test_headers_from_a_peer_that_is_not_the_trusted_proxy_are_ignored(client):
    with ServerProcess(
        "--db",
        "memory:",
        "--no-dispatcher",
        "--trusted-proxy",
        "10.0.0.1",
        "--trusted-proxy",
        "192.168.0.0/16",
    ) as server:
        made = client.post(
            server.base + "partyInteraction",
            json=MINIMAL,
            headers={
                **FORWARDED_HEADERS,
                "X-Forwarded-Host": "evil.example",
                "X-Forwarded-For": "10.0.0.1",
                "Forwarded": "for=10.0.0.1;proto=https;host=evil.example",
            },
        )
    assert made.status_code == 201, made.text
    assert made.headers["location"].startswith(server.base + "partyInteraction/")
    assert "evil" not in made.text


def test_a_v5_hub_subscription_gets_the_forwarded_root(trusting, client):
    made = client.post(
        trusting.bases["v5"] + "hub",
        json={"@type": "Hub", "callback": "http://127.0.0.1:9/listener"},
        headers=FORWARDED_HEADERS,
    )
    assert made.status_code == 201, made.text
    root = "https://api.example.com/crm" + path_of(trusting, "v5")
    assert made.json()["href"] == f"{root}/hub/{made.json()['id']}"
    assert made.headers["location"] == made.json()["href"]
