"""SSRF-safe hub callbacks: refused addresses, at registration and at delivery.

Registration goes through a real ``tmf683-server`` (both hubs); delivery through
its real dispatcher to a real receiver on loopback. A name that resolves to a
denied address is ``localhost`` with ``--callback-deny 127.0.0.0/8``.
"""

import ipaddress
import subprocess
import sys

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.servers import ServerProcess
from tests.waiting import wait_for
from tmf683 import CallbackPolicy, open_store
from tmf683.events.transport import CallbackRefused, post_json


def _hub(version: str, callback: str) -> dict[str, str]:
    """A registration body of that version's hub."""
    return {"callback": callback, **({"@type": "Hub"} if version == "v5" else {})}


REFUSED_BY_DEFAULT = [
    "169.254.169.254",
    "169.254.0.1",
    "::ffff:169.254.169.254",
    "fe80::1",
    "0.0.0.0",  # noqa: S104 - an address under test, not a bind
    "::",
]
ALLOWED_BY_DEFAULT = ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.10", "172.16.0.1"]


@pytest.mark.parametrize("address", REFUSED_BY_DEFAULT)
def test_link_local_and_metadata_addresses_are_refused_by_default(address):
    policy = CallbackPolicy()
    assert policy.address_refusal("h", ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    assert policy.refusal(f"http://{host}/listener")


@pytest.mark.parametrize("address", ALLOWED_BY_DEFAULT)
def test_loopback_and_private_addresses_are_allowed_by_default(address):
    assert CallbackPolicy().address_refusal("h", ipaddress.ip_address(address)) is None


def test_a_deny_list_refuses_its_networks_also_in_ipv4_mapped_form():
    policy = CallbackPolicy(deny=["10.0.0.0/8"])
    assert policy.address_refusal("h", ipaddress.ip_address("10.9.9.9"))
    assert policy.address_refusal("h", ipaddress.ip_address("::ffff:10.9.9.9"))
    assert policy.address_refusal("h", ipaddress.ip_address("11.0.0.1")) is None


def test_an_allow_list_narrows_to_its_networks_and_hosts():
    policy = CallbackPolicy(allow=["192.168.0.0/16", "hooks.example"])
    assert policy.address_refusal("a", ipaddress.ip_address("192.168.1.1")) is None
    assert policy.address_refusal("a", ipaddress.ip_address("127.0.0.1"))
    assert (
        policy.address_refusal("hooks.example", ipaddress.ip_address("10.0.0.1"))
        is None
    )
    # the default refusals hold whatever the allow list says
    assert CallbackPolicy(allow=["0.0.0.0/0"]).address_refusal(
        "a", ipaddress.ip_address("169.254.169.254")
    )


def test_a_name_is_checked_on_every_address_it_resolves_to():
    policy = CallbackPolicy(deny=["127.0.0.0/8"])
    assert "127.0.0.1" in (policy.refusal("http://localhost:9/listener") or "")


def test_post_json_refuses_before_connecting_to_a_denied_address():
    with receiving() as receiver:
        policy = CallbackPolicy(deny=["127.0.0.0/8"])
        with pytest.raises(CallbackRefused):
            post_json(receiver.url, {"eventId": "1"}, 5, policy=policy)
        localhost = receiver.url.replace("127.0.0.1", "localhost")
        with pytest.raises(CallbackRefused):
            post_json(localhost, {"eventId": "2"}, 5, policy=policy)
        assert receiver.attempts == 0
        # allowed: sent to the checked address of the name
        post_json(localhost, {"eventId": "3"}, 5, policy=CallbackPolicy())
        assert [e["eventId"] for e in receiver.events] == ["3"]


@pytest.mark.parametrize("version", ["v4", "v5"])
@pytest.mark.parametrize(
    "callback",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/x",
        "http://[fe80::1]/x",
        "http://0.0.0.0:8080/x",
        "http://[::]/x",
    ],
)
def test_registration_refuses_a_denied_callback_naming_the_reason(
    callback_server, version, callback
):
    response = httpx.post(
        f"{callback_server.bases[version]}hub",
        json=_hub(version, callback),
        timeout=10,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"]
    assert "denied range" in body["message"]


@pytest.mark.parametrize("version", ["v4", "v5"])
@pytest.mark.parametrize(
    "callback",
    [
        "http://[64:ff9b::a9fe:a9fe]/x",  # NAT64
        "http://[2002:a9fe:a9fe::]/x",  # 6to4
        "http://[::ffff:0:a9fe:a9fe]/x",  # IPv4-translated
        "http://[::a9fe:a9fe]/x",  # IPv4-compatible
    ],
)
def test_registration_refuses_metadata_embedded_in_other_ipv6_forms(
    callback_server, version, callback
):
    # These were registered (201) and then attempted: only the IPv4-mapped form
    # was read as the IPv4 address it stands for.
    response = httpx.post(
        f"{callback_server.bases[version]}hub",
        json=_hub(version, callback),
        timeout=10,
    )
    assert response.status_code == 400, response.text
    assert "169.254.0.0/16" in response.json()["message"]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_registration_refuses_addresses_of_the_deny_option(tmp_path, version):
    db = str(tmp_path / "deny.db")
    with ServerProcess("--db", db, "--callback-deny", "127.0.0.0/8") as server:
        for callback in ("http://127.0.0.1:9/x", "http://localhost:9/x"):
            response = httpx.post(
                f"{server.bases[version]}hub", json=_hub(version, callback), timeout=10
            )
            assert response.status_code == 400, response.text
            assert "127.0.0.1" in response.text
            assert "127.0.0.0/8" in response.text
        response = httpx.post(
            f"{server.bases[version]}hub",
            json=_hub(version, "http://10.0.0.1:9/x"),
            timeout=10,
        )
        assert response.status_code == 201, response.text


def test_registration_honours_the_allow_option(tmp_path):
    db = str(tmp_path / "allow.db")
    with ServerProcess("--db", db, "--callback-allow", "10.0.0.0/8") as server:
        refused = httpx.post(
            f"{server.base}hub", json={"callback": "http://127.0.0.1:9/x"}, timeout=10
        )
        assert refused.status_code == 400
        assert "allow list" in refused.text
        allowed = httpx.post(
            f"{server.base}hub", json={"callback": "http://10.2.3.4:9/x"}, timeout=10
        )
        assert allowed.status_code == 201


@pytest.mark.slow
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_delivery_checks_the_address_it_connects_to(tmp_path, host):
    """Registered while allowed, then the dispatcher's deny list refuses it."""
    db = str(tmp_path / "later.db")
    with receiving() as receiver:
        callback = receiver.url.replace("127.0.0.1", host)
        with ServerProcess("--db", db, "--no-dispatcher") as server:
            response = httpx.post(
                f"{server.base}hub", json={"callback": callback}, timeout=10
            )
            assert response.status_code == 201
            httpx.post(
                f"{server.base}partyInteraction", json=MINIMAL, timeout=10
            ).raise_for_status()
        with ServerProcess("--db", db, "--callback-deny", "127.0.0.0/8"):
            store = open_store(db)
            try:
                failed = wait_for(store.failed_deliveries, 20)
            finally:
                store.close()
        assert receiver.attempts == 0
        assert "127.0.0.0/8" in (failed[0].last_error or "")
        # without the deny list, the same name is reached (the positive control)
        with ServerProcess("--db", db, "--no-dispatcher") as server:
            httpx.post(
                f"{server.base}partyInteraction", json=MINIMAL, timeout=10
            ).raise_for_status()
        with ServerProcess("--db", db):
            assert receiver.wait_for(1, 20)
        assert receiver.attempts == 1


@pytest.fixture(scope="module")
def callback_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("callbacks") / "tmf683.db"
    with ServerProcess("--db", str(db)) as running:
        yield running


@pytest.mark.parametrize("command", ["tmf683_falcon", "tmf683.events.command"])
def test_a_deny_entry_that_is_not_a_cidr_is_refused_at_start(command, tmp_path):
    db = str(tmp_path / "x.db")
    finished = subprocess.run(
        [sys.executable, "-m", command, "--db", db, "--callback-deny", "bad"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert finished.returncode == 2
    assert "'bad' is not a CIDR" in finished.stderr
