"""Receive TMF683 events in your own Falcon app: the consumer side of ``/hub``.

Run: python examples/receive_events.py
It starts, on free loopback ports with waitress, a TMF683 API (in-memory store, with
its event dispatcher in a thread) and a consumer app with the listener routes. It
subscribes the consumer at the API's hub, creates a party interaction, prints the
event the consumer receives and stops everything.
"""

from __future__ import annotations

import json
import queue
import threading
import urllib.request
from typing import Any

import falcon
import waitress

from tmf683 import DEFAULT_BASE_PATH, Dispatcher, MemoryStore, PartyInteractionService
from tmf683_falcon import create_app, mount_listener

received: queue.Queue[dict[str, Any]] = queue.Queue()
_seen: set[str] = set()
_seen_lock = threading.Lock()


def handle(event: dict[str, Any]) -> None:
    """Your code: called with each valid event; keeps each ``eventId`` once.

    Delivery is at least once, so a consumer deduplicates on ``eventId``. An
    exception here answers 500 and the publisher sends the event again later.
    """
    with _seen_lock:
        if event["eventId"] in _seen:
            return
        _seen.add(event["eventId"])
    received.put(event)


def build_consumer() -> falcon.App[falcon.Request, falcon.Response]:
    """Return the consumer app: the four /listener/... routes, handled by handle()."""
    app = falcon.App()
    mount_listener(app, handle)
    return app


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST JSON, return the status and the JSON answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def main() -> None:
    """Serve both apps, subscribe, create, wait for the event, stop."""
    service = PartyInteractionService(MemoryStore())
    servers = [
        waitress.create_server(create_app(service), host="127.0.0.1", port=0),
        waitress.create_server(build_consumer(), host="127.0.0.1", port=0),
    ]
    api, consumer = (f"http://127.0.0.1:{s.effective_port}" for s in servers)
    # start() runs the delivery workers and the poll loop in threads; close() ends them
    dispatcher = Dispatcher(service.store).start(poll_interval=0.1)
    threads = [threading.Thread(target=s.run, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        status, subscription = post(
            f"{api}{DEFAULT_BASE_PATH}/hub",
            {
                "callback": f"{consumer}/listener/partyInteractionCreateEvent",
                "query": "eventType=PartyInteractionCreateEvent",
            },
        )
        print("subscribed:", status, subscription["query"])
        status, created = post(
            f"{api}{DEFAULT_BASE_PATH}/partyInteraction",
            {"channel": [{"id": "web"}], "direction": "inbound", "reason": "chat"},
        )
        print("created:", status, created["id"])
        try:
            event = received.get(timeout=10)
        except queue.Empty:
            raise SystemExit("no event arrived within 10 seconds") from None
        interaction = event["event"]["partyInteraction"]
        print("received:", event["eventType"], "for", interaction["id"])
        print("same interaction:", interaction["id"] == created["id"])
    finally:
        dispatcher.close()  # no more deliveries once the dispatcher has stopped
        for server in servers:
            # Let waitress's workers finish their requests (close() alone leaves them
            # running, and they may still signal the closed server), then close.
            server.task_dispatcher.shutdown()
            server.close()
        for thread in threads:
            thread.join(10)
        service.close()


if __name__ == "__main__":
    main()
