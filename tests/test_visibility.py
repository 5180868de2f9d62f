"""party=: a caller restricted to one party, in the store of every kind, v4 and v5."""

from __future__ import annotations

import pytest

from tests.conftest import MINIMAL
from tmf683 import (
    NotFoundError,
    PartyInteractionServiceV5,
    PartyRestrictionError,
    PreconditionFailedError,
)


def party(id, role):
    return {"id": id, "role": role, "@referredType": "Individual"}


@pytest.fixture
def made(service):
    """Four interactions: P1 as customer, P1 as agent beside P2, P2 alone, nobody."""
    bodies = {
        "p1": [party("P1", "customer")],
        "p1_agent": [party("P2", "customer"), party("P1", "agent")],
        "p2": [party("P2", "customer")],
        "nobody": [],
    }
    return {
        name: service.create({**MINIMAL, "relatedParty": related, "status": "open"})[
            "id"
        ]
        for name, related in bodies.items()
    }


def ids(page):
    return [item["id"] for item in page.items]


def test_list_and_count_hold_only_the_party(service, made):
    page = service.list("", party="P1")
    assert ids(page) == [made["p1"], made["p1_agent"]]
    assert page.total_count == 2
    assert service.list("limit=0", party="P1").total_count == 2
    assert service.list("", party="P3").total_count == 0
    assert service.list("").total_count == 4


def test_the_callers_own_conditions_keep_their_meaning(service, made):
    # P1 sees the interactions with some customer: also the one where P1 is the agent
    customers = service.list("relatedParty.role=customer", party="P1")
    assert ids(customers) == [made["p1"], made["p1_agent"]]
    # a filter naming another party finds only shared interactions
    assert ids(service.list("relatedParty.id=P2", party="P1")) == [made["p1_agent"]]
    # an OR cannot widen the restriction
    either = service.list("relatedParty.id=P2;status=open", party="P1")
    assert ids(either) == [made["p1"], made["p1_agent"]]


def test_single_operations_on_another_partys_interaction_are_not_found(service, made):
    other = made["p2"]
    with pytest.raises(NotFoundError) as hidden:
        service.retrieve(other, party="P1")
    with pytest.raises(NotFoundError) as missing:
        service.retrieve("no-such-id", party="P1")
    assert str(hidden.value) == str(missing.value).replace("no-such-id", other)
    with pytest.raises(NotFoundError):
        service.patch(other, {"status": "closed"}, party="P1")
    with pytest.raises(NotFoundError):
        service.delete(other, party="P1")
    with pytest.raises(NotFoundError):
        service.retrieve(made["nobody"], party="P1")
    assert service.retrieve(other)["status"] == "open"  # nothing written or deleted
    assert service.list("").total_count == 4


def test_single_operations_on_the_partys_interaction_work(service, made):
    assert service.retrieve(made["p1_agent"], party="P1")["id"] == made["p1_agent"]
    patched = service.patch(made["p1_agent"], {"status": "closed"}, party="P1")
    assert patched["status"] == "closed"
    service.delete(made["p1"], party="P1")
    assert service.list("", party="P1").total_count == 1


def test_a_patch_that_removes_the_party_is_refused(service, made):
    """A restricted caller may not hide its interaction from itself (nor hand it to
    another party): nothing is written; tests/test_party_writes.py has the rest."""
    with pytest.raises(PartyRestrictionError):
        service.patch(made["p1"], {"relatedParty": [party("P3", "x")]}, party="P1")
    assert service.retrieve(made["p1"], party="P1")["relatedParty"][0]["id"] == "P1"
    service.patch(made["p1"], {"relatedParty": [party("P3", "x")]})  # unrestricted
    with pytest.raises(NotFoundError):
        service.retrieve(made["p1"], party="P1")


def test_v5_sees_the_same_interactions(service, made):
    v5 = PartyInteractionServiceV5(service)
    page = v5.list("", party="P1")
    assert ids(page) == [made["p1"], made["p1_agent"]]
    assert page.total_count == 2
    # a query on v5-only data runs in memory: the restriction holds there too
    typed = v5.list("@type=PartyInteraction", party="P1")
    assert ids(typed) == [made["p1"], made["p1_agent"]]
    assert typed.total_count == 2
    named = v5.list("relatedParty.partyOrPartyRole.id=P2", party="P1")
    assert ids(named) == [made["p1_agent"]]
    view = v5.retrieve(made["p1"], party="P1")
    assert view["relatedParty"][0]["partyOrPartyRole"]["id"] == "P1"
    for call in (
        lambda: v5.retrieve(made["p2"], party="P1"),
        lambda: v5.patch(made["p2"], {"status": "closed"}, party="P1"),
        lambda: v5.delete(made["p2"], party="P1"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert v5.patch(made["p1"], {"status": "closed"}, party="P1")["status"] == "closed"
    v5.delete(made["p1"], party="P1")
    assert v5.list("", party="P1").total_count == 1
    assert service.list("").total_count == 3


def test_a_stale_if_match_on_another_partys_interaction_is_not_found(service, made):
    """A 412 would tell a restricted caller the id exists: it is a 404 as without
    If-Match; on its own interactions the caller gets the 412."""
    v5 = PartyInteractionServiceV5(service)
    other, own = made["p2"], made["p1"]
    for version in (service, v5):
        with pytest.raises(NotFoundError):
            version.patch(other, {"status": "x"}, if_match=99, party="P1")
        with pytest.raises(NotFoundError):
            version.delete(other, if_match=99, party="P1")
        with pytest.raises(PreconditionFailedError):
            version.patch(own, {"status": "x"}, if_match=99, party="P1")
        with pytest.raises(PreconditionFailedError):
            version.delete(own, if_match=99, party="P1")
    assert service.retrieve(other)["status"] == "open"
