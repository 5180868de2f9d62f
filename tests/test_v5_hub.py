"""The v5 hub and v5 events: Hub_FVO in, Hub out, v5 envelopes beside v4 ones."""

from __future__ import annotations

import itertools
import json
import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

import falcon
import httpx
import pytest

from tests.conftest import MINIMAL, FixedClock
from tests.receiver import receiving
from tests.servers import ServerProcess
from tests.wsgi import serving
from tmf683 import (
    V5_BASE_PATH,
    HubV5,
    InvalidQueryError,
    MemoryStore,
    NotFoundError,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PartyInteractionStore,
    ValidationError,
)
from tmf683.versions import v5contract
from tmf683.versions.v5events import V5_EVENT_SCHEMAS
from tmf683_falcon import mount_listener

V5_BODY: dict[str, Any] = {
    "@type": "PartyInteraction",
    "reason": "roaming",
    "direction": "inbound",
    "status": "open",
    "relatedChannel": [
        {
            "@type": "RelatedChannel",
            "role": "contact",
            "channel": {"@type": "ChannelRef", "id": "555"},
        }
    ],
    "externalIdentifier": [{"@type": "ExternalIdentifier", "id": "CRM-7"}],
}
HUB = {"@type": "Hub", "callback": "http://127.0.0.1:9/listener"}
FAST = ("--retry-first-delay", "0.2")


def valid_v5_event(envelope: dict[str, Any]) -> dict[str, Any]:
    """Assert an envelope conforms to its event's schema in the v5 OAS."""
    schema = V5_EVENT_SCHEMAS[envelope["eventType"]]
    assert envelope["@type"] == schema
    assert v5contract.schema_problems(envelope, schema) == []
    assert (
        v5contract.schema_problems(
            envelope["event"]["partyInteraction"], "PartyInteraction"
        )
        == []
    )
    return envelope


def services(
    store: PartyInteractionStore | None = None,
) -> tuple[PartyInteractionService, PartyInteractionServiceV5]:
    ids = (f"id-{n}" for n in itertools.count())
    v4 = PartyInteractionService(
        store or MemoryStore(), clock=FixedClock(), id_factory=lambda: next(ids)
    )
    return v4, PartyInteractionServiceV5(v4)


# --- the library ---------------------------------------------------------------


def test_register_answers_the_hub_entity_and_each_hub_sees_its_own(store):
    v4, v5 = services(store)
    assert isinstance(v5.events, HubV5)
    hub = v5.events.register({**HUB, "query": "eventType=PartyInteractionCreateEvent"})
    assert v5contract.schema_problems(hub, "Hub") == []
    assert hub == {
        "id": hub["id"],
        "href": f"{V5_BASE_PATH}/hub/{hub['id']}",
        "callback": HUB["callback"],
        "query": "eventType=PartyInteractionCreateEvent",
        "@type": "Hub",
    }
    assert v5.events.retrieve(hub["id"], base_url="https://h/v5") == {
        **hub,
        "href": f"https://h/v5/hub/{hub['id']}",
    }
    with pytest.raises(NotFoundError):
        v4.events.retrieve(hub["id"])
    with pytest.raises(NotFoundError):
        v4.events.unregister(hub["id"])
    old = v4.events.register({"callback": HUB["callback"]})
    with pytest.raises(NotFoundError):
        v5.events.retrieve(old["id"])
    v5.events.unregister(hub["id"])
    with pytest.raises(NotFoundError):
        v5.events.retrieve(hub["id"])
    assert v4.events.retrieve(old["id"]) == old


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"callback": "http://127.0.0.1:9/"}, "$.@type"),
        ({"@type": "Hub"}, "$.callback"),
        ({**HUB, "callback": "ftp://x/"}, "$.callback"),
        ({**HUB, "@type": "Nonsense"}, "$.@type"),
        ({**HUB, "id": "mine"}, "$.id"),
        ({**HUB, "query": 5}, "$.query"),
        ("not an object", "$"),
    ],
)
def test_bad_hub_bodies_are_refused_naming_the_attribute(body, where):
    _, v5 = services()
    with pytest.raises(ValidationError) as raised:
        v5.events.register(body)
    assert where in [path for path, _ in raised.value.problems]


def test_a_v5_query_is_read_in_v5_names():
    _, v5 = services()
    v5.events.register(
        {**HUB, "query": "event.partyInteraction.relatedChannel.channel.id=555"}
    )
    with pytest.raises(InvalidQueryError):
        v5.events.register({**HUB, "query": "eventType=NoSuchEvent"})
    with pytest.raises(InvalidQueryError):
        v5.events.register({**HUB, "query": "source.id=x"})


def collect(
    v4: PartyInteractionService, v5: PartyInteractionServiceV5, query: str = ""
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """In-process subscribers of each version (``query`` for the v5 one)."""
    got4: list[dict[str, Any]] = []
    got5: list[dict[str, Any]] = []
    v4.events.subscribe(got4.append)
    v5.events.subscribe(got5.append, query)
    return got4, got5


def test_each_version_gets_its_own_envelopes_whichever_version_wrote():
    v4, v5 = services()
    got4, got5 = collect(v4, v5)
    created = v5.create(V5_BODY)
    v4.patch(created["id"], {"status": "closed"})
    v5.patch(
        created["id"],
        {"externalIdentifier": [{"@type": "ExternalIdentifier", "id": "CRM-8"}]},
    )
    v4.delete(created["id"])
    v4.events.flush(10)
    kinds = [e["eventType"] for e in got5]
    assert kinds == [
        "PartyInteractionCreateEvent",
        "PartyInteractionAttributeValueChangeEvent",
        "PartyInteractionStatusChangeEvent",
        "PartyInteractionAttributeValueChangeEvent",
        "PartyInteractionDeleteEvent",
    ]
    # v4 does not see externalIdentifier: that patch raised nothing for it
    assert [e["eventType"] for e in got4] == [kinds[0], kinds[1], kinds[2], kinds[4]]
    for envelope in got5:
        valid_v5_event(envelope)
        assert envelope["eventTime"] == envelope["timeOccurred"]
    assert got5[1]["fieldPath"] == "status,statusChangeDate"
    assert got5[3]["fieldPath"] == "externalIdentifier"
    assert got5[0]["event"]["partyInteraction"]["href"] == (
        f"{V5_BASE_PATH}/partyInteraction/{created['id']}"
    )
    assert "@type" not in got4[0]
    assert "relatedChannel" not in got4[0]["event"]["partyInteraction"]
    assert got4[0]["event"]["partyInteraction"]["channel"][0]["id"] == "555"
    assert {e["eventId"] for e in got4}.isdisjoint(e["eventId"] for e in got5)


def test_the_v5_payload_is_what_v5_reads_at_that_moment():
    v4, v5 = services()
    _, got5 = collect(v4, v5)
    created = v4.create({**MINIMAL, "status": "open"})
    after = v4.patch(created["id"], {"status": "held"})
    v4.events.flush(10)
    assert got5[0]["event"]["partyInteraction"]["status"] == "open"
    assert got5[-1]["event"]["partyInteraction"] == v5.retrieve(after["id"])


def test_a_v5_write_that_changes_nothing_raises_nothing():
    v4, v5 = services()
    got4, got5 = collect(v4, v5)
    created = v5.create(V5_BODY)
    v5.patch(created["id"], {"reason": V5_BODY["reason"]})
    v4.events.flush(10)
    assert [e["eventType"] for e in got5] == ["PartyInteractionCreateEvent"]
    assert len(got4) == 1


def test_a_v5_hub_query_selects_and_trims_in_v5_names():
    v4, v5 = services()
    _, got5 = collect(
        v4,
        v5,
        "eventType=PartyInteractionCreateEvent"
        "&event.partyInteraction.relatedChannel.channel.id=555"
        "&fields=event.partyInteraction.reason",
    )
    v4.create({**MINIMAL, "channel": [{"id": "777"}]})
    created = v5.create(V5_BODY)
    v4.events.flush(10)
    assert len(got5) == 1
    assert got5[0]["event"] == {
        "partyInteraction": {
            "id": created["id"],
            "href": created["href"],
            "reason": "roaming",
            "@type": "PartyInteraction",
        }
    }


def test_a_v5_hub_fields_selection_keeps_a_subclass_schema_location():
    v4, v5 = services()
    _, got5 = collect(v4, v5, "fields=event.partyInteraction.reason")
    subclass = {
        **V5_BODY,
        "@type": "TaggedInteraction",
        "@schemaLocation": "https://schemas.example.com/TaggedInteraction.json",
    }
    created = v5.create(subclass)
    v4.events.flush(10)
    assert [e["event"] for e in got5] == [
        {
            "partyInteraction": {
                "id": created["id"],
                "href": created["href"],
                "reason": "roaming",
                "@type": "TaggedInteraction",
                "@schemaLocation": subclass["@schemaLocation"],
            }
        }
    ]
    assert (
        v5contract.schema_problems(
            got5[0]["event"]["partyInteraction"], "PartyInteraction"
        )
        == []
    )


def test_hub_deliveries_are_written_with_the_change(store):
    v4, v5 = services(store)
    v5.events.register({**HUB, "query": "eventType=PartyInteractionCreateEvent"})
    v4.events.register({"callback": "http://127.0.0.1:9/v4"})
    created = v5.create(V5_BODY)
    v4.patch(created["id"], {"description": "seen by both"})
    due = store.due_deliveries(time.time() + 3600, 10)
    by_callback: dict[str, list[dict[str, Any]]] = {d.callback: [] for d in due}
    for delivery in due:
        by_callback[delivery.callback].append(delivery.event)
    assert [e["eventType"] for e in by_callback[HUB["callback"]]] == [
        "PartyInteractionCreateEvent"
    ]
    valid_v5_event(by_callback[HUB["callback"]][0])
    # one due at a time per callback (in order): the v4 create comes first
    assert [e["eventType"] for e in by_callback["http://127.0.0.1:9/v4"]] == [
        "PartyInteractionCreateEvent"
    ]
    assert "@type" not in by_callback["http://127.0.0.1:9/v4"][0]


# --- over HTTP: a real tmf683-server, real receivers --------------------------------


@pytest.mark.slow
def test_a_v4_and_a_v5_subscriber_each_get_their_own_envelopes(database):
    json_patch = {"Content-Type": "application/json-patch+json"}
    with (
        receiving() as old,
        receiving() as new,
        ServerProcess("--db", database, "--versions", "v4,v5", *FAST) as server,
    ):
        v4_root, v5_root = server.bases["v4"], server.bases["v5"]
        assert (
            httpx.post(f"{v4_root}hub", json={"callback": old.url}).status_code == 201
        )
        registered = httpx.post(f"{v5_root}hub", json={**HUB, "callback": new.url})
        assert registered.status_code == 201
        assert registered.headers["location"] == registered.json()["href"]
        created = httpx.post(f"{v5_root}partyInteraction", json=V5_BODY).json()
        item = f"partyInteraction/{created['id']}"
        merged = httpx.patch(f"{v4_root}{item}", json={"status": "closed"})
        assert merged.status_code == 200
        patched = httpx.patch(
            f"{v4_root}{item}",
            json=[{"op": "add", "path": "/description", "value": "d"}],
            headers=json_patch,
        )
        assert patched.status_code == 200
        assert httpx.delete(f"{v5_root}{item}").status_code == 204
        kinds = [
            "PartyInteractionCreateEvent",
            "PartyInteractionAttributeValueChangeEvent",
            "PartyInteractionStatusChangeEvent",
            "PartyInteractionAttributeValueChangeEvent",
            "PartyInteractionDeleteEvent",
        ]
        got_new = new.wait_for(len(kinds))
        got_old = old.wait_for(len(kinds))
    assert [e["eventType"] for e in got_new] == kinds
    assert [e["eventType"] for e in got_old] == kinds
    for envelope in got_new:
        valid_v5_event(envelope)
        payload = envelope["event"]["partyInteraction"]
        assert payload["href"] == f"{v5_root}{item}"
        assert payload["externalIdentifier"][0]["id"] == "CRM-7"
    for envelope in got_old:
        assert "@type" not in envelope
        assert envelope["event"]["partyInteraction"]["href"] == f"{v4_root}{item}"
        assert envelope["event"]["partyInteraction"]["channel"][0]["id"] == "555"
    assert len({e["eventId"] for e in got_new + got_old}) == 2 * len(kinds)
    # what pairs the two envelopes of one change (docs/v5.md, "A migration")
    for new_one, old_one in zip(got_new, got_old, strict=True):
        assert new_one["eventTime"] == old_one["eventTime"]
        assert (
            new_one["event"]["partyInteraction"]["id"]
            == old_one["event"]["partyInteraction"]["id"]
        )
    key = {
        (e["eventType"], e["eventTime"], e["event"]["partyInteraction"]["id"])
        for e in got_new
    }
    assert len(key) == len(kinds)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_no_v5_or_v4_event_is_lost_or_doubled_across_a_crash(database):
    """kill -9 with deliveries of both versions pending: after a restart on the same
    store each subscriber gets each of its events once, in order, in its envelope."""
    old_port, new_port = _free_port(), _free_port()
    server = ServerProcess("--db", database, "--versions", "v4,v5", *FAST)
    try:
        v4_root, v5_root = server.bases["v4"], server.bases["v5"]
        old_cb = f"http://127.0.0.1:{old_port}/listener"
        new_cb = f"http://127.0.0.1:{new_port}/listener"
        assert httpx.post(f"{v4_root}hub", json={"callback": old_cb}).is_success
        assert httpx.post(f"{v5_root}hub", json={**HUB, "callback": new_cb}).is_success
        ids = [httpx.post(f"{v5_root}partyInteraction", json=V5_BODY).json()["id"]]
        ids.append(httpx.post(f"{v4_root}partyInteraction", json=MINIMAL).json()["id"])
        ids.append(httpx.post(f"{v5_root}partyInteraction", json=V5_BODY).json()["id"])
    finally:
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    with (
        receiving(port=old_port) as old,
        receiving(port=new_port) as new,
        ServerProcess("--db", database, "--versions", "v4,v5", *FAST) as restarted,
    ):
        got_new = new.wait_for(3, seconds=60)
        got_old = old.wait_for(3, seconds=60)
        # one more change after the three: when it arrives, nothing came twice
        httpx.post(f"{restarted.bases['v4']}partyInteraction", json=MINIMAL)
        got_new = new.wait_for(4, seconds=60)
        got_old = old.wait_for(4, seconds=60)
    for got in (got_new, got_old):
        assert [e["event"]["partyInteraction"]["id"] for e in got[:3]] == ids
        assert len(got) == 4
        assert len({e["eventId"] for e in got}) == 4
    for envelope in got_new:
        valid_v5_event(envelope)
    assert all("@type" not in envelope for envelope in got_old)


# --- the v5 listener ----------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[httpx.Client, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    app = falcon.App()
    mount_listener(app, received.append, base_path="/v5", version="v5")
    with serving(app) as root, httpx.Client(base_url=root, timeout=10) as http:
        yield http, received


def test_the_v5_listener_answers_204_and_hands_the_envelope_over(listener):
    http, received = listener
    v4, v5 = services()
    got: list[dict[str, Any]] = []
    v5.events.subscribe(got.append)
    v5.create(V5_BODY)
    v4.events.flush(10)
    response = http.post("/v5/listener/partyInteractionCreateEvent", json=got[0])
    assert (response.status_code, response.content) == (204, b"")
    assert received == got


def test_the_v5_listener_refuses_a_bad_envelope_with_a_v5_error(listener):
    http, received = listener
    response = http.post(
        "/v5/listener/partyInteractionDeleteEvent",
        json={"eventType": "PartyInteractionCreateEvent", "eventId": "e"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["@type"] == "Error"
    assert "$.eventType" in body["message"]
    assert received == []


def test_mount_listener_knows_two_versions():
    with pytest.raises(ValueError, match="v4 or v5"):
        mount_listener(falcon.App(), print, version="v6")


def test_a_404_names_the_versions_own_word_for_a_subscription():
    v4, v5 = services()
    hub = v5.events.register(HUB)
    with pytest.raises(NotFoundError, match="no Hub with id 'nope'"):
        v5.events.retrieve("nope")
    with pytest.raises(NotFoundError, match="no EventSubscription with id"):
        v4.events.retrieve(hub["id"])


def test_a_stored_query_that_no_longer_parses_skips_that_subscription_only(
    store, caplog
):
    """A subscription row whose query does not parse (an older release's rules, or
    written straight into the store) must not fail every write: it gets nothing
    and is logged by id; the other subscriptions of both versions still get theirs."""
    v4, v5 = services(store)
    store.add_subscription(
        {"id": "broken-4", "callback": "http://127.0.0.1:9/b4", "query": "nosuch="}
    )
    store.add_subscription(
        {
            "id": "broken-5",
            "callback": "http://127.0.0.1:9/b5",
            "query": "eventType=(",
            "version": "v5",
        }
    )
    v4.events.register({"callback": "http://127.0.0.1:9/v4"})
    v5.events.register(HUB)
    with caplog.at_level("ERROR", logger="tmf683.events.publish"):
        created = v5.create(V5_BODY)
        v4.patch(created["id"], {"description": "still written"})
    assert v4.retrieve(created["id"])["description"] == "still written"
    callbacks = {d.callback for d in store.due_deliveries(time.time() + 3600, 10)}
    assert callbacks == {"http://127.0.0.1:9/v4", HUB["callback"]}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "broken-4" in logged
    assert "broken-5" in logged


def test_a_dotted_v5_hub_fields_path_keeps_the_types_on_the_way():
    v4, v5 = services()
    _, got5 = collect(v4, v5, "fields=event.partyInteraction.relatedChannel.channel.id")
    created = v5.create(V5_BODY)
    v4.events.flush(10)
    interaction = got5[0]["event"]["partyInteraction"]
    assert interaction == {
        "id": created["id"],
        "href": created["href"],
        "@type": "PartyInteraction",
        "relatedChannel": [
            {"@type": "RelatedChannel", "channel": {"@type": "ChannelRef", "id": "555"}}
        ],
    }
    valid_v5_event(got5[0])


def test_a_server_answers_the_adversarial_inputs_with_400s_not_500s(database):
    """What a tester sent to ``python -m tmf683_falcon``: an unpaired surrogate, the
    reserved ``_v5``, v4 names in v5 queries; each was a 500 or silently ignored."""
    with ServerProcess("--db", database, "--versions", "v4,v5", *FAST) as server:
        v4_root, v5_root = server.bases["v4"], server.bases["v5"]
        created = httpx.post(f"{v5_root}partyInteraction", json=V5_BODY).json()
        item = f"{v5_root}partyInteraction/{created['id']}"
        as_json = {"Content-Type": "application/json"}
        merge = {"Content-Type": "application/merge-patch+json"}
        body = json.dumps(V5_BODY)[:-1] + ', "\\ud800": 1}'
        for method, url, text, headers in [
            ("POST", f"{v5_root}partyInteraction", '{"reason":"\\ud800"}', as_json),
            ("POST", f"{v5_root}partyInteraction", body, as_json),
            ("PATCH", item, '{"\\ud800":1}', merge),
            (
                "POST",
                f"{v5_root}hub",
                json.dumps(HUB)[:-1] + ', "\\ud800": 1}',
                as_json,
            ),
            ("PATCH", item, '{"_v5":{"x":1}}', merge),
            ("PATCH", item, '{"_v5":null}', merge),
        ]:
            answer = httpx.request(method, url, content=text, headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (400, "invalidBody")
        for query in ("relatedParty.id=P1", "interactionItem.item.id=1"):
            listed = httpx.get(f"{v5_root}partyInteraction?{query}&limit=0")
            assert (listed.status_code, listed.json()["code"]) == (400, "invalidQuery")
        hub = {**HUB, "query": "event.partyInteraction.relatedParty.id=P1"}
        assert httpx.post(f"{v5_root}hub", json=hub).status_code == 400
        v4_named = httpx.get(f"{v4_root}partyInteraction?channel.id=555")
        assert [i["id"] for i in v4_named.json()] == [created["id"]]  # v4 unchanged
        assert httpx.get(item).json() == created
        assert not any("Traceback" in line for line in server.log)
