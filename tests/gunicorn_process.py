"""Start real gunicorn on ``tmf683_falcon.wsgi:application`` for tests, bounded."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from tests.servers import STOP_TIMEOUT_SECONDS, wait_for_exit

START_TIMEOUT_SECONDS = 30.0
LISTENING = re.compile(r"Listening at: (http://\S+) ")
HOLDER = re.compile(r"process (\d+) delivers hub events")
SERVING = re.compile(r"process (\d+) serves TMF683 v5")


class Gunicorn:
    """``gunicorn -w WORKERS`` on 127.0.0.1 (a free port or ``port``), own session.

    ``root`` is e.g. ``http://127.0.0.1:PORT``; ``log`` collects stderr lines;
    :meth:`stop` ends the whole process group (SIGKILL after a timeout).
    """

    def __init__(self, env: dict[str, str], workers: int = 2, port: int = 0) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:tmf683_falcon.gunicorn_conf",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--graceful-timeout",
            "10",
        ]
        self.process = subprocess.Popen(
            command,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **env},
            start_new_session=True,
        )
        self.log: list[str] = []
        # a port of its own: each worker listens on it (reuse_port), the master
        # on nothing, so no "Listening at" line names it
        self.root = f"http://127.0.0.1:{port}" if port else ""
        self.changed = threading.Condition()
        self.workers = workers
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.wait(
                lambda: self.root and len(self.serving()) >= workers and self.holders()
            )
        except BaseException:
            self.stop()
            raise

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.log.append(line)
                match = LISTENING.search(line)
                if match and not self.root:
                    self.root = match.group(1)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def _matches(self, pattern: re.Pattern[str]) -> list[int]:
        with self.changed:
            return [int(m.group(1)) for line in self.log if (m := pattern.search(line))]

    def holders(self) -> list[int]:
        """The worker pids that took the dispatcher lock, in order."""
        return self._matches(HOLDER)

    def serving(self) -> list[int]:
        """The worker pids that built their app, in order."""
        return self._matches(SERVING)

    def wait(
        self, predicate: Callable[[], object], seconds: float = START_TIMEOUT_SECONDS
    ) -> None:
        """Wait (bounded) until ``predicate()`` holds; fail showing the log."""
        with self.changed:
            self.changed.wait_for(
                lambda: bool(predicate()) or self.process.poll() is not None, seconds
            )
            if not predicate():
                raise AssertionError(
                    "gunicorn did not get there:\n" + "".join(self.log)
                )

    def stop(self) -> int:
        """SIGTERM the process group, wait, SIGKILL it if needed; return the code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            if wait_for_exit(self.process, STOP_TIMEOUT_SECONDS + 15) is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT_SECONDS)
        with contextlib.suppress(ProcessLookupError):  # workers left behind
            os.killpg(self.process.pid, signal.SIGKILL)
        self._reader.join(STOP_TIMEOUT_SECONDS)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
