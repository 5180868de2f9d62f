"""party= on writes: a caller restricted to one party may not write another one in.

Every store, v4 and v5, create and every patch format: the rule is checked on the
canonical document, before anything is stored, and no event is raised on a refusal.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import MINIMAL, V5_BODY
from tmf683 import (
    PartyInteractionService,
    PartyInteractionServiceV5,
    PartyRestrictionError,
    PatchFormat,
)

MERGE, JSON_PATCH, QUERY = (
    PatchFormat.MERGE,
    PatchFormat.JSON_PATCH,
    PatchFormat.JSON_PATCH_QUERY,
)


def v4_party(id: str, role: str = "customer") -> dict[str, Any]:
    return {"id": id, "role": role, "@referredType": "Individual"}


def v5_party(id: str, role: str = "customer") -> dict[str, Any]:
    return {
        "@type": "RelatedPartyOrPartyRole",
        "role": role,
        "partyOrPartyRole": {"@type": "PartyRef", "id": id},
    }


PARTY = {"v4": v4_party, "v5": v5_party}
BODY = {"v4": MINIMAL, "v5": V5_BODY}
ID_FILTER = {"v4": "id", "v5": "partyOrPartyRole.id"}
ID_PATH = {"v4": "id", "v5": "partyOrPartyRole/id"}


def body(version: str, *parties: tuple[str, str]) -> dict[str, Any]:
    made = PARTY[version]
    return {**BODY[version], "relatedParty": [made(id, role) for id, role in parties]}


def party_ids(document: Any, version: str) -> list[str]:
    if version == "v4":
        return [element["id"] for element in document.get("relatedParty", [])]
    return [
        element["partyOrPartyRole"]["id"]
        for element in document.get("relatedParty", [])
    ]


@pytest.fixture(params=["v4", "v5"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api(
    service: PartyInteractionService, version: str
) -> PartyInteractionService | PartyInteractionServiceV5:
    return service if version == "v4" else PartyInteractionServiceV5(service)


@pytest.fixture
def events(service: PartyInteractionService) -> list[Any]:
    seen: list[Any] = []
    service.events.subscribe(seen.append)
    return seen


def no_event(service: PartyInteractionService, events: list[Any]) -> bool:
    service.events.flush(timeout=30)
    return events == []


def test_a_party_creates_an_interaction_of_its_own(api, version):
    created = api.create(body(version, ("P1", "customer")), party="P1")
    assert api.retrieve(created["id"], party="P1")["id"] == created["id"]
    twice = api.create(body(version, ("P1", "customer"), ("P1", "agent")), party="P1")
    assert party_ids(twice, version) == ["P1", "P1"]
    assert api.list("", party="P1").total_count == 2


@pytest.mark.parametrize(
    ("parties", "others", "missing"),
    [
        ([("P2", "customer")], ("P2",), True),
        ([("P1", "customer"), ("P2", "agent"), ("P3", "x")], ("P2", "P3"), False),
        ([("P2", "customer"), ("P1", "agent")], ("P2",), False),
        ([], (), True),
    ],
    ids=["another", "beside-others", "another-first", "none"],
)
def test_a_party_may_not_create_for_another(
    api, service, version, events, parties, others, missing
):
    with pytest.raises(PartyRestrictionError) as refused:
        api.create(body(version, *parties), party="P1")
    assert (refused.value.party, refused.value.others) == ("P1", others)
    assert refused.value.missing is missing
    for other in others:
        assert f"'{other}'" in str(refused.value)
    assert service.list("").total_count == 0  # nothing stored
    assert no_event(service, events)


def test_a_party_may_not_create_without_related_party(api, service, version, events):
    bare = {k: v for k, v in body(version).items() if k != "relatedParty"}
    with pytest.raises(PartyRestrictionError) as refused:
        api.create(bare, party="P1")
    assert refused.value.missing
    assert service.list("").total_count == 0
    assert no_event(service, events)


def test_an_unrestricted_create_names_any_party(api, version):
    created = api.create(body(version, ("P2", "customer")))
    assert party_ids(created, version) == ["P2"]
    assert api.list("", party="P2").total_count == 1
    assert api.list("", party="P1").total_count == 0


def test_create_many_refuses_the_whole_batch(service, events):
    good = body("v4", ("P1", "customer"))
    with pytest.raises(PartyRestrictionError) as refused:
        service.create_many([good, body("v4", ("P2", "customer"))], party="P1")
    assert refused.value.others == ("P2",)
    assert service.list("").total_count == 0
    assert no_event(service, events)
    made = service.create_many([good, good], party="P1")
    assert len(made) == 2
    assert service.list("", party="P1").total_count == 2


def _plants(version: str) -> list[tuple[PatchFormat, Any, str, tuple[str, ...], bool]]:
    """(format, patch, start, others, missing) of patches party P1 may not make.

    ``start`` is the interaction patched: ``own`` holds P1 only, ``shared`` holds
    P2 (customer) and P1 (agent).
    """
    party = PARTY[version]
    key, path = ID_FILTER[version], ID_PATH[version]
    return [
        (
            MERGE,
            {"relatedParty": [party("P1"), party("P2")]},
            "own",
            ("P2",),
            False,
        ),
        (MERGE, {"relatedParty": [party("P2")]}, "own", ("P2",), True),
        (MERGE, {"relatedParty": None}, "own", (), True),
        (
            JSON_PATCH,
            [{"op": "add", "path": "/relatedParty/-", "value": party("P2")}],
            "own",
            ("P2",),
            False,
        ),
        (JSON_PATCH, [{"op": "remove", "path": "/relatedParty/0"}], "own", (), True),
        (
            JSON_PATCH,
            [{"op": "replace", "path": f"/relatedParty/0/{path}", "value": "P3"}],
            "shared",
            ("P3",),
            False,
        ),
        (
            QUERY,
            [
                {
                    "op": "replace",
                    "path": f"/relatedParty?{key}=P1/{path}",
                    "value": "P2",
                }
            ],
            "own",
            ("P2",),
            True,
        ),
        (
            QUERY,
            [{"op": "add", "path": "/relatedParty/-", "value": party("P3")}],
            "shared",
            ("P3",),
            False,
        ),
        (
            QUERY,
            [{"op": "remove", "path": f"/relatedParty?{key}=P1"}],
            "shared",
            (),
            True,
        ),
    ]


PLANT_IDS = [
    "merge-add",
    "merge-swap",
    "merge-drop",
    "patch-add",
    "patch-remove-own",
    "patch-rename-other",
    "query-rename-own",
    "query-add",
    "query-remove-own",
]


@pytest.fixture
def made(api, version) -> dict[str, str]:
    return {
        "own": api.create(body(version, ("P1", "customer")))["id"],
        "shared": api.create(body(version, ("P2", "customer"), ("P1", "agent")))["id"],
    }


@pytest.mark.parametrize("case", range(len(PLANT_IDS)), ids=PLANT_IDS)
def test_a_party_may_not_patch_another_in_nor_itself_out(
    api, service, version, made, events, case
):
    patch_format, patch, start, others, missing = _plants(version)[case]
    id = made[start]
    before = api.retrieve(id)
    with pytest.raises(PartyRestrictionError) as refused:
        api.patch(id, patch, patch_format=patch_format, party="P1")
    assert (refused.value.others, refused.value.missing) == (others, missing)
    after = api.retrieve(id)
    assert after == before  # nothing stored
    assert after.version == before.version
    assert api.list("", party="P2").total_count == 1  # only the shared one
    assert api.list("", party="P3").total_count == 0
    assert no_event(service, events)


@pytest.mark.parametrize("case", range(len(PLANT_IDS)), ids=PLANT_IDS)
def test_the_same_patches_are_unrestricted_without_a_party(api, version, made, case):
    patch_format, patch, start, others, _ = _plants(version)[case]
    before = api.retrieve(made[start])
    patched = api.patch(made[start], patch, patch_format=patch_format)
    assert patched.version == before.version + 1
    for other in others:
        assert other in party_ids(patched, version)


def _allowed(version: str) -> list[tuple[PatchFormat, Any, list[str]]]:
    """(format, patch, party ids after) party P1 may make on ``shared``."""
    party = PARTY[version]
    key = ID_FILTER[version]
    return [
        (MERGE, {"status": "closed"}, ["P2", "P1"]),
        (MERGE, {"relatedParty": [party("P1", "agent")]}, ["P1"]),
        (
            MERGE,
            {"relatedParty": [party("P2"), party("P1", "agent"), party("P1")]},
            ["P2", "P1", "P1"],
        ),
        (
            JSON_PATCH,
            [{"op": "replace", "path": "/relatedParty/0/role", "value": "payer"}],
            ["P2", "P1"],
        ),
        (
            JSON_PATCH,
            [{"op": "add", "path": "/relatedParty/-", "value": party("P1", "x")}],
            ["P2", "P1", "P1"],
        ),
        (QUERY, [{"op": "remove", "path": f"/relatedParty?{key}=P2"}], ["P1"]),
        (
            QUERY,
            [
                {
                    "op": "replace",
                    "path": f"/relatedParty?{key}=P1/role",
                    "value": "owner",
                }
            ],
            ["P2", "P1"],
        ),
    ]


ALLOWED_IDS = [
    "merge-status",
    "merge-drop-other",
    "merge-add-self",
    "patch-role-of-other",
    "patch-add-self",
    "query-remove-other",
    "query-own-role",
]


@pytest.mark.parametrize("case", range(len(ALLOWED_IDS)), ids=ALLOWED_IDS)
def test_a_party_patches_its_interaction_keeping_itself(api, version, made, case):
    patch_format, patch, expected = _allowed(version)[case]
    id = made["shared"]
    before = api.retrieve(id).version
    patched = api.patch(id, patch, patch_format=patch_format, party="P1")
    assert party_ids(patched, version) == expected
    assert patched.version == before + 1
    assert party_ids(api.retrieve(id, party="P1"), version) == expected
