"""Start the real ``tmf683-server`` in a subprocess for tests, bounded in time."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0
URL_LINE = re.compile(r"serving TMF683 (v\d) at (http://\S+/) \(store: (.*)\)")


def served_versions(args: tuple[str, ...]) -> set[str]:
    """The versions a server started with ``args`` logs a URL for (default both)."""
    for i, arg in enumerate(args):
        if arg.startswith("--versions="):
            return {v.strip() for v in arg.partition("=")[2].split(",") if v.strip()}
        if arg == "--versions" and i + 1 < len(args):
            return {v.strip() for v in args[i + 1].split(",") if v.strip()}
    return {"v4", "v5"}


class ServerProcess:
    """A ``tmf683-server`` process on 127.0.0.1 with a free port.

    ``bases`` maps each served version to its API root with a trailing slash;
    ``base`` is the v4 root (the v5 one when only v5 is served); ``log`` collects
    stderr lines.
    """

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        command = [
            sys.executable,
            "-m",
            "tmf683_falcon",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *args,
        ]
        self.process = subprocess.Popen(
            command,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.log: list[str] = []
        self._url_seen = threading.Event()
        self._expected = served_versions(args)
        self.bases: dict[str, str] = {}
        self.base = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._url_seen.wait(START_TIMEOUT_SECONDS):
            self.stop()
            raise RuntimeError("server did not start:\n" + "".join(self.log))
        if not self.base:
            self.stop()
            raise RuntimeError("server exited:\n" + "".join(self.log))

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            match = URL_LINE.search(line)
            if match and not self._url_seen.is_set():
                self.bases[match.group(1)] = match.group(2)
                if set(self.bases) >= self._expected:
                    self.base = self.bases.get("v4") or self.bases["v5"]
                    self._url_seen.set()
        self._url_seen.set()

    @property
    def root(self) -> str:
        """The server's own root, e.g. ``http://127.0.0.1:PORT`` (no slash after)."""
        scheme, _, authority = self.base.split("/", 3)[:3]
        return f"{scheme}//{authority}"

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig``, wait for the exit (kill after a timeout); return the code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_SECONDS)
        self._reader.join(STOP_TIMEOUT_SECONDS)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_exit(process: subprocess.Popen[str], seconds: float) -> int | None:
    """Wait until the process exits or the time is up; return its code or None."""
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


REPO_ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def dispatcher_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    """A running ``tmf683-dispatcher`` with ``args``; stopped (SIGTERM) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tmf683.events.command", *args],
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        if wait_for_exit(process, STOP_TIMEOUT_SECONDS) is None:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)
