"""Serve a WSGI app with waitress on 127.0.0.1 in a thread, and stop it cleanly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import waitress
from waitress import wasyncore

STOP_TIMEOUT_SECONDS = 10.0


@contextmanager
def serving(app: Any, threads: int = 2) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT`` while waitress serves ``app``.

    The event loop runs in short passes and stops before the sockets close, so no
    pass ever selects on a closed descriptor.
    """
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        thread.join(STOP_TIMEOUT_SECONDS)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)  # the listening socket and every connection
