"""gunicorn's workers each listen on a socket of their own where that fits
(``tmf683_falcon.gunicorn_conf.on_starting``), so a burst of connections is spread
over the workers instead of going to the one that wakes first."""

from __future__ import annotations

import http.client
import os
import socket
from pathlib import Path

import pytest

from tests.gunicorn_process import Gunicorn
from tmf683_falcon.gunicorn_conf import on_starting, own_sockets_fit

CONNECTIONS = 16
LISTEN = "0A"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sockets_on(port: int, state: str) -> set[int]:
    """The inodes of the TCP sockets on local ``port`` in ``state`` (/proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                inodes.add(int(fields[9]))
    return inodes


def held_by(pid: int, inodes: set[int]) -> set[int]:
    """Which of ``inodes`` the process ``pid`` has open."""
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:[") and int(target[8:-1]) in inodes:
            held.add(int(target[8:-1]))
    return held


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc")
def test_each_worker_listens_on_a_socket_of_its_own(tmp_path):
    port = free_port()
    with Gunicorn({"TMF683_DB": str(tmp_path / "s.db")}, port=port) as server:
        workers = set(server.serving())
        assert len(workers) == 2
        listening = sockets_on(port, LISTEN)
        own = {pid: held_by(pid, listening) for pid in workers}
        master = held_by(server.process.pid, listening)
        connections = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(CONNECTIONS)
        ]
        try:
            for conn in connections:
                conn.request("GET", "/health")
                answer = conn.getresponse()
                answer.read()
                assert answer.status == 200
        finally:
            for conn in connections:
                conn.close()
    # one socket each, none shared and none in the master (one shared socket
    # let the worker that woke first take a burst of connections: 16 and 0)
    assert [len(sockets) for sockets in own.values()] == [1, 1]
    assert len(set.union(*own.values())) == 2
    assert not master


class FakeConfig:
    def __init__(self, address: list[object]) -> None:
        self.address = address
        self.settings: dict[str, object] = {}

    def set(self, name: str, value: object) -> None:
        self.settings[name] = value


class FakeArbiter:
    def __init__(self, address: list[object]) -> None:
        self.cfg = FakeConfig(address)


def test_reuse_port_is_set_for_tcp_binds_with_a_port():
    server = FakeArbiter([("127.0.0.1", 8080), ("::", 8443)])
    on_starting(server)
    assert server.cfg.settings == {"reuse_port": True}


@pytest.mark.parametrize(
    "address",
    [
        [],
        ["/run/tmf683.sock"],  # unix: each worker would replace the file
        [3],  # fd://
        [("127.0.0.1", 0)],  # each worker would get a port of its own
        [("127.0.0.1", 8080), "/run/tmf683.sock"],
    ],
)
def test_reuse_port_is_left_alone_where_it_does_not_fit(address):
    server = FakeArbiter(address)
    on_starting(server)
    assert server.cfg.settings == {}


@pytest.mark.parametrize("handed_over", ["LISTEN_FDS", "GUNICORN_FD"])
def test_sockets_handed_over_are_kept(handed_over):
    assert own_sockets_fit([("127.0.0.1", 8080)], {})
    assert not own_sockets_fit([("127.0.0.1", 8080)], {handed_over: "3"})
