"""Scale-out: two ``tmf683-server`` processes on one PostgreSQL database.

Each server is a real subprocess with its own port, connection pool and dispatcher;
clients talk to them over real HTTP.
"""

from collections import Counter

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.servers import ServerProcess

pytestmark = pytest.mark.slow

MERGE = {"Content-Type": "application/merge-patch+json"}
FAST = ("--retry-first-delay", "0.2")


@pytest.fixture
def two_servers(postgres_databases):
    database = postgres_databases.create()
    with (
        ServerProcess("--db", database, *FAST) as first,
        ServerProcess("--db", database, *FAST) as second,
    ):
        assert first.base != second.base
        yield first, second


def test_what_one_server_writes_the_other_reads_filters_and_patches(two_servers):
    first, second = two_servers
    created = [
        httpx.post(
            f"{first.base}partyInteraction",
            json={
                **MINIMAL,
                "status": status,
                "relatedParty": [
                    {"id": party, "role": "customer", "@referredType": "Individual"}
                ],
            },
        )
        for status, party in [("open", "P1"), ("closed", "P2"), ("open", "P2")]
    ]
    assert [r.status_code for r in created] == [201, 201, 201]
    ids = [r.json()["id"] for r in created]

    read = httpx.get(f"{second.base}partyInteraction/{ids[0]}")
    assert read.status_code == 200
    assert read.json()["href"] == f"{second.base}partyInteraction/{ids[0]}"
    assert {k: v for k, v in read.json().items() if k != "href"} == {
        k: v for k, v in created[0].json().items() if k != "href"
    }

    listed = httpx.get(
        f"{second.base}partyInteraction",
        params={"status": "open", "relatedParty.id": "P2", "fields": "status"},
    )
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [ids[2]]
    assert listed.headers["X-Total-Count"] == "1"

    patched = httpx.patch(
        f"{second.base}partyInteraction/{ids[1]}",
        json={"status": "open", "description": "reopened elsewhere"},
        headers=MERGE,
    )
    assert patched.status_code == 200
    again = httpx.get(f"{first.base}partyInteraction/{ids[1]}").json()
    assert (again["status"], again["description"]) == ("open", "reopened elsewhere")
    opened = httpx.get(f"{first.base}partyInteraction", params={"status": "open"})
    assert sorted(item["id"] for item in opened.json()) == sorted(ids)


def test_a_subscription_on_one_server_gets_events_raised_on_the_other_once(
    two_servers,
):
    first, second = two_servers
    with receiving() as receiver:
        registered = httpx.post(f"{first.base}hub", json={"callback": receiver.url})
        assert registered.status_code == 201
        made = []
        for n in range(6):
            server = second if n % 2 == 0 else first
            response = httpx.post(
                f"{server.base}partyInteraction", json={**MINIMAL, "status": "open"}
            )
            assert response.status_code == 201
            made.append(response.json())
        url = f"{second.base}partyInteraction/{made[0]['id']}"
        assert httpx.patch(url, json={"status": "done"}, headers=MERGE).is_success
        assert httpx.delete(url).status_code == 204
        # 6 creates, an attribute and a status change, a delete
        events = receiver.wait_for(9)
        # room for a duplicate to show up, if one were sent: wait for a tenth event
        events = receiver.wait_for(10, seconds=1.5)
    assert len(events) == 9
    assert Counter(e["eventId"] for e in events).most_common(1)[0][1] == 1
    assert receiver.attempts == 9
    own = [
        e["eventType"]
        for e in events
        if e["event"]["partyInteraction"]["id"] == made[0]["id"]
    ]
    assert own == [
        "PartyInteractionCreateEvent",
        "PartyInteractionAttributeValueChangeEvent",
        "PartyInteractionStatusChangeEvent",
        "PartyInteractionDeleteEvent",
    ]
    created = [
        e["event"]["partyInteraction"]["id"]
        for e in events
        if e["eventType"] == "PartyInteractionCreateEvent"
    ]
    assert created == [m["id"] for m in made]  # in the order they were raised
