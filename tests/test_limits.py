"""Bounded resources and trusted server facts (issue 11), on real servers over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import falcon
import httpx
import pytest

from tests.servers import ServerProcess
from tests.wsgi import serving
from tmf683 import MemoryStore, PartyInteractionService, PartyInteractionServiceV5
from tmf683_falcon import MAX_BODY_BYTES, create_app

JSON = {"Content-Type": "application/json;charset=utf-8"}
SMALL_LIMIT = 4000


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[ServerProcess]:
    """A server over SQLite with a small body limit."""
    db = tmp_path_factory.mktemp("limits") / "tmf683.db"
    with ServerProcess("--db", str(db), "--max-body-bytes", str(SMALL_LIMIT)) as run:
        yield run


def assert_tmf_error(response: httpx.Response, status: int, code: str, v5: bool):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == str(status)
    assert body["code"] == code
    assert body["reason"]
    assert ("@type" in body) is v5
    if v5:
        assert body["@type"] == "Error"
    return body


V4_HEAD = b'{"channel":[{"id":"555"}],"direction":"inbound","reason":"'
V5_HEAD = (
    b'{"@type":"PartyInteraction","direction":"inbound","relatedChannel":[{"@type":'
    b'"RelatedChannel","role":"c","channel":{"@type":"ChannelRef","id":"555"}}],'
    b'"reason":"'
)


def body_of_size(size: int, version: str = "v4") -> bytes:
    """A valid create body of exactly ``size`` bytes (a long ``reason``)."""
    head = V5_HEAD if version == "v5" else V4_HEAD
    tail = b'"}'
    return head + b"r" * (size - len(head) - len(tail)) + tail


def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_body_at_the_limit_is_accepted_one_byte_more_is_413(limited, version):
    url = limited.bases[version] + "partyInteraction"
    with httpx.Client(timeout=10) as client:
        created = client.post(
            url, content=body_of_size(SMALL_LIMIT, version), headers=JSON
        )
        assert created.status_code == 201, created.text
        refused = client.post(
            url, content=body_of_size(SMALL_LIMIT + 1, version), headers=JSON
        )
    body = assert_tmf_error(refused, 413, "payloadTooLarge", version == "v5")
    assert str(SMALL_LIMIT) in body["message"]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_chunked_body_over_the_limit_is_413(limited, version):
    url = limited.bases[version] + "partyInteraction"
    with httpx.Client(timeout=10) as client:
        accepted = client.post(
            url, content=chunks(body_of_size(SMALL_LIMIT, version)), headers=JSON
        )
        assert accepted.status_code == 201, accepted.text
        refused = client.post(
            url, content=chunks(body_of_size(SMALL_LIMIT + 1, version)), headers=JSON
        )
    assert_tmf_error(refused, 413, "payloadTooLarge", version == "v5")


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_patch_and_a_hub_registration_over_the_limit_are_413(limited, version):
    base = limited.bases[version]
    big = b'{"callback":"http://127.0.0.1:9/' + b"x" * SMALL_LIMIT + b'"}'
    with httpx.Client(timeout=10) as client:
        made = client.post(
            base + "partyInteraction", content=body_of_size(200, version), headers=JSON
        )
        created = made.json()
        patch = client.patch(
            base + f"partyInteraction/{created['id']}",
            content=body_of_size(SMALL_LIMIT + 1, version),
            headers={"Content-Type": "application/merge-patch+json"},
        )
        hub = client.post(base + "hub", content=big, headers=JSON)
    assert_tmf_error(patch, 413, "payloadTooLarge", version == "v5")
    assert_tmf_error(hub, 413, "payloadTooLarge", version == "v5")


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    limited,
):
    """waitress answers from the headers: the client need not send the body."""
    host, port = limited.base.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /tmf-api/partyInteraction/v4/partyInteraction HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            assert data, answer
            answer += data
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/json" in answer


def test_the_default_limit_is_one_mebibyte(http, server):
    assert MAX_BODY_BYTES == 1024 * 1024
    accepted = http.post(
        "partyInteraction", content=body_of_size(MAX_BODY_BYTES), headers=JSON
    )
    assert accepted.status_code == 201, accepted.text
    refused = http.post(
        "partyInteraction", content=body_of_size(MAX_BODY_BYTES + 1), headers=JSON
    )
    assert_tmf_error(refused, 413, "payloadTooLarge", False)


@pytest.mark.parametrize("chunked", [False, True])
def test_create_app_checks_the_limit_itself_under_any_wsgi_server(chunked):
    """The app refuses by Content-Length, and reads no more than the limit when
    chunked, whatever the WSGI server in front."""
    service = PartyInteractionService(MemoryStore())
    app = create_app(
        service, v5=PartyInteractionServiceV5(service), max_body_bytes=SMALL_LIMIT
    )
    assert isinstance(app, falcon.App)
    with serving(app) as root, httpx.Client(base_url=root, timeout=10) as client:
        for version, path in [
            ("v4", "/tmf-api/partyInteraction/v4/partyInteraction"),
            ("v5", "/tmf-api/partyInteractionManagement/v5/partyInteraction"),
        ]:
            for size, status in [(SMALL_LIMIT, 201), (SMALL_LIMIT + 1, 413)]:
                data = body_of_size(size, version)
                response = client.post(
                    path, content=chunks(data) if chunked else data, headers=JSON
                )
                assert response.status_code == status, response.text
                if status == 413:
                    assert_tmf_error(response, 413, "payloadTooLarge", version == "v5")
