"""Deliveries ignore the proxy of the environment (http_proxy, https_proxy, all_proxy).

The callback policy checks the address a delivery connects to; a proxy in between
would be connected to instead (before the fix: the callback's address on the
proxy's port, in proxy form). A real listener and a real "proxy" socket server on
loopback, the proxy variables set: events reach the listener, nothing the proxy.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.servers import ServerProcess
from tmf683 import CallbackPolicy, Dispatcher, PartyInteractionService, post_json

PROXY_VARIABLES: tuple[str, ...] = ("http_proxy", "HTTP_PROXY", "https_proxy")
PROXY_VARIABLES += ("HTTPS_PROXY", "all_proxy", "ALL_PROXY")


class Proxy:
    """A loopback TCP server that records what reaches it, answering 200 to all."""

    def __init__(self) -> None:
        self.connections: list[bytes] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy.connections.append(self.request.recv(65536))
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """The proxy, named by every proxy variable of the environment."""
    running = Proxy()
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, running.url)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield running
    finally:
        running.close()


@pytest.mark.parametrize("policy", [CallbackPolicy(), None], ids=["policy", "none"])
def test_post_json_connects_to_the_callback_not_the_proxy(proxy, policy):
    with receiving() as listener:
        post_json(f"{listener.url}/x?a=1&b=2", {"eventId": "E1"}, 10, policy=policy)
        assert listener.paths == ["/listener/x?a=1&b=2"]
        port = listener.server.server_address[1]
        assert listener.request_headers[0]["Host"] == f"127.0.0.1:{port}"
    assert proxy.connections == []


def test_a_dispatcher_delivers_past_the_proxy(proxy, store):
    service = PartyInteractionService(store)
    with receiving() as listener:
        service.events.register({"callback": listener.url})
        service.create(MINIMAL)
        dispatcher = Dispatcher(store)
        try:
            assert dispatcher.run_once() == 1
        finally:
            dispatcher.close()
        assert len(listener.events) == 1
        assert listener.paths == ["/listener"]
    assert proxy.connections == []


def test_a_server_delivers_past_the_proxy(proxy, tmp_path):
    # the test's own client ignores the proxy too (httpx reads the variables)
    with (
        receiving() as listener,
        ServerProcess("--db", str(tmp_path / "p.db")) as s,
        httpx.Client(trust_env=False, timeout=10) as client,
    ):
        hub = client.post(f"{s.base}hub", json={"callback": listener.url})
        assert hub.status_code == 201
        created = client.post(f"{s.base}partyInteraction", json=MINIMAL)
        assert created.status_code == 201
        events = listener.wait_for(1, 20)
        assert listener.paths == ["/listener"]
    assert events[0]["event"]["partyInteraction"]["id"] == created.json()["id"]
    assert proxy.connections == []
