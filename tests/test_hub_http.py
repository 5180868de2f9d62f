"""Hub subscriptions and event delivery over real HTTP, with real SQLite files."""

import signal
import socket

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.servers import ServerProcess

pytestmark = pytest.mark.slow

MERGE = {"Content-Type": "application/merge-patch+json"}
FAST = ("--retry-first-delay", "0.2")


def subscribe(base, callback, query=""):
    response = httpx.post(f"{base}hub", json={"callback": callback, "query": query})
    assert response.status_code == 201, response.text
    return response.json()


def test_hub_registration_api(tmp_path):
    with ServerProcess("--db", str(tmp_path / "h.db"), "--no-dispatcher") as server:
        response = httpx.post(
            f"{server.base}hub",
            json={
                "callback": "http://127.0.0.1:9/cb",
                "query": "eventType=PartyInteractionCreateEvent",
            },
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"id", "callback", "query"}
        assert response.headers["location"] == f"{server.base}hub/{body['id']}"
        assert httpx.get(response.headers["location"]).json() == body
        assert httpx.delete(response.headers["location"]).status_code == 204
        for method in ("GET", "DELETE"):
            gone = httpx.request(method, response.headers["location"])
            assert (gone.status_code, gone.json()["code"]) == (404, "notFound")


@pytest.mark.parametrize(
    ("body", "code", "mentions"),
    [
        ({"callback": "ftp://x/y"}, "invalidBody", "$.callback"),
        ({"callback": "/relative"}, "invalidBody", "$.callback"),
        ({}, "invalidBody", "$.callback"),
        (
            {"callback": "http://h/", "query": "eventType.x=1"},
            "invalidQuery",
            "eventType.x",
        ),
        ({"callback": "http://h/", "query": 5}, "invalidBody", "$.query"),
        (
            {"callback": "http://elsewhere.example/", "query": ""},
            "invalidBody",
            "not allowed",
        ),
    ],
)
def test_bad_registrations_are_400(tmp_path, body, code, mentions):
    with ServerProcess(
        "--db",
        "memory:",
        "--no-dispatcher",
        "--callback-host",
        "h",
        "--callback-host",
        "127.0.0.1",
    ) as server:
        response = httpx.post(f"{server.base}hub", json=body)
        assert response.status_code == 400
        assert response.json()["code"] == code
        assert mentions in response.json()["message"]
        assert (
            httpx.post(
                f"{server.base}hub", json={"callback": "http://127.0.0.1:9/"}
            ).status_code
            == 201
        )


def test_events_arrive_in_order_filtered_by_query(tmp_path):
    with (
        receiving() as everything,
        receiving() as statuses,
        ServerProcess("--db", str(tmp_path / "e.db"), *FAST) as server,
    ):
        subscribe(server.base, everything.url)
        subscribe(
            server.base,
            statuses.url,
            "eventType=PartyInteractionStatusChangeEvent&fields=event.partyInteraction.status",
        )
        created = httpx.post(
            f"{server.base}partyInteraction", json={**MINIMAL, "status": "open"}
        ).json()
        url = f"{server.base}partyInteraction/{created['id']}"
        httpx.patch(url, json={"description": "called back"}, headers=MERGE)
        httpx.patch(url, json={"status": "completed"}, headers=MERGE)
        httpx.delete(url)
        events = everything.wait_for(5)
        status_events = statuses.wait_for(1)
    assert [(e["eventType"], e.get("fieldPath")) for e in events] == [
        ("PartyInteractionCreateEvent", None),
        ("PartyInteractionAttributeValueChangeEvent", "description"),
        ("PartyInteractionAttributeValueChangeEvent", "status,statusChangeDate"),
        ("PartyInteractionStatusChangeEvent", None),
        ("PartyInteractionDeleteEvent", None),
    ]
    assert len({e["eventId"] for e in events}) == 5
    assert events[0]["event"]["partyInteraction"]["href"] == created["href"]
    assert events[-1]["event"]["partyInteraction"]["status"] == "completed"
    assert [e["event"] for e in status_events] == [
        {
            "partyInteraction": {
                "id": created["id"],
                "href": created["href"],
                "status": "completed",
            }
        }
    ]
    assert status_events[0]["eventId"] == events[3]["eventId"]


def test_a_failing_receiver_gets_the_same_event_again(tmp_path):
    with (
        receiving(fail_first=2) as receiver,
        ServerProcess("--db", str(tmp_path / "r.db"), *FAST) as server,
    ):
        subscribe(server.base, receiver.url)
        httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
        (event,) = receiver.wait_for(1)
    assert receiver.attempts == 3
    assert [body["eventId"] for body in receiver.received] == [event["eventId"]] * 3


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_event_is_lost_across_a_crash(tmp_path):
    db = str(tmp_path / "crash.db")
    port = free_port()
    callback = f"http://127.0.0.1:{port}/listener"
    server = ServerProcess("--db", db, *FAST)
    try:
        subscribe(server.base, callback)
        ids = [
            httpx.post(f"{server.base}partyInteraction", json=MINIMAL).json()["id"]
            for _ in range(3)
        ]
    finally:
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    with ServerProcess("--db", db, *FAST), receiving(port=port) as receiver:
        events = receiver.wait_for(3, seconds=60)
    assert [e["event"]["partyInteraction"]["id"] for e in events] == ids


def test_an_unsubscribed_callback_receives_nothing_more(tmp_path):
    with (
        receiving() as kept,
        receiving() as dropped,
        ServerProcess("--db", str(tmp_path / "u.db"), *FAST) as server,
    ):
        subscribe(server.base, kept.url)
        gone = subscribe(server.base, dropped.url)
        httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
        kept.wait_for(1)
        dropped.wait_for(1)
        assert httpx.delete(f"{server.base}hub/{gone['id']}").status_code == 204
        httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
        kept.wait_for(2)
    assert len(kept.events) == 2
    assert len(dropped.received) == 1


def test_without_the_dispatcher_events_wait_in_the_outbox(tmp_path):
    db = str(tmp_path / "n.db")
    with receiving() as receiver:
        with ServerProcess("--db", db, "--no-dispatcher") as server:
            subscribe(server.base, receiver.url)
            httpx.post(f"{server.base}partyInteraction", json=MINIMAL)
            assert receiver.wait_for(1, seconds=1.5) == []
        import subprocess
        import sys

        dispatcher = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tmf683.events.command",
                "--db",
                db,
                "--retry-first-delay",
                "0.2",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            events = receiver.wait_for(1)
        finally:
            dispatcher.send_signal(signal.SIGTERM)
            stderr = dispatcher.communicate(timeout=10)[1]
    assert [e["eventType"] for e in events] == ["PartyInteractionCreateEvent"]
    assert dispatcher.returncode == 0
    assert "stopped" in stderr
