"""Mount the TMF683 API inside your own Falcon app, next to your own routes.

Run: python examples/mount_in_falcon_app.py
It serves the combined app with waitress on a free loopback port, calls both APIs
once over real HTTP, prints what they answered and stops.
"""

from __future__ import annotations

import json
import threading
import urllib.request

import falcon
import waitress
from waitress import wasyncore

from tmf683 import MemoryStore, PartyInteractionService
from tmf683_falcon import mount


class Health:
    """The host app's own route."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer that the service is up."""
        resp.media = {"status": "up"}


def build_app() -> falcon.App[falcon.Request, falcon.Response]:
    """Return the host app, TMF683 mounted under /bss/tmf-api/partyInteraction/v4."""
    app = falcon.App()
    app.add_route("/health", Health())
    service = PartyInteractionService(MemoryStore())
    mount(app, service, base_path="/bss/tmf-api/partyInteraction/v4")
    return app


def main() -> None:
    """Serve the app on 127.0.0.1, call it, stop."""
    server = waitress.create_server(build_app(), host="127.0.0.1", port=0)
    stop = threading.Event()

    def loop() -> None:
        # short passes of waitress's event loop, so that it stops before the
        # sockets close (server.run() in a thread would select on closed ones)
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{server.effective_port}"
    try:
        with urllib.request.urlopen(f"{root}/health", timeout=10) as response:
            print("health:", json.load(response))
        body = json.dumps(
            {"channel": [{"id": "web"}], "direction": "inbound", "reason": "chat"}
        ).encode()
        request = urllib.request.Request(
            f"{root}/bss/tmf-api/partyInteraction/v4/partyInteraction",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            created = json.load(response)
            print("created:", response.status, created["href"])
    finally:
        stop.set()
        thread.join(10)
        server.task_dispatcher.shutdown()  # its workers finish their requests
        wasyncore.close_all(server._map)  # the listening socket and connections


if __name__ == "__main__":
    main()
