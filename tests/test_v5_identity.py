"""The v5 data of each element follows that element through v4 writes.

v4 may see two elements alike (the same party as customer and as payer, or twice as
customer) that v5 wrote with different data (Ada, Bob); a v4 remove, move or copy
must leave each surviving element with its own v5 data, and an element v4 wrote whole
(a merge patch) that could be one of several never gets another one's.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import jsonpatch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import ServerProcess
from tests.test_v5 import V5_MINIMAL, WORDS, services
from tmf683 import PatchFormat
from tmf683.versions.v5 import to_v5
from tmf683.versions.v5contract import schema_problems

ARRAYS = {  # v4 name -> v5 name
    "channel": "relatedChannel",
    "relatedParty": "relatedParty",
    "note": "note",
    "attachment": "attachment",
    "interactionItem": "interactionItem",
}


def party(role: str, id: str, given_name: str) -> dict[str, Any]:
    return {
        "@type": "RelatedPartyOrPartyRole",
        "role": role,
        "partyOrPartyRole": {"@type": "Individual", "id": id, "givenName": given_name},
    }


ADA_AND_BOB = {
    **V5_MINIMAL,
    "relatedParty": [party("customer", "P1", "Ada"), party("payer", "P1", "Bob")],
}
"""The tester's case: one party id twice, Ada as customer, Bob as payer."""

FEW = st.sampled_from(["1", "2"])


def channels() -> st.SearchStrategy[dict[str, Any]]:
    def build(id: str, role: str, based: bool) -> dict[str, Any]:
        ref = {"@type": "ChannelRef", "id": id}
        return {
            "@type": "RelatedChannel",
            "role": role,
            "channel": {**ref, "@baseType": "EntityRef"} if based else ref,
        }

    return st.builds(build, FEW, st.sampled_from(["a", "b"]), st.booleans())


def parties() -> st.SearchStrategy[dict[str, Any]]:
    individual = st.builds(party, st.sampled_from(["a", "b"]), FEW, WORDS)
    reference = st.builds(
        lambda role, id: {
            "@type": "RelatedPartyOrPartyRole",
            "role": role,
            "partyOrPartyRole": {
                "@type": "PartyRef",
                "id": id,
                "@referredType": "Individual",
            },
        },
        st.sampled_from(["a", "b"]),
        FEW,
    )
    return individual | reference


def notes() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda text, based: (
            {"@type": "Note", "text": text} | ({"@baseType": "Note"} if based else {})
        ),
        st.sampled_from(["t", "u"]),
        st.booleans(),
    )


def attachments() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda based: (
            {
                "@type": "Attachment",
                "attachmentType": "x",
                "mimeType": "text/plain",
                "url": "http://x/a",
            }
            | ({"@baseType": "Attachment"} if based else {})
        ),
        st.booleans(),
    )


def items() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda kind, id: (
            {
                "@type": "InteractionItem",
                "item": {
                    "@type": "RelatedEntityRefOrValue",
                    "role": "r",
                    "entity": {"@type": "EntityRef", "id": id},
                },
            }
            | ({"interactionItemType": kind} if kind else {})
        ),
        st.sampled_from(["", "t", "u"]),
        FEW,
    )


@st.composite
def repeated_bodies(draw) -> dict[str, Any]:
    """v5 bodies whose arrays repeat what v4 sees (ids, types, roles, texts) with
    different v5-only data (givenName, @baseType, interactionItemType)."""
    return {
        **V5_MINIMAL,
        "relatedChannel": draw(st.lists(channels(), min_size=1, max_size=4)),
        "relatedParty": draw(st.lists(parties(), max_size=4)),
        "note": draw(st.lists(notes(), max_size=3)),
        "attachment": draw(st.lists(attachments(), max_size=3)),
        "interactionItem": draw(st.lists(items(), max_size=3)),
    }


@st.composite
def removes_and_moves(
    draw, lengths: dict[str, int], required: str = "channel"
) -> list[dict[str, Any]]:
    """1 to 6 JSON Patch removes, moves and copies within the arrays, valid for the
    arrays' lengths as each operation leaves them (``required`` keeps one)."""
    lengths = dict(lengths)
    operations: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(sorted(n for n, size in lengths.items() if size)))
        size = lengths[name]
        kinds = ["move", "copy"] + (["remove"] if size > 1 or name != required else [])
        kind = draw(st.sampled_from(kinds))
        source = draw(st.integers(0, size - 1))
        if kind == "remove":
            operations.append({"op": "remove", "path": f"/{name}/{source}"})
            lengths[name] -= 1
            continue
        bound = size if kind == "copy" else size - 1
        target = draw(st.sampled_from([str(i) for i in range(bound + 1)] + ["-"]))
        operations.append(
            {"op": kind, "from": f"/{name}/{source}", "path": f"/{name}/{target}"}
        )
        lengths[name] += kind == "copy"
    return operations


def renamed(
    operations: list[dict[str, Any]], names: dict[str, str]
) -> list[dict[str, Any]]:
    """The same operations on the arrays ``names`` maps to (``/channel/0`` ->
    ``/relatedChannel/0``)."""

    def renamed(pointer: str) -> str:
        _, name, rest = pointer.split("/", 2)
        return f"/{names[name]}/{rest}"

    return [
        {
            **op,
            "path": renamed(op["path"]),
            **({"from": renamed(op["from"])} if "from" in op else {}),
        }
        for op in operations
    ]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(repeated_bodies(), st.data())
def test_v4_removes_and_moves_keep_each_elements_own_v5_data(body, data):
    """The oracle: the v5 create's elements with the same operations applied to the
    v5 arrays (removed ones gone, the rest in v4's order, a copy a copy)."""
    v4, v5 = services()
    created = v5.create(body)
    lengths = {name: len(body[v5_name]) for name, v5_name in ARRAYS.items()}
    operations = data.draw(removes_and_moves(lengths))
    v4.patch(created["id"], operations, patch_format=PatchFormat.JSON_PATCH)
    expected = jsonpatch.apply_patch(
        {name: copy.deepcopy(created[name]) for name in ARRAYS.values()},
        renamed(operations, ARRAYS),
    )
    after = v5.retrieve(created["id"])
    assert {name: after.get(name, []) for name in ARRAYS.values()} == expected
    assert schema_problems(after, "PartyInteraction") == []
    # and v5 reads the same again after a v4 write that leaves the arrays alone
    v4.patch(created["id"], {"description": "d"})
    assert v5.retrieve(created["id"]) == {**after, "description": "d"}


def v4_element(id: str, role: str, ext: str, referred: bool) -> dict[str, Any]:
    """A v4 channel or party: extension ``ext`` (a subclass) when not empty."""
    element = {"id": id, "role": role}
    if referred:
        element["@referredType"] = "Individual"
    if ext:
        element |= {"@type": "MyRef", "@schemaLocation": "http://x/r.json", "ext": ext}
    return element


@st.composite
def v4_repeated_bodies(draw) -> dict[str, Any]:
    """v4 bodies whose channels and parties v5 shows alike (same id and role) with
    different v4-only data (a subclass with an extension attribute)."""
    exts = st.sampled_from(["", "A", "B"])
    roles = st.sampled_from(["a", "b"])
    return {
        "direction": "inbound",
        "reason": "x",
        "channel": draw(
            st.lists(
                st.builds(v4_element, FEW, roles, exts, st.just(False)),
                min_size=1,
                max_size=4,
            )
        ),
        "relatedParty": draw(
            st.lists(st.builds(v4_element, FEW, roles, exts, st.just(True)), max_size=4)
        ),
    }


V4_ARRAYS = {"relatedChannel": "channel", "relatedParty": "relatedParty"}


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(v4_repeated_bodies(), st.data())
def test_v5_removes_and_moves_keep_each_elements_own_v4_data(body, data):
    """The other way: the v4 create's elements with the same operations applied."""
    v4, v5 = services()
    created = v4.create(body)
    lengths = {name: len(body[v4_name]) for name, v4_name in V4_ARRAYS.items()}
    operations = data.draw(removes_and_moves(lengths, "relatedChannel"))
    v5.patch(created["id"], operations, patch_format=PatchFormat.JSON_PATCH)
    expected = jsonpatch.apply_patch(
        {name: copy.deepcopy(created[name]) for name in V4_ARRAYS.values()},
        renamed(operations, V4_ARRAYS),
    )
    after = v4.retrieve(created["id"])
    assert {name: after.get(name, []) for name in V4_ARRAYS.values()} == expected


def test_a_v5_merge_patch_keeps_the_v4_data_it_can_tell_and_no_other():
    v4, v5 = services()
    related = [v4_element("P1", "customer", ext, True) for ext in ("A", "B")]
    body = {"direction": "inbound", "reason": "x", "channel": [{"id": "1"}]}
    id = v4.create({**body, "relatedParty": related})["id"]
    shown = v5.retrieve(id)["relatedParty"]
    assert shown[0] == shown[1]  # v5 cannot tell them apart
    v5.patch(id, {"relatedParty": shown})  # written back as shown: both kept
    assert v4.retrieve(id)["relatedParty"] == related
    v5.patch(id, {"relatedParty": shown[:1]})  # which one? neither's extension
    assert v4.retrieve(id)["relatedParty"] == [
        {"id": "P1", "role": "customer", "@referredType": "Individual"}
    ]
    # told apart by role: the payer's extension stays with the payer, edited too
    related = [
        v4_element("P1", role, ext, True) for role, ext in (("a", "A"), ("b", "B"))
    ]
    id = v4.create({**body, "relatedParty": related})["id"]
    payer = v5.retrieve(id)["relatedParty"][1]
    v5.patch(id, {"relatedParty": [payer]})
    assert v4.retrieve(id)["relatedParty"] == [related[1]]
    renamed = {**payer, "partyOrPartyRole": {**payer["partyOrPartyRole"], "name": "N"}}
    v5.patch(id, {"relatedParty": [renamed]})
    assert v4.retrieve(id)["relatedParty"] == [{**related[1], "name": "N"}]


def test_the_testers_case_removing_ada_keeps_bob():
    v4, v5 = services()
    id = v5.create(ADA_AND_BOB)["id"]
    v4.patch(
        id,
        [{"op": "remove", "path": "/relatedParty/0"}],
        patch_format=PatchFormat.JSON_PATCH,
    )
    assert v5.retrieve(id, fields="relatedParty")["relatedParty"] == [
        party("payer", "P1", "Bob")
    ]


def test_a_merge_patch_keeps_the_element_it_can_tell_and_no_other_data():
    v4, v5 = services()
    id = v5.create(ADA_AND_BOB)["id"]
    bob = v4.retrieve(id)["relatedParty"][1]
    v4.patch(id, {"relatedParty": [bob]})  # equal to Bob's v4 element only
    assert v5.retrieve(id)["relatedParty"] == [party("payer", "P1", "Bob")]
    # two customers v4 cannot tell apart: a merge patch keeping one is ambiguous
    id = v5.create(
        {
            **V5_MINIMAL,
            "relatedParty": [
                party("customer", "P1", "Ada"),
                party("customer", "P1", "Bob"),
            ],
        }
    )["id"]
    both = v4.retrieve(id)["relatedParty"]
    v4.patch(id, {"relatedParty": both})  # written back as it was: both kept
    assert [
        p["partyOrPartyRole"]["givenName"] for p in v5.retrieve(id)["relatedParty"]
    ] == [
        "Ada",
        "Bob",
    ]
    v4.patch(id, {"relatedParty": both[:1]})
    assert v5.retrieve(id)["relatedParty"] == [
        {
            "@type": "RelatedPartyOrPartyRole",
            "role": "customer",
            "partyOrPartyRole": {
                "@type": "PartyRef",
                "id": "P1",
                "@referredType": "Individual",
            },
        }
    ]
    # an edit of one of two parties with one id: ambiguous too
    id = v5.create(ADA_AND_BOB)["id"]
    edited = {**v4.retrieve(id)["relatedParty"][1], "name": "Bobby"}
    v4.patch(id, {"relatedParty": [edited]})
    assert v5.retrieve(id)["relatedParty"][0]["partyOrPartyRole"]["@type"] == (
        "PartyRef"
    )


def test_a_trace_carried_out_of_its_array_is_not_taken_by_a_later_patch():
    """A v4 patch may copy a traced element into an extension attribute (which a
    memory store keeps as it is); moved back by a later patch, it is no element of
    that patch's, so it does not take Ada's v5 form."""
    v4, v5 = services()
    id = v5.create(ADA_AND_BOB)["id"]
    v4.patch(
        id,
        [
            {"op": "add", "path": "/@type", "value": "MyInteraction"},
            {"op": "add", "path": "/@schemaLocation", "value": "http://x/i.json"},
            {"op": "copy", "from": "/relatedParty/0", "path": "/kept"},
        ],
        patch_format=PatchFormat.JSON_PATCH,
    )
    v4.patch(
        id,
        [{"op": "move", "from": "/kept", "path": "/relatedParty/-"}],
        patch_format=PatchFormat.JSON_PATCH,
    )
    shown = v5.retrieve(id)["relatedParty"]
    assert shown[:2] == ADA_AND_BOB["relatedParty"]
    assert shown[2]["partyOrPartyRole"]["@type"] == "PartyRef"


def test_a_document_whose_v5_data_predates_the_anchoring_reads_unambiguously():
    """What the previous version stored after the tester's remove: the kept forms
    at their old positions. Bob's form is the only one equal to what is left."""
    ada, bob = ADA_AND_BOB["relatedParty"]
    ada_v4 = {"id": "P1", "role": "customer", "@referredType": "Individual"}
    bob_v4 = {**ada_v4, "role": "payer"}
    stored: dict[str, Any] = {
        "id": "x",
        "relatedParty": [bob_v4],
        "_v5": {
            "relatedParty": [
                {"v4": ada_v4, "v5": ada, "at": 0},
                {"v4": bob_v4, "v5": bob, "at": 1},
            ]
        },
    }
    assert to_v5(stored, "h")["relatedParty"] == [bob]
    # renamed by v4 then: the one kept form with that id and @referredType
    renamed = {**bob_v4, "name": "B"}
    stored["_v5"]["relatedParty"] = [{"v4": bob_v4, "v5": bob, "at": 1}]
    stored["relatedParty"] = [renamed]
    assert to_v5(stored, "h")["relatedParty"] == [
        {**bob, "partyOrPartyRole": {**bob["partyOrPartyRole"], "name": "B"}}
    ]
    # two kept forms with that id: ambiguous, the default mapping
    stored["_v5"]["relatedParty"].append({"v4": ada_v4, "v5": ada, "at": 2})
    assert to_v5(stored, "h")["relatedParty"][0]["partyOrPartyRole"]["@type"] == (
        "PartyRef"
    )


def test_over_http_a_v4_remove_keeps_the_other_partys_v5_data(tmp_path):
    """The tester's repro against a real server and SQLite file, both directions."""
    with ServerProcess("--db", str(tmp_path / "dup.db")) as server:
        v4_url = server.bases["v4"] + "partyInteraction"
        v5_url = server.bases["v5"] + "partyInteraction"
        with httpx.Client(timeout=10) as client:
            created = client.post(v5_url, json=ADA_AND_BOB)
            assert created.status_code == 201
            id = created.json()["id"]
            removed = client.patch(
                f"{v4_url}/{id}",
                json=[{"op": "remove", "path": "/relatedParty/0"}],
                headers={"Content-Type": "application/json-patch+json"},
            )
            assert removed.status_code == 200
            shown = client.get(f"{v5_url}/{id}", params={"fields": "relatedParty"})
            assert shown.json()["relatedParty"] == [party("payer", "P1", "Bob")]
            # the other way: a v5 remove keeps the v4 extension of the other one
            related = [
                {
                    "id": "P1",
                    "@referredType": "Individual",
                    "role": role,
                    "@type": "MyRef",
                    "@schemaLocation": "http://x/r.json",
                    "ext": ext,
                }
                for role, ext in (("customer", "A"), ("payer", "B"))
            ]
            created = client.post(
                v4_url,
                json={
                    "channel": [{"id": "1", "role": "c"}],
                    "direction": "inbound",
                    "reason": "x",
                    "relatedParty": related,
                },
            )
            assert created.status_code == 201
            id = created.json()["id"]
            removed = client.patch(
                f"{v5_url}/{id}",
                json=[{"op": "remove", "path": "/relatedParty/0"}],
                headers={"Content-Type": "application/json-patch+json"},
            )
            assert removed.status_code == 200
            shown = client.get(f"{v4_url}/{id}", params={"fields": "relatedParty"})
            assert shown.json()["relatedParty"] == [related[1]]


def test_a_v4_edit_inside_an_item_keeps_the_items_form_not_its_partys():
    """The item keeps its interactionItemType; its changed relatedParty array shows
    the default mapping (never the removed party's @baseType on the other)."""
    v4, v5 = services()

    def item_party(role: str, based: bool) -> dict[str, Any]:
        ref = {"@type": "PartyRef", "id": "P1", "@referredType": "Individual"}
        return {
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "role": role,
            "partyOrPartyRole": {**ref, "@baseType": "X"} if based else ref,
        }

    item = {
        "@type": "InteractionItem",
        "interactionItemType": "t",
        "item": {
            "@type": "RelatedEntityRefOrValue",
            "role": "r",
            "entity": {"@type": "EntityRef", "id": "E1"},
        },
        "relatedParty": [item_party("a", True), item_party("b", False)],
    }
    id = v5.create({**V5_MINIMAL, "interactionItem": [item]})["id"]
    v4.patch(
        id,
        [{"op": "remove", "path": "/interactionItem/0/relatedParty/0"}],
        patch_format=PatchFormat.JSON_PATCH,
    )
    assert v5.retrieve(id)["interactionItem"] == [
        {**item, "relatedParty": [item_party("b", False)]}
    ]
