"""The hub's subscription index selects exactly what evaluating every subscription does.

The oracle is the former path: every stored subscription of the event's audience,
in registration order, matched in full against each envelope. The index
(:mod:`tmf683.events.subindex`) only narrows which subscriptions are matched, so
the deliveries must be the same, in the same order, on every store; and a
subscription registered or removed through another store instance (another
process) is seen by the next write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import postgres
from tmf683 import (
    InvalidQueryError,
    MemoryStore,
    PartyInteractionService,
    PostgresStore,
    SQLiteStore,
)
from tmf683.events.audiences import audience_of
from tmf683.events.envelopes import (
    EVENT_TYPES,
    V4_EVENTS,
    EventSelector,
    events_for_change,
)
from tmf683.events.subindex import SubscriptionIndex, values_at
from tmf683.query.schema import AttributeKind
from tmf683.storage.base import Delivery, PartyInteractionStore
from tmf683.versions.v5events import V5_EVENTS

P = "event.partyInteraction."
STATUSES = ("open", "closed", "held")
PARTIES = ("P1", "P2")


@st.composite
def _condition(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 7))
    if kind == 0:
        types = draw(st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=2))
        return "eventType=" + ",".join(types)
    if kind == 1:
        return f"{P}status=" + ",".join(
            draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=2))
        )
    if kind == 2:
        return f"{P}status.ne={draw(st.sampled_from(STATUSES))}"
    if kind == 3:
        return f"{P}relatedParty.id={draw(st.sampled_from(PARTIES))}"
    if kind == 4:
        return f"{P}id={draw(st.sampled_from(('I1', 'I2')))}"
    if kind == 5:
        return (
            f"{P}status={draw(st.sampled_from(STATUSES))};"
            f"eventType={draw(st.sampled_from(EVENT_TYPES))}"
        )
    if kind == 6:
        return f"fieldPath={draw(st.sampled_from(('status', 'status,reason')))}"
    return f"{P}reason.regex={draw(st.sampled_from(('^b', 'x')))}"


QUERIES = st.lists(_condition(), max_size=3).map("&".join)
"""Subscription queries: equalities the index files by, and conditions it cannot."""


@st.composite
def _document(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": draw(st.sampled_from(("I1", "I2"))),
        "reason": draw(st.sampled_from(("billing", "x-ray"))),
        "channel": [{"id": "555"}],
        "direction": "inbound",
    }
    if draw(st.booleans()):
        document["status"] = draw(st.sampled_from(STATUSES))
    parties = draw(st.lists(st.sampled_from(PARTIES), max_size=2))
    if parties:
        document["relatedParty"] = [
            {"id": p, "role": "customer", "@referredType": "Individual"}
            for p in parties
        ]
    return document


def _envelopes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Any]:
    return [
        V4_EVENTS.make(
            event_type,
            document,
            event_id="E1",
            event_time=datetime(2024, 1, 1, tzinfo=UTC),
            field_path=field_path,
        )
        for event_type, document, field_path in events_for_change(old, new)
    ]


CHANGES = st.tuples(st.none() | _document(), st.none() | _document())


@settings(max_examples=400, deadline=None)
@given(st.lists(QUERIES, max_size=12), CHANGES)
def test_the_index_finds_every_subscription_that_matches(queries, change):
    selectors = [EventSelector.parse(q) for q in queries]
    index = SubscriptionIndex(
        [(({"n": n}, s), s.query) for n, s in enumerate(selectors)]
    )
    for envelope in _envelopes(*change):
        every = [n for n, s in enumerate(selectors) if s.select(envelope) is not None]
        found = [e["n"] for e, s in index.candidates(envelope) if s.select(envelope)]
        assert found == every
        assert set(every) <= {e["n"] for e, _ in index.candidates(envelope)}


def test_an_event_is_matched_only_against_the_subscriptions_that_can_select_it():
    queries = [
        "eventType=PartyInteractionDeleteEvent",
        f"eventType=PartyInteractionCreateEvent&{P}status=held",
        f"{P}relatedParty.id=P9",
        f"{P}status.ne=open",
        "",
    ]
    selectors = [EventSelector.parse(q) for q in queries]
    index = SubscriptionIndex(
        [(({"n": n}, s), s.query) for n, s in enumerate(selectors)]
    )
    (envelope,) = _envelopes(None, {"id": "I1", "status": "open"})
    assert [e["n"] for e, _ in index.candidates(envelope)] == [
        3,
        4,
    ]  # the two without an equality


def test_values_at_goes_through_arrays_and_keeps_the_attribute_type():
    document = {"a": [{"b": "x"}, {"b": 2}, "c", {"b": ["y"]}], "n": 1}
    assert list(values_at(document, ("a", "b"), AttributeKind.STRING)) == ["x", "y"]
    assert list(values_at(document, ("n",), AttributeKind.NUMBER)) == [1]
    assert list(values_at(document, ("n",), AttributeKind.STRING)) == []


def _old_path(store: PartyInteractionStore, raised: list[Any]) -> list[Any]:
    """What the former code wrote: every subscription of the audience, in order."""
    formats = {"v4": V4_EVENTS, "v5": V5_EVENTS}
    found = []
    for audience, envelope in raised:
        for subscription in store.subscriptions():
            if audience_of(subscription) != audience:
                continue
            selected = EventSelector.parse(
                subscription["query"], formats[audience[0]]
            ).select(envelope)
            if selected is not None:
                found.append((subscription["id"], subscription["callback"], selected))
    return found


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(QUERIES, st.booleans(), st.booleans()), max_size=8),
    CHANGES,
)
def test_every_store_writes_the_deliveries_of_evaluating_every_subscription(
    store, subscriptions, change
):
    service = PartyInteractionService(store)
    try:
        for subscription in store.subscriptions():
            store.delete_subscription(subscription["id"])
        for n, (query, v5, rooted) in enumerate(subscriptions):
            callback = f"http://127.0.0.1:9/{n}"
            root = "http://h/v4" if rooted else ""
            if v5:
                v5_query = query.replace(
                    "relatedParty.id", "relatedParty.partyOrPartyRole.id"
                )
                try:
                    service.events.add_subscription(callback, v5_query, version="v5")
                except InvalidQueryError:
                    continue  # names v4 has and v5 does not
            else:
                service.events.add_subscription(callback, query, api_root=root)
        old, new = change
        raised: list[Any] = []
        deliveries = service.events.outbox(lambda d: dict(d), raised)(old, new)
        written = [(d.subscription_id, d.callback, d.event) for d in deliveries]
        assert written == _old_path(store, raised)
    finally:
        service.close()


@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(
    request: pytest.FixtureRequest, tmp_path: Any
) -> Iterator[tuple[PartyInteractionStore, PartyInteractionStore, Any]]:
    """Two store instances on one database (two processes' views), and raw SQL."""
    first: PartyInteractionStore
    second: PartyInteractionStore
    if request.param == "sqlite":
        path = tmp_path / "shared.db"
        first, second = SQLiteStore(path), SQLiteStore(path)
        raw: Any = sqlite3.connect(path, isolation_level=None)
    else:
        url = request.getfixturevalue("postgres_databases").create()
        first, second = PostgresStore(url), PostgresStore(url)
        raw = psycopg.connect(url, autocommit=True)
    try:
        yield first, second, raw
    finally:
        raw.close()
        first.close()
        second.close()


BODY = {"channel": [{"id": "555"}], "direction": "inbound", "reason": "r"}


def _pending(store: PartyInteractionStore) -> int:
    return store.outbox_stats().pending


def test_another_instance_registering_and_removing_is_seen_by_the_next_write(
    two_stores,
):
    first, second, raw = two_stores
    writer = PartyInteractionService(first)
    other = PartyInteractionService(second)
    try:
        writer.create(BODY)  # indexes the (empty) hub
        query = "eventType=PartyInteractionCreateEvent"
        registered = other.events.register(
            {"callback": "http://127.0.0.1:9/a", "query": query}
        )
        writer.create(BODY)
        assert _pending(first) == 1
        other.events.unregister(registered["id"])
        writer.create(BODY)
        assert _pending(first) == 0
        # written straight into the table, by no tmf683 at all: the trigger moves
        # the generation too
        raw.execute(
            "INSERT INTO event_subscription (id, document) VALUES ('raw', "
            + ("?" if isinstance(raw, sqlite3.Connection) else "%s")
            + ")",
            ['{"id": "raw", "callback": "http://127.0.0.1:9/b", "query": ""}'],
        )
        writer.create(BODY)
        assert _pending(first) == 1
        raw.execute("DELETE FROM event_subscription")
        raw.execute("DELETE FROM event_delivery")
        writer.create(BODY)
        assert _pending(first) == 0
    finally:
        writer.close()
        other.close()


def test_the_memory_store_generation_moves_on_every_change():
    store = MemoryStore()
    seen = {store.subscription_generation()}
    store.add_subscription({"id": "S", "callback": "http://h/", "query": ""})
    seen.add(store.subscription_generation())
    store.delete_subscription("S")
    seen.add(store.subscription_generation())
    assert len(seen) == 3


def test_a_delivery_written_by_a_publisher_keeps_its_fields(store):
    service = PartyInteractionService(store)
    try:
        service.events.register({"callback": "http://127.0.0.1:9/x", "query": ""})
        service.create(BODY)
        (due,) = store.due_deliveries(float("inf"))
        assert isinstance(due, Delivery)
        assert due.event["eventType"] == "PartyInteractionCreateEvent"
    finally:
        service.close()


def test_truncating_the_subscriptions_moves_the_generation(postgres_url):
    postgres.empty(postgres_url)  # TRUNCATE, as the tests' fixtures do
    store = PostgresStore(postgres_url)
    try:
        store.add_subscription({"id": "S", "callback": "http://h/", "query": ""})
        before = store.subscription_generation()
        postgres.empty(postgres_url)
        assert store.subscription_generation() != before
    finally:
        store.close()
