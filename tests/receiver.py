"""A TMF683 event receiver on 127.0.0.1 for tests: records what it is sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """Records POSTed JSON bodies; answers ``fail_first`` requests with 500 first."""

    def __init__(self, fail_first: int = 0, port: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.request_headers: list[dict[str, str]] = []  # of each request, in order
        self.attempts = 0
        self.fail_first = fail_first
        self.changed = threading.Condition()  # notified at each request
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.changed:
                    receiver.attempts += 1
                    receiver.received.append(json.loads(body))
                    receiver.paths.append(self.path)
                    receiver.request_headers.append(dict(self.headers.items()))
                    failing = receiver.attempts <= receiver.fail_first
                    if not failing:
                        receiver.events.append(json.loads(body))
                    receiver.changed.notify_all()
                self.send_response(500 if failing else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/listener"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, seconds: float = 30.0) -> list[dict[str, Any]]:
        """Wait (bounded) until ``count`` events arrived; return them."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.events) >= count, seconds)
            return list(self.events)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@contextmanager
def receiving(fail_first: int = 0, port: int = 0) -> Iterator[Receiver]:
    """A running receiver, closed afterwards."""
    receiver = Receiver(fail_first, port)
    try:
        yield receiver
    finally:
        receiver.close()
