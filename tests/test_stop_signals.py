"""A second SIGTERM or SIGINT while a command stops does not cut its close short.

``tmf683-server`` and ``tmf683-dispatcher`` wait for a delivery in flight when
they stop (here one to a listener that accepts and never answers); a second
signal in that time (a second Ctrl-C, GNU ``timeout`` signalling the process and
its group) used to raise ``KeyboardInterrupt`` inside the close: a traceback and
exit status 130. Now the command says what it waits for, ignores the signals and
ends with status 0.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import ServerProcess, wait_for_exit
from tmf683 import PartyInteractionService, SQLiteStore

DEADLINE_SECONDS = 30.0
MINIMAL = {"channel": [{"id": "1"}], "direction": "inbound", "reason": "r"}


@pytest.fixture
def black_hole() -> Iterator[tuple[str, Callable[[], socket.socket]]]:
    """A callback URL whose listener accepts and never answers, and its accept."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(DEADLINE_SECONDS)
    accepted: list[socket.socket] = []

    def accept() -> socket.socket:
        connection, _ = listener.accept()  # the dispatcher's attempt, in flight
        accepted.append(connection)
        return connection

    port = listener.getsockname()[1]
    yield f"http://127.0.0.1:{port}/listener/partyInteractionCreateEvent", accept
    for connection in accepted:
        connection.close()
    listener.close()


def _wait_for(found: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not found():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@contextmanager
def _dispatcher(db: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """A ``tmf683-dispatcher`` on ``db`` and the lines of its stderr so far.

    Killed if still running at the end of the block.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "tmf683.events.command", "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or []))
    reader.start()
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(DEADLINE_SECONDS)
        reader.join(DEADLINE_SECONDS)
        process.stderr.close()


def test_the_server_stops_cleanly_on_a_second_signal(
    tmp_path: Path, black_hole: tuple[str, Callable[[], socket.socket]]
) -> None:
    callback, accept = black_hole
    server = ServerProcess("--db", str(tmp_path / "s.db"))
    try:
        api = server.base
        assert httpx.post(f"{api}hub", json={"callback": callback}).status_code == 201
        assert httpx.post(f"{api}partyInteraction", json=MINIMAL).status_code == 201
        accept()
        server.process.send_signal(signal.SIGTERM)
        _wait_for(
            lambda: any("stopping: waiting" in line for line in server.log),
            "the server said it was stopping",
        )
        server.process.send_signal(signal.SIGINT)
        server.process.send_signal(signal.SIGTERM)
        code = wait_for_exit(server.process, DEADLINE_SECONDS)
    finally:
        server.stop()
    log = "".join(server.log)
    assert code == 0, log
    assert "Traceback" not in log
    assert "up to 15 s for a delivery in flight" in log
    assert server.log[-1].rstrip().endswith("stopped")


def test_the_dispatcher_stops_cleanly_on_a_second_signal(
    tmp_path: Path, black_hole: tuple[str, Callable[[], socket.socket]]
) -> None:
    callback, accept = black_hole
    db = tmp_path / "d.db"
    with PartyInteractionService(SQLiteStore(db)) as service:
        service.events.register({"callback": callback})
        service.create(MINIMAL)
    with _dispatcher(db) as (process, lines):
        accept()
        process.send_signal(signal.SIGTERM)
        _wait_for(
            lambda: any("stopping: waiting" in line for line in lines),
            "the dispatcher said it was stopping",
        )
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGTERM)
        code = wait_for_exit(process, DEADLINE_SECONDS)
    log = "".join(lines)
    assert code == 0, log
    assert "Traceback" not in log
    assert lines[-1].rstrip().endswith("stopped")


@pytest.mark.parametrize("attempt", range(2))
@pytest.mark.parametrize(
    "signals",
    [(signal.SIGTERM,), (signal.SIGINT, signal.SIGTERM)],
    ids=["TERM", "INT+TERM"],
)
def test_the_server_stops_cleanly_on_signals_right_after_its_url_lines(
    tmp_path: Path, signals: tuple[signal.Signals, ...], attempt: int
) -> None:
    """At once, back to back: the dispatcher may not have started its threads yet
    (a close joined a thread never started), the handlers are being swapped."""
    server = ServerProcess("--db", str(tmp_path / f"s{attempt}.db"))
    try:
        for sent in signals:
            server.process.send_signal(sent)
        code = wait_for_exit(server.process, DEADLINE_SECONDS)
    finally:
        server.stop()
    log = "".join(server.log)
    assert code == 0, log
    assert "Traceback" not in log


@pytest.mark.parametrize("attempt", range(2))
def test_the_dispatcher_stops_cleanly_on_two_signals_back_to_back(
    tmp_path: Path, attempt: int
) -> None:
    """Both land in the poll loop's wait: the second once broke its lock's release."""
    db = tmp_path / f"d{attempt}.db"
    SQLiteStore(db).close()
    with _dispatcher(db) as (process, lines):
        _wait_for(
            lambda: any("delivering events from" in line for line in lines),
            "the dispatcher started",
        )
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGTERM)
        code = wait_for_exit(process, DEADLINE_SECONDS)
    log = "".join(lines)
    assert code == 0, log
    assert "Traceback" not in log
