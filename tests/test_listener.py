"""The consumer side: tmf683_falcon.mount_listener in a Falcon app on waitress."""

import falcon
import httpx
import pytest

from tests.conftest import MINIMAL
from tests.servers import ServerProcess
from tests.waiting import wait_for
from tests.wsgi import serving
from tmf683_falcon import mount_listener


@pytest.fixture
def listener():
    received: list[dict[str, object]] = []
    app = falcon.App()
    mount_listener(app, received.append, base_path="/crm")
    with serving(app) as root:
        yield f"{root}/crm/listener/", received


def envelope(event_type="PartyInteractionCreateEvent"):
    return {
        "eventId": "E1",
        "eventTime": "2024-05-01T10:00:00.000000Z",
        "eventType": event_type,
        "event": {"partyInteraction": {"id": "1", "reason": "r"}},
    }


def test_a_valid_event_reaches_the_handler(listener):
    root, received = listener
    response = httpx.post(f"{root}partyInteractionCreateEvent", json=envelope())
    assert response.status_code == 201
    assert received == [envelope()]


@pytest.mark.parametrize(
    ("route", "body", "mentions"),
    [
        ("partyInteractionDeleteEvent", envelope(), "$.eventType"),
        ("partyInteractionCreateEvent", {**envelope(), "eventId": ""}, "$.eventId"),
        (
            "partyInteractionCreateEvent",
            {**envelope(), "event": {}},
            "partyInteraction",
        ),
        ("partyInteractionCreateEvent", [1], "$ must be a JSON object"),
    ],
)
def test_invalid_envelopes_are_400(listener, route, body, mentions):
    root, received = listener
    response = httpx.post(f"{root}{route}", json=body)
    assert response.status_code == 400
    assert mentions in response.json()["message"]
    assert received == []


def test_all_four_routes_exist(listener):
    root, received = listener
    for kind in ("Create", "AttributeValueChange", "StatusChange", "Delete"):
        event_type = f"PartyInteraction{kind}Event"
        route = event_type[0].lower() + event_type[1:]
        assert (
            httpx.post(f"{root}{route}", json=envelope(event_type)).status_code == 201
        )
    assert [e["eventType"] for e in received] == [
        "PartyInteractionCreateEvent",
        "PartyInteractionAttributeValueChangeEvent",
        "PartyInteractionStatusChangeEvent",
        "PartyInteractionDeleteEvent",
    ]


def test_a_server_delivers_to_a_listener(listener, tmp_path):
    root, received = listener
    with ServerProcess(
        "--db", str(tmp_path / "l.db"), "--retry-first-delay", "0.2"
    ) as s:
        httpx.post(
            f"{s.base}hub",
            json={
                "callback": f"{root}partyInteractionCreateEvent",
                "query": "eventType=PartyInteractionCreateEvent",
            },
        )
        created = httpx.post(f"{s.base}partyInteraction", json=MINIMAL).json()
        wait_for(lambda: received, 10)
    assert [e["event"]["partyInteraction"]["id"] for e in received] == [created["id"]]
