"""TMF683 v5 beside v4 over one store: mapping, validation, queries, cross-version."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import MINIMAL, FixedClock
from tmf683 import (
    V5_PARTY_INTERACTION_SCHEMA,
    InvalidQueryError,
    MemoryStore,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PatchConflictError,
    PatchFormat,
    ValidationError,
    apply_merge_patch,
    parse_query,
    project,
    unstructure,
)
from tmf683._errors import PathError
from tmf683._schema import PARTY_INTERACTION_SCHEMA
from tmf683._validation import json_problems, validate_party_interaction
from tmf683.query.ast import AnyOf, Condition
from tmf683.query.evaluate import select
from tmf683.query.schema import Schema, resolve
from tmf683.testing import party_interactions
from tmf683.versions.v5 import from_v5, to_v5
from tmf683.versions.v5contract import schema_problems
from tmf683.versions.v5query import (
    V5_ALWAYS_SELECTED,
    V5_KEPT_ON_THE_WAY,
    canonical_path,
)
from tmf683.versions.v5service import RESERVED

V5_ROOT = "/tmf-api/partyInteractionManagement/v5"
SERVER_SET = ("id", "href", "creationDate", "lastUpdate", "statusChangeDate")
WORDS = st.sampled_from(["a", "b", "web", "customer", "agent", "Z"])

V5_MINIMAL: dict[str, Any] = {
    "@type": "PartyInteraction",
    "reason": "The user wanted to buy TV and internet plan",
    "direction": "inbound",
    "relatedChannel": [
        {
            "@type": "RelatedChannel",
            "role": "interactionChannel",
            "channel": {"@type": "ChannelRef", "id": "555", "name": "web"},
        }
    ],
}


def services(store=None) -> tuple[PartyInteractionService, PartyInteractionServiceV5]:
    ids = (f"PI-{n:04d}" for n in itertools.count(1))
    v4 = PartyInteractionService(
        store or MemoryStore(), clock=FixedClock(), id_factory=lambda: next(ids)
    )
    return v4, PartyInteractionServiceV5(v4)


def without(document: dict[str, Any], names=SERVER_SET) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in names}


def normalised(body: dict[str, Any]) -> dict[str, Any]:
    """A v4 body as the v4 service stores it (UTC date-times, model order)."""
    return {"id": "x", **unstructure(validate_party_interaction(body))}


def fvo_valid(body: dict[str, Any], role: str) -> None:
    """Complete what the FVO requires and v4 does not (roles); drop the rest."""
    for owner in [body, *body.get("interactionItem", [])]:
        for name in ("relatedChannel", "relatedParty"):
            for related in owner.get(name, []):
                related.setdefault("role", role)
        if "attachment" in owner:
            owner["attachment"] = [
                a
                for a in owner["attachment"]
                if not schema_problems(a, "AttachmentRefOrValue_FVO")
            ]
    if "interactionItem" in body:
        body["interactionItem"] = [
            item
            for item in body["interactionItem"]
            if not schema_problems(item, "InteractionItem_FVO")
        ]
    if "interactionRelationship" in body:
        body["interactionRelationship"] = [
            r
            for r in body["interactionRelationship"]
            if not schema_problems(r, "InteractionRelationship_FVO")
        ]


@st.composite
def v5_bodies(draw) -> dict[str, Any]:
    """``PartyInteraction_FVO`` bodies: the v5 view of a v4 body, with v5-only data."""
    view = to_v5(normalised(draw(party_interactions())), "h")
    body = without(view)
    fvo_valid(body, draw(WORDS))
    for related in body["relatedChannel"]:
        if draw(st.booleans()):
            related["channel"]["@baseType"] = "EntityRef"
    for related in body.get("relatedParty", []):
        party = related["partyOrPartyRole"]
        if draw(st.booleans()):
            related["partyOrPartyRole"] = {
                "@type": "Individual",
                "id": party["id"],
                "givenName": draw(WORDS),
            }
    for item in body.get("interactionItem", []):
        if draw(st.booleans()):
            item["interactionItemType"] = draw(WORDS)
    if draw(st.booleans()):
        body["externalIdentifier"] = [
            {"@type": "ExternalIdentifier", "id": draw(WORDS), "owner": draw(WORDS)}
        ]
    return body


def default_channel(element: dict[str, Any]) -> dict[str, Any]:
    """Written by hand: the v5 form of a v4 channel (the table of docs/v5.md)."""
    ref = {
        k: element[k] for k in ("id", "href", "name", "@referredType") if k in element
    }
    role = {"role": element["role"]} if "role" in element else {}
    return {
        **role,
        "channel": {**ref, "@type": "ChannelRef"},
        "@type": "RelatedChannel",
    }


def default_note(element: dict[str, Any]) -> dict[str, Any]:
    return {**element, "@type": "Note"}


def rebased(inner: str):
    """Written by hand: v4's edit of a channel or party (``old`` -> ``new``) on the
    v5 form written for it: ``role`` on the outer object, the rest on ``inner``
    (``channel``, ``partyOrPartyRole``)."""

    def rebase(written, old, new) -> dict[str, Any]:
        result = {**written, inner: dict(written[inner])}
        for name in {*old, *new}:
            target = result if name == "role" else result[inner]
            if name not in new:
                target.pop(name, None)
            elif old.get(name) != new[name]:
                target[name] = new[name]
        return result

    return rebase


rebased_channel = rebased("channel")


def same_thing(old, new) -> bool:
    return old.get("id") is not None and all(
        old.get(k) == new.get(k) for k in ("id", "@referredType")
    )


def expected_v5_array(before_v4, before_v5, after_v4, default, rebase) -> list[Any]:
    """The documented rule for an array a v4 merge patch writes whole: written back
    as it was, every element keeps its form; else an element takes the form of an
    equal element from before when every equal one had that form (each serves
    once), then the form of the only element from before with its id and
    @referredType, with the edit (``rebase``), when no other element to place has
    them; the rest (new, or ambiguous) get the default mapping."""
    if after_v4 == before_v4:
        return list(before_v5)
    free = list(range(len(before_v4)))
    result: dict[int, Any] = {}
    for i, element in enumerate(after_v4):
        equal = [j for j in free if before_v4[j] == element]
        if equal and all(before_v5[j] == before_v5[equal[0]] for j in equal):
            free.remove(equal[0])
            result[i] = before_v5[equal[0]]
    for i, element in enumerate(after_v4):
        if i in result:
            continue
        olds = [j for j in free if same_thing(before_v4[j], element)]
        alike = [
            k
            for k, other in enumerate(after_v4)
            if k not in result and same_thing(element, other)
        ]
        if len(olds) == 1 and len(alike) == 1:
            free.remove(olds[0])
            result[i] = rebase(before_v5[olds[0]], before_v4[olds[0]], element)
    return [result.get(i) or default(e) for i, e in enumerate(after_v4)]


# --- mapping round trips ---------------------------------------------------------


@given(party_interactions())
def test_v4_to_v5_to_v4_returns_what_v4_wrote(body):
    stored = normalised(body)
    assert from_v5(to_v5(stored, "h"), stored) == stored


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(v5_bodies())
def test_v5_written_reads_back_as_written_through_v5(body):
    _, v5 = services()
    created = v5.create(body)
    assert without(created) == body
    assert v5.retrieve(created["id"]) == created
    assert schema_problems(created, "PartyInteraction") == []


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(party_interactions())
def test_v4_written_gets_the_v5_type_defaults(body):
    v4, v5 = services()
    created = v4.create(body)
    view = v5.retrieve(created["id"])
    assert view["@type"] == "PartyInteraction"
    assert view["href"] == f"{V5_ROOT}/partyInteraction/{created['id']}"
    assert view["relatedChannel"] == [default_channel(c) for c in created["channel"]]
    for related in view.get("relatedParty", []):
        assert related["@type"] == "RelatedPartyOrPartyRole"
        assert related["partyOrPartyRole"]["@type"] == "PartyRef"
    assert all(note["@type"] == "Note" for note in view.get("note", []))
    problems = schema_problems(view, "PartyInteraction")
    # v4 lets an interactionRelationship lack its id; the v5 EntityRef requires it
    assert [p for p in problems if "interactionRelationship" not in p[0]] == []


def test_v5_only_data_is_hidden_from_v4_and_survives_a_v4_patch():
    v4, v5 = services()
    body = {
        **V5_MINIMAL,
        "externalIdentifier": [{"@type": "ExternalIdentifier", "id": "E1"}],
        "relatedParty": [
            {
                "@type": "RelatedPartyOrPartyRole",
                "role": "customer",
                "partyOrPartyRole": {
                    "@type": "Individual",
                    "id": "P",
                    "givenName": "A",
                },
            }
        ],
    }
    created = v5.create(body)
    as_v4 = v4.retrieve(created["id"])
    assert as_v4["channel"] == [
        {"id": "555", "name": "web", "role": "interactionChannel"}
    ]
    assert as_v4["relatedParty"] == [
        {"id": "P", "role": "customer", "@referredType": "Individual"}
    ]
    assert "externalIdentifier" not in as_v4
    assert "_v5" not in as_v4
    assert "lastUpdate" not in as_v4
    assert "@type" not in as_v4
    v4.patch(created["id"], {"status": "closed", "note": [{"text": "t"}]})
    after = v5.retrieve(created["id"])
    assert after["externalIdentifier"] == body["externalIdentifier"]
    assert after["relatedParty"] == body["relatedParty"]
    assert after["note"] == [{"text": "t", "@type": "Note"}]
    assert after["status"] == "closed"


def test_a_v4_patch_that_changes_an_element_shows_the_change_in_v5():
    v4, v5 = services()
    created = v5.create(
        {
            **V5_MINIMAL,
            "relatedChannel": [
                {**V5_MINIMAL["relatedChannel"][0], "@baseType": "RelatedChannel"}
            ],
        }
    )
    v4.patch(created["id"], {"channel": [{"id": "556", "role": "interactionChannel"}]})
    assert v5.retrieve(created["id"])["relatedChannel"] == [
        {
            "role": "interactionChannel",
            "channel": {"id": "556", "@type": "ChannelRef"},
            "@type": "RelatedChannel",
        }
    ]


def test_a_v4_edit_of_a_party_v5_wrote_keeps_the_v5_form():
    """A v4 client that renames a party (same id and @referredType) changes the name
    in the Individual a v5 client wrote; it does not turn it into a PartyRef."""
    v4, v5 = services()
    individual = {"@type": "Individual", "id": "P1", "givenName": "Ada"}
    created = v5.create(
        {
            **V5_MINIMAL,
            "relatedParty": [
                {
                    "@type": "RelatedPartyOrPartyRole",
                    "role": "customer",
                    "partyOrPartyRole": individual,
                }
            ],
        }
    )
    v4.patch(
        created["id"],
        [{"op": "add", "path": "/relatedParty?role=customer/name", "value": "Ada L"}],
        patch_format=PatchFormat.JSON_PATCH_QUERY,
    )
    assert v4.retrieve(created["id"])["relatedParty"] == [
        {"id": "P1", "role": "customer", "@referredType": "Individual", "name": "Ada L"}
    ]
    after = v5.retrieve(created["id"])
    assert after["relatedParty"] == [
        {
            "@type": "RelatedPartyOrPartyRole",
            "role": "customer",
            "partyOrPartyRole": {**individual, "name": "Ada L"},
        }
    ]
    assert v5.list("relatedParty.partyOrPartyRole.@type=Individual").total_count == 1
    # another party in its place (a new id) shows the default mapping
    other = {"id": "P2", "role": "customer", "@referredType": "Individual"}
    v4.patch(created["id"], {"relatedParty": [other]})
    assert v5.retrieve(created["id"])["relatedParty"][0]["partyOrPartyRole"] == {
        "id": "P2",
        "@referredType": "Individual",
        "@type": "PartyRef",
    }


def test_a_v5_edit_of_an_element_v4_wrote_keeps_what_only_v4_holds():
    v4, v5 = services()
    created = v4.create(
        {**MINIMAL, "channel": [{"id": "555", "role": "r", "@type": "X", "x-c": 1}]}
    )
    shown = v5.retrieve(created["id"])["relatedChannel"]
    v5.patch(created["id"], {"relatedChannel": [{**shown[0], "role": "edited"}]})
    assert v4.retrieve(created["id"])["channel"] == [
        {"id": "555", "role": "edited", "@type": "X", "x-c": 1}
    ]
    v5.patch(
        created["id"],
        {
            "relatedChannel": [
                {**shown[0], "channel": {"@type": "ChannelRef", "id": "9"}}
            ]
        },
    )
    assert v4.retrieve(created["id"])["channel"] == [{"id": "9", "role": "r"}]


@pytest.mark.parametrize(
    ("patch", "patch_format", "where", "message"),
    [
        ({"_v5": {"x": 1}}, PatchFormat.MERGE, "$._v5", RESERVED),
        ({"_v5": None}, PatchFormat.MERGE, "$._v5", RESERVED),
        (
            [{"op": "add", "path": "/_v5", "value": {"x": 1}}],
            PatchFormat.JSON_PATCH,
            "$[0].path",
            f"writes '_v5', which {RESERVED}",
        ),
        (
            [
                {"op": "test", "path": "/status", "value": "open"},
                {"op": "add", "path": "/_v5", "value": {}},
            ],
            PatchFormat.JSON_PATCH_QUERY,
            "$[1].path",
            f"writes '_v5', which {RESERVED}",
        ),
    ],
)
def test_the_reserved_key_is_refused_in_v5_patches(patch, patch_format, where, message):
    _, v5 = services()
    created = v5.create({**V5_MINIMAL, "status": "open"})
    refused = problems_of(
        lambda: v5.patch(created["id"], patch, patch_format=patch_format)
    )
    assert refused == [(where, message)]
    assert v5.retrieve(created["id"]).version == created.version  # nothing written
    assert "_v5" not in v5.retrieve(created["id"])


def test_the_reserved_key_is_refused_in_v5_creates_as_in_v4_ones():
    v4, v5 = services()
    smuggled = {"attributes": {"@type": "Hub"}, "channel": [{"v4": {}, "v5": {}}]}
    assert problems_of(lambda: v5.create({**V5_MINIMAL, "_v5": smuggled})) == [
        ("$._v5", RESERVED)
    ]
    assert problems_of(lambda: v5.create({"_v5": None})) == [("$._v5", RESERVED)]
    assert v4.list("limit=0").total_count == 0
    assert [
        path for path, _ in problems_of(lambda: v4.create({**MINIMAL, "_v5": {}}))
    ] == ["$._v5"]


def test_a_v5_patch_keeps_what_only_v4_holds():
    v4, v5 = services()
    created = v4.create(
        {
            **MINIMAL,
            "@type": "PartyInteractionX",
            "x-ext": "kept",
            "channel": [{"id": "555", "@type": "RelatedChannelX", "x-c": 1}],
        }
    )
    v5.patch(created["id"], {"status": "open"})
    after = v4.retrieve(created["id"])
    assert after["x-ext"] == "kept"
    assert after["@type"] == "PartyInteractionX"
    assert after["channel"] == created["channel"]
    assert after["status"] == "open"


# --- cross-version patches against an oracle -------------------------------------

V4_PATCHES = st.fixed_dictionaries(
    {},
    optional={
        "status": WORDS,
        "reason": WORDS,
        "description": st.none() | WORDS,
        "note": st.lists(st.builds(lambda t: {"text": t}, WORDS), max_size=2),
        "channel": st.lists(
            st.builds(lambda i, r: {"id": i, "role": r}, WORDS, WORDS),
            min_size=1,
            max_size=2,
        ),
    },
)


def v5_note(text: str) -> dict[str, Any]:
    return {"@type": "Note", "text": text}


def v5_channel(id: str, role: str) -> dict[str, Any]:
    return {
        "@type": "RelatedChannel",
        "role": role,
        "channel": {"@type": "ChannelRef", "id": id},
    }


V5_PATCHES = st.fixed_dictionaries(
    {},
    optional={
        "status": WORDS,
        "reason": WORDS,
        "description": st.none() | WORDS,
        "note": st.lists(st.builds(v5_note, WORDS), max_size=2),
        "relatedChannel": st.lists(
            st.builds(v5_channel, WORDS, WORDS), min_size=1, max_size=2
        ),
        "externalIdentifier": st.none()
        | st.lists(
            st.builds(lambda i: {"@type": "ExternalIdentifier", "id": i}, WORDS),
            max_size=1,
        ),
    },
)


def flat_channel(element: dict[str, Any]) -> dict[str, Any]:
    """Written by hand: the v4 form of a v5 relatedChannel."""
    return {"id": element["channel"]["id"], "role": element["role"]}


def create_then_patch(body, patch, *, create_with: str) -> tuple[dict[str, Any], ...]:
    """Create through one version, merge-patch through the other; return both views
    (v4, v5) before and after."""
    v4, v5 = services()
    writer, patcher = (v4, v5) if create_with == "v4" else (v5, v4)
    id = writer.create(body)["id"]
    before = (v4.retrieve(id), v5.retrieve(id))
    patcher.patch(id, patch)
    return (*before, v4.retrieve(id), v5.retrieve(id))


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(v5_bodies(), V4_PATCHES)
def test_create_v5_patch_v4_equals_the_oracle(body, patch):
    before_v4, before_v5, after_v4, after_v5 = create_then_patch(
        body, patch, create_with="v5"
    )
    assert without(after_v4) == without(apply_merge_patch(before_v4, patch))
    expected = apply_merge_patch(
        before_v5, {k: v for k, v in patch.items() if k not in ("note", "channel")}
    )
    for v4_name, v5_name, default, rebase in (
        ("note", "note", default_note, None),  # notes without ids: never rebased
        ("channel", "relatedChannel", default_channel, rebased_channel),
    ):
        if v4_name in patch:
            expected[v5_name] = expected_v5_array(
                before_v4.get(v4_name, []),
                before_v5.get(v5_name, []),
                after_v4[v4_name],
                default,
                rebase,
            )
    assert without(after_v5) == without(expected)
    assert schema_problems(after_v5, "PartyInteraction") == []


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(party_interactions(), V5_PATCHES)
def test_create_v4_patch_v5_equals_the_oracle(body, patch):
    before_v4, before_v5, after_v4, after_v5 = create_then_patch(
        body, patch, create_with="v4"
    )
    assert without(after_v5) == without(apply_merge_patch(before_v5, patch))
    v4_patch = {
        k: v for k, v in patch.items() if k in ("status", "reason", "description")
    }
    if "note" in patch:
        v4_patch["note"] = [{"text": note["text"]} for note in patch["note"]]
    if "relatedChannel" in patch:  # an element shown as it was keeps its v4 form
        shown = list(
            zip(before_v4["channel"], before_v5["relatedChannel"], strict=True)
        )
        channels = []
        for element in patch["relatedChannel"]:
            # an equal shown one, when every equal one holds the same v4 element
            equal = [s for s in shown if s[1] == element]
            kept = (
                equal[0] if equal and all(s[0] == equal[0][0] for s in equal) else None
            )
            if kept is not None:
                shown.remove(kept)
            channels.append(flat_channel(element) if kept is None else kept[0])
        if patch["relatedChannel"] == before_v5["relatedChannel"]:
            channels = before_v4["channel"]  # written back as shown
        v4_patch["channel"] = channels
    assert without(after_v4) == without(apply_merge_patch(before_v4, v4_patch))
    status_changed = after_v4.get("status") != before_v4.get("status")
    assert (after_v4.get("statusChangeDate") != before_v4.get("statusChangeDate")) == (
        status_changed and "status" in after_v4
    )


EDITS = st.sampled_from(["keep", "role", "name"])


def default_party(element: dict[str, Any]) -> dict[str, Any]:
    """Written by hand: the v5 form of a v4 relatedParty (docs/v5.md)."""
    ref = {
        k: element[k] for k in ("id", "href", "name", "@referredType") if k in element
    }
    role = {"role": element["role"]} if "role" in element else {}
    return {
        **role,
        "partyOrPartyRole": {**ref, "@type": "PartyRef"},
        "@type": "RelatedPartyOrPartyRole",
    }


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(v5_bodies(), st.sampled_from(["json-patch", "merge"]), st.data())
def test_v4_edits_of_elements_v5_wrote_keep_their_v5_form(body, how, data):
    """v4 edits the role or name of channels and parties (same id): v5 shows each
    element as v5 wrote it, with that edit (an oracle written over the v5 shapes).
    A JSON Patch edits each element in place, so even elements v4 cannot tell apart
    keep their own form; a merge patch writes the array whole, and an element that
    could be one of several written differently shows the default mapping."""
    v4, v5 = services()
    id = v5.create(body)["id"]
    before_v4, before_v5 = v4.retrieve(id), v5.retrieve(id)
    patch: dict[str, Any] = {}
    operations: list[dict[str, Any]] = []
    expected = dict(before_v5)
    for v4_name, v5_name, inner, default in (
        ("channel", "relatedChannel", "channel", default_channel),
        ("relatedParty", "relatedParty", "partyOrPartyRole", default_party),
    ):
        if v4_name not in before_v4:
            continue
        edited, shown = [], []
        for i, (element, view) in enumerate(
            zip(before_v4[v4_name], before_v5[v5_name], strict=True)
        ):
            edit, value = data.draw(EDITS), data.draw(WORDS)
            if edit == "keep":
                edited.append(element)
                shown.append(view)
                continue
            edited.append({**element, edit: value})
            operations.append(
                {"op": "add", "path": f"/{v4_name}/{i}/{edit}", "value": value}
            )
            if edit == "role":
                shown.append({**view, "role": value})
            else:
                shown.append({**view, inner: {**view[inner], "name": value}})
        patch[v4_name] = edited
        expected[v5_name] = (
            shown
            if how == "json-patch"
            else expected_v5_array(
                before_v4[v4_name], before_v5[v5_name], edited, default, rebased(inner)
            )
        )
    if how == "json-patch":
        v4.patch(id, operations, patch_format=PatchFormat.JSON_PATCH)
    else:
        v4.patch(id, patch)
    assert without(v4.retrieve(id)) == without(apply_merge_patch(before_v4, patch))
    after_v5 = v5.retrieve(id)
    assert without(after_v5) == without(expected)
    assert schema_problems(after_v5, "PartyInteraction") == []


# --- v5 validation ---------------------------------------------------------------


def problems_of(call) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return list(caught.value.problems)


def test_create_requires_type_and_related_channel():
    _, v5 = services()
    body = {k: v for k, v in V5_MINIMAL.items() if k not in ("@type", "relatedChannel")}
    paths = [path for path, _ in problems_of(lambda: v5.create(body))]
    assert paths == ["$.@type", "$.relatedChannel"]


def test_create_refuses_an_unknown_type_unless_it_has_a_schema_location():
    _, v5 = services()
    body = {**V5_MINIMAL, "@type": "MyInteraction"}
    assert problems_of(lambda: v5.create(body)) == [
        (
            "$.@type",
            "'MyInteraction' is no schema of TMF683 v5; give @schemaLocation for a "
            "subclass",
        )
    ]
    located = v5.create({**body, "@schemaLocation": "https://example.com/my.json"})
    assert located["@type"] == "MyInteraction"
    nested = {**V5_MINIMAL, "note": [{"@type": "Memo", "text": "t"}]}
    assert [p for p, _ in problems_of(lambda: v5.create(nested))] == ["$.note[0].@type"]


@pytest.mark.parametrize(
    ("party", "problems"),
    [
        # the discriminator's @type picks the schema: Individual's givenName is text
        (
            {"@type": "Individual", "id": "P", "givenName": 5},
            [("$.partyOrPartyRole.givenName", '5 is not of type "string"')],
        ),
        # PartyRef names no givenName (extension attributes are free)
        ({"@type": "PartyRef", "id": "P", "givenName": 5}, []),
        # no @type: one of the branches must hold, and none does without one
        (
            {"id": "P"},
            [
                (
                    "$.partyOrPartyRole",
                    '{"id":"P"} is not valid under any of the schemas listed in the '
                    "'anyOf' keyword",
                )
            ],
        ),
        (
            "x",
            [("$.partyOrPartyRole", '"x" is not of type "object"')],
        ),
    ],
)
def test_the_type_of_a_discriminated_value_picks_its_schema(party, problems):
    body = {
        "@type": "RelatedPartyOrPartyRole",
        "role": "customer",
        "partyOrPartyRole": party,
    }
    assert schema_problems(body, "RelatedPartyOrPartyRole_FVO") == problems


def test_a_refusal_quotes_a_large_value_shortened_and_every_allowed_type():
    body = {
        "@type": "RelatedPartyOrPartyRole",
        "role": "customer",
        "partyOrPartyRole": {"id": "P" * 10_000},
    }
    [(path, message)] = schema_problems(body, "RelatedPartyOrPartyRole_FVO")
    assert path == "$.partyOrPartyRole"
    assert message.startswith('{"id":"PPP')
    assert "..." in message
    assert message.endswith(
        "is not valid under any of the schemas listed in the 'anyOf' keyword"
    )
    assert len(message) < 200
    body["partyOrPartyRole"] = {"@type": "Note", "text": "t"}
    messages = [m for _, m in schema_problems(body, "RelatedPartyOrPartyRole_FVO")]
    assert any(
        all(
            f'"{kind}"' in m
            for kind in (
                "Individual",
                "Organization",
                "PartyRef",
                "PartyRoleRef",
                "Supplier",
            )
        )
        for m in messages
    ), messages


def test_create_refuses_server_attributes_and_names_nested_paths():
    _, v5 = services()
    body = {
        **V5_MINIMAL,
        "id": "x",
        "relatedChannel": [
            {"@type": "RelatedChannel", "role": "r", "channel": {"@type": "ChannelRef"}}
        ],
    }
    assert [p for p, _ in problems_of(lambda: v5.create(body))] == [
        "$.id",
        "$.relatedChannel[0].channel.id",
    ]


NEAR_SURROGATES = st.characters(min_codepoint=0xD7FE, max_codepoint=0xE001)
"""Characters around the surrogates (U+D800..U+DFFF), so most texts hold one."""
JSON_WITH_SURROGATES = st.recursive(
    st.text(NEAR_SURROGATES, max_size=3) | st.integers(-5, 5) | st.none(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(NEAR_SURROGATES, max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def bodies_with_a_surrogate(draw) -> tuple[dict[str, Any], str, Any]:
    """A v5 body (valid or not) with an extension holding an unpaired surrogate
    somewhere (in a name or a text), the extension's name and its value."""
    name = draw(st.text(NEAR_SURROGATES, min_size=1, max_size=3))
    value = draw(JSON_WITH_SURROGATES)
    base = draw(st.sampled_from([V5_MINIMAL, {"reason": "r"}, {}]))
    body = {**base, name: value}
    assume(json_problems(body))
    return body, name, value


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(bodies_with_a_surrogate())
def test_a_surrogate_anywhere_is_refused_as_v4_refuses_it(found):
    """The oracle is the check every v4 body goes through (json_problems)."""
    body, name, value = found
    expected = json_problems(body)
    _, v5 = services()
    assert problems_of(lambda: v5.create(body)) == expected
    created = v5.create(V5_MINIMAL)
    written = apply_merge_patch({}, {name: value})  # a removal writes nothing
    if json_problems(written):
        assert problems_of(lambda: v5.patch(created["id"], {name: value})) == (
            json_problems(written)
        )
    else:  # as v4 takes it: a no-op
        created = v5.patch(created["id"], {name: value})
    hub = {"@type": "Hub", "callback": "http://127.0.0.1:9/cb", name: value}
    assert problems_of(lambda: v5.events.register(hub)) == json_problems(hub)
    for patch_format in (PatchFormat.JSON_PATCH, PatchFormat.JSON_PATCH_QUERY):
        operation = {"op": "add", "path": f"/{name}", "value": value}
        with pytest.raises(ValidationError) as caught:
            v5.patch(created["id"], [operation], patch_format=patch_format)
        assert caught.value.problems[0][0].startswith("$[0].")
    assert v5.retrieve(created["id"]).version == created.version


def test_a_surrogate_in_a_name_is_refused_naming_where_the_name_is():
    _, v5 = services()
    created = v5.create(V5_MINIMAL)
    key_problem = "has an attribute name that must not contain an unpaired surrogate"
    for body in ({**V5_MINIMAL, "\ud800": 1}, {"reason": "r", "\ud800": 1}):
        with pytest.raises(ValidationError) as caught:
            v5.create(body)
        [(where, message)] = caught.value.problems
        assert (where, message.split(" (")[0]) == ("$", key_problem)
    [(where, message)] = problems_of(
        lambda: v5.patch(created["id"], {"note": [{"\udfff": "x"}]})
    )
    assert (where, message.split(" (")[0]) == ("$.note[0]", key_problem)
    assert problems_of(lambda: v5.create({"reason": "\ud800"})) == [
        ("$.reason", "must not contain an unpaired surrogate (not valid Unicode)")
    ]


def test_patch_refuses_direction_and_validates_as_mvo():
    _, v5 = services()
    created = v5.create(V5_MINIMAL)
    assert problems_of(lambda: v5.patch(created["id"], {"direction": "outbound"})) == [
        ("$.direction", "cannot be changed (not in PartyInteraction_MVO)")
    ]
    v5.patch(created["id"], {"direction": "inbound"})  # repeating it is allowed
    paths = [p for p, _ in problems_of(lambda: v5.patch(created["id"], {"status": 3}))]
    assert paths == ["$.status"]
    paths = [
        p for p, _ in problems_of(lambda: v5.patch(created["id"], {"@type": None}))
    ]
    assert paths == ["$.@type"]
    assert v5.retrieve(created["id"])["@type"] == "PartyInteraction"


# --- the service: both versions over one store, fields, href ---------------------


def test_one_store_two_versions_same_id(store):
    v4, v5 = services(store)
    from_v4 = v4.create(dict(MINIMAL))
    from_v5 = v5.create(V5_MINIMAL, fields="status")
    assert set(from_v5) == {"id", "href", "@type"}
    assert v5.retrieve(from_v4["id"], fields="relatedChannel.channel.id") == {
        "id": from_v4["id"],
        "href": f"{V5_ROOT}/partyInteraction/{from_v4['id']}",
        "@type": "PartyInteraction",
        "relatedChannel": [
            {"@type": "RelatedChannel", "channel": {"@type": "ChannelRef", "id": "555"}}
        ],
    }
    # a dotted path keeps each nested object's @type (and id): still valid v5
    named = v5.retrieve(from_v5["id"], fields="relatedChannel.channel.name")
    assert named["relatedChannel"] == [
        {
            "@type": "RelatedChannel",
            "channel": {"@type": "ChannelRef", "id": "555", "name": "web"},
        }
    ]
    assert schema_problems(named, "PartyInteraction") == []
    assert v4.retrieve(from_v5["id"])["channel"][0]["id"] == "555"
    patched = v5.patch(from_v4["id"], {"status": "closed"}, fields="status")
    assert patched["status"] == "closed"
    v5.delete(from_v5["id"])
    assert [d["id"] for d in v4.list().items] == [from_v4["id"]]
    with pytest.raises(InvalidQueryError):
        v5.list("channel.id=555")  # a v4 name


FILTERS = [
    "relatedChannel.channel.id=555",
    "relatedChannel.channel.id=556&sort=-status",
    "relatedParty.partyOrPartyRole.id=P&relatedParty.role=customer",
    "relatedParty.partyOrPartyRole.id=P&relatedParty.role=agent",
    "@type=PartyInteraction",
    "@type=PartyInteraction&status=open",
    "externalIdentifier.id=E1",
    "relatedParty.partyOrPartyRole.@type=Individual",
    "lastUpdate>2000-01-01T00:00:00Z&fields=status&sort=status",
    "status=open&fields=relatedChannel.role",
    "href=" + V5_ROOT + "/partyInteraction/PI-0001",
    "sort=-creationDate&limit=2&offset=1",
]


@pytest.mark.parametrize("query", FILTERS)
def test_v5_filters_equal_the_oracle_over_v5_views(store, query):
    v4, v5 = services(store)
    v4.create(
        {
            **MINIMAL,
            "status": "open",
            "relatedParty": [
                {"id": "P", "role": "customer", "@referredType": "Individual"},
                {"id": "Q", "role": "agent", "@referredType": "Individual"},
            ],
        }
    )
    v5.create(
        {
            **V5_MINIMAL,
            "status": "open",
            "relatedParty": [
                {
                    "@type": "RelatedPartyOrPartyRole",
                    "role": "agent",
                    "partyOrPartyRole": {"@type": "Individual", "id": "P"},
                },
                {
                    "@type": "RelatedPartyOrPartyRole",
                    "role": "customer",
                    "partyOrPartyRole": {"@type": "PartyRef", "id": "Q"},
                },
            ],
            "externalIdentifier": [{"@type": "ExternalIdentifier", "id": "E1"}],
        }
    )
    v5.create(
        {
            **V5_MINIMAL,
            "status": "closed",
            "relatedChannel": [
                {
                    "@type": "RelatedChannel",
                    "role": "r",
                    "channel": {"@type": "ChannelRef", "id": "556"},
                }
            ],
        }
    )
    parsed = parse_query(query, schema=V5_PARTY_INTERACTION_SCHEMA)
    every = [v5.retrieve(d["id"]) for d in v4.list("").items]
    expected, total = select(every, parsed)
    page = v5.list(query)
    assert page.total_count == total
    assert page.items == [
        project(view, parsed.fields, V5_ALWAYS_SELECTED, V5_KEPT_ON_THE_WAY)
        for view in expected
    ]
    assert total > 0
    if query.startswith("relatedParty.partyOrPartyRole.id=P&"):
        assert total == 1  # on the same element: the other one has P as agent


V5_QUERIES = st.builds(
    lambda filters, sort, limit: "&".join([*filters, *sort, *limit]),
    st.lists(
        st.sampled_from(
            [
                "relatedChannel.channel.id=a",
                "relatedChannel.channel.id=b,web",
                "relatedChannel.role=customer",
                "relatedParty.partyOrPartyRole.id=a",
                "relatedParty.role=customer",
                "relatedParty.role!=agent",
                "status=a",
                "status!=b",
                "note.text=a",
                "@type=PartyInteraction",
                "relatedParty.partyOrPartyRole.@type=Individual",
                "externalIdentifier.id=a",
                "interactionItem.interactionItemType=web",
            ]
        ),
        max_size=3,
        unique=True,
    ),
    st.lists(
        st.sampled_from(
            ["sort=reason", "sort=-interactionDate.startDateTime", "sort=@type"]
        ),
        max_size=1,
    ),
    st.lists(st.sampled_from(["limit=2", "offset=1&limit=1"]), max_size=1),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(v5_bodies(), min_size=1, max_size=4),
    st.lists(party_interactions(), max_size=3),
    V5_QUERIES,
)
def test_v5_list_equals_filtering_v5_views(v5_written, v4_written, query):
    v4, v5 = services()
    for body in v5_written:
        v5.create(body)
    for body in v4_written:
        v4.create(body)
    parsed = parse_query(query, schema=V5_PARTY_INTERACTION_SCHEMA)
    every = [v5.retrieve(d["id"]) for d in v4.list("").items]
    expected, total = select(every, parsed)
    page = v5.list(query)
    assert (page.items, page.total_count) == (expected, total)


def test_v5_filters_on_channel_and_party_ids_run_as_the_v4_ones():
    """The same canonical condition, so the same generated column / side table."""
    from tmf683.versions.v5query import to_canonical

    for v5_query, v4_query in [
        ("relatedChannel.channel.id=X", "channel.id=X"),
        (
            "relatedParty.partyOrPartyRole.id=P&relatedParty.role=customer",
            "relatedParty.id=P&relatedParty.role=customer",
        ),
        ("status=open&sort=-creationDate", "status=open&sort=-creationDate"),
    ]:
        translated = to_canonical(
            parse_query(v5_query, schema=V5_PARTY_INTERACTION_SCHEMA)
        )
        expected = parse_query(v4_query)
        assert translated is not None
        assert [c for c in translated.conditions if isinstance(c, AnyOf)] == []
        assert [
            (c.path, c.values, c.arrays)
            for c in translated.conditions
            if isinstance(c, Condition)
        ] == [
            (c.path, c.values, c.arrays)
            for c in expected.conditions
            if isinstance(c, Condition)
        ]
        assert translated.sort == expected.sort
    for v5_only in ("@type=PartyInteraction", "lastUpdate>2020-01-01T00:00:00Z"):
        assert (
            to_canonical(parse_query(v5_only, schema=V5_PARTY_INTERACTION_SCHEMA))
            is None
        )


def test_a_v4_body_cannot_forge_v5_data():
    v4, v5 = services()
    created = v4.create(
        {**MINIMAL, "@type": "PIX", "_v5": {"attributes": {"lastUpdate": "forged"}}}
    )
    assert "_v5" not in created
    assert "lastUpdate" not in v5.retrieve(created["id"])
    v4.patch(created["id"], {"_v5": {"attributes": {"@type": "Forged"}}})
    assert v5.retrieve(created["id"])["@type"] == "PartyInteraction"


def test_last_update_moves_on_v5_writes_only():
    v4, v5 = services()
    created = v5.create(V5_MINIMAL)
    patched = v5.patch(created["id"], {"description": "d"})
    assert patched["lastUpdate"] > created["lastUpdate"]
    v4.patch(created["id"], {"description": "e"})
    assert v5.retrieve(created["id"])["lastUpdate"] == patched["lastUpdate"]


def test_one_write_reads_the_clock_once():
    ticks = iter(range(100))
    v5 = PartyInteractionServiceV5(
        PartyInteractionService(
            MemoryStore(),
            clock=lambda: (
                datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=next(ticks))
            ),
        )
    )
    created = v5.create({**V5_MINIMAL, "status": "open"})
    assert created["lastUpdate"] == created["creationDate"]
    assert created["statusChangeDate"] == created["creationDate"]
    patched = v5.patch(created["id"], {"status": "closed"})
    assert patched["lastUpdate"] == patched["statusChangeDate"]
    assert patched["lastUpdate"] > created["lastUpdate"]


def test_a_v5_service_over_a_store_owns_its_v4_service(tmp_path):
    from tmf683 import SQLiteStore

    store = SQLiteStore(tmp_path / "t.db")
    with PartyInteractionServiceV5(store) as v5:
        created = v5.create(V5_MINIMAL)
        assert v5.v4.retrieve(created["id"])["channel"][0]["id"] == "555"
    with PartyInteractionService(store) as v4:
        assert v4.retrieve(created["id"])["reason"] == V5_MINIMAL["reason"]
    store.close()


def test_v5_writes_raise_the_v4_events_in_v4_envelopes():
    v4, v5 = services()
    seen: list[dict[str, Any]] = []
    v4.events.subscribe(seen.append)
    created = v5.create({**V5_MINIMAL, "status": "open"})
    v5.patch(created["id"], {"status": "done"})
    v5.delete(created["id"])
    v4.events.flush(10)
    v4.close()
    assert [e["eventType"] for e in seen] == [
        "PartyInteractionCreateEvent",
        "PartyInteractionAttributeValueChangeEvent",
        "PartyInteractionStatusChangeEvent",
        "PartyInteractionDeleteEvent",
    ]
    payload = seen[0]["event"]["partyInteraction"]
    assert (
        payload["href"]
        == f"/tmf-api/partyInteraction/v4/partyInteraction/{created['id']}"
    )
    assert payload["channel"] == [
        {"id": "555", "name": "web", "role": "interactionChannel"}
    ]
    assert "_v5" not in payload


def test_v5_takes_json_patch_and_json_patch_query_in_v5_names(store):
    v4, v5 = services(store)
    created = v5.create({**V5_MINIMAL, "status": "open"})
    patched = v5.patch(
        created["id"],
        [
            {"op": "test", "path": "/status", "value": "open"},
            {"op": "replace", "path": "/status", "value": "closed"},
        ],
        patch_format=PatchFormat.JSON_PATCH,
    )
    assert patched["status"] == "closed"
    assert patched["statusChangeDate"] != created["statusChangeDate"]
    patched = v5.patch(
        created["id"],
        [
            {
                "op": "replace",
                "path": "/relatedChannel?channel.id=555/role",
                "value": "r",
            }
        ],
        patch_format=PatchFormat.JSON_PATCH_QUERY,
    )
    assert patched["relatedChannel"][0]["role"] == "r"
    assert v4.retrieve(created["id"])["channel"][0]["role"] == "r"  # one record


def test_a_v5_json_patch_that_does_not_apply_changes_nothing(store):
    _, v5 = services(store)
    created = v5.create({**V5_MINIMAL, "status": "open"})
    with pytest.raises(PatchConflictError):
        v5.patch(
            created["id"],
            [
                {"op": "replace", "path": "/status", "value": "closed"},
                {"op": "test", "path": "/status", "value": "open"},
            ],
            patch_format=PatchFormat.JSON_PATCH,
        )
    assert v5.retrieve(created["id"])["status"] == "open"
    problems = problems_of(
        lambda: v5.patch(
            created["id"],
            [{"op": "replace", "path": "/direction", "value": "outbound"}],
            patch_format=PatchFormat.JSON_PATCH,
        )
    )
    assert [path for path, _ in problems] == ["$[0].path"]


# --- v4 names under v5 -------------------------------------------------------------


def leaf_paths(schema: Schema, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path of a query schema that ends at a value."""
    return [
        path
        for attribute in schema.attributes
        for path in (
            leaf_paths(attribute.schema, (*prefix, attribute.name))
            if attribute.schema is not None
            else [(*prefix, attribute.name)]
        )
    ]


def known_steps(path: tuple[str, ...], schema: Schema) -> bool:
    """Whether ``schema`` knows every step of ``path`` (none is an extension)."""
    current: Schema | None = schema
    for name in path:
        attribute = None if current is None else current.attribute(name)
        if attribute is None:
            return False
        current = attribute.schema
    return True


@pytest.mark.parametrize("path", leaf_paths(PARTY_INTERACTION_SCHEMA), ids=".".join)
def test_a_v4_path_under_v5_is_a_v5_path_or_a_400_naming_the_v5_spelling(path):
    """Oracle: the v5 schema as written (which steps it knows) and the mapping of
    filters onto canonical paths (``canonical_path``), which must give the v4 path
    back from the suggested v5 one."""
    text = ".".join(path)
    if known_steps(path, V5_PARTY_INTERACTION_SCHEMA):
        assert resolve(path, V5_PARTY_INTERACTION_SCHEMA).path == path
        return
    with pytest.raises(PathError) as caught:
        resolve(path, V5_PARTY_INTERACTION_SCHEMA)
    message = str(caught.value)
    first_unknown = next(
        n
        for n in range(len(path))
        if not known_steps(path[: n + 1], V5_PARTY_INTERACTION_SCHEMA)
    )
    assert f"names '{path[first_unknown]}'" in message
    suggested = message.rsplit("; write ", 1)[1]
    assert suggested.startswith(".".join(path[:first_unknown]))
    if first_unknown == len(path) - 1:  # the v5 spelling of the very attribute
        resolve(tuple(suggested.split(".")), V5_PARTY_INTERACTION_SCHEMA)
        twin = canonical_path(tuple(suggested.split(".")))
        assert twin in (None, path)
    for form in (f"sort={text}", f"fields={text}"):
        with pytest.raises(InvalidQueryError, match=f"write {suggested}"):
            parse_query(form, schema=V5_PARTY_INTERACTION_SCHEMA)


V4_NAMES = {
    "relatedParty.id": "relatedParty.partyOrPartyRole.id",
    "relatedParty.@referredType": "relatedParty.partyOrPartyRole.@referredType",
    "relatedParty.name": "relatedParty.partyOrPartyRole.name",
    "interactionItem.item.id": "interactionItem.item.entity.id",
    "interactionItem.relatedParty.href": (
        "interactionItem.relatedParty.partyOrPartyRole.href"
    ),
    "channel": "relatedChannel",
    "relatedChannel.id": "relatedChannel.channel.id",
}


def test_v4_names_under_v5_are_refused_where_they_matched_nothing(store):
    v4, v5 = services(store)
    v4.create(
        {**MINIMAL, "relatedParty": [{"id": "P1", "@referredType": "Individual"}]}
    )
    jane = {"@type": "Individual", "id": "P2", "givenName": "Jane"}
    v5.create(
        {
            **V5_MINIMAL,
            "relatedParty": [
                {
                    "@type": "RelatedPartyOrPartyRole",
                    "role": "customer",
                    "partyOrPartyRole": jane,
                }
            ],
        }
    )
    for v4_name, v5_name in V4_NAMES.items():
        hub = {
            "@type": "Hub",
            "callback": "http://127.0.0.1:9/cb",
            "query": f"event.partyInteraction.{v4_name}=P1",
        }
        for call in (
            lambda name=v4_name: v5.list({name: "P1"}),
            lambda name=v4_name: v5.list({"sort": name}),
            lambda name=v4_name: v5.retrieve("PI-0001", fields=name),
            lambda name=v4_name: v5.retrieve(
                "PI-0001", fields=[tuple(name.split("."))]
            ),
            lambda name=v4_name: v5.retrieve("PI-0001", query=f"fields={name}"),
            lambda body=hub: v5.events.register(body),
        ):
            with pytest.raises(InvalidQueryError, match=f"write [a-zA-Z.]*{v5_name}"):
                call()
    assert v4.list("relatedParty.id=P1").total_count == 1  # v4 is unchanged
    assert v5.list("relatedParty.partyOrPartyRole.id=P1").total_count == 1
    assert [
        p["relatedParty"][0]["partyOrPartyRole"]["id"]
        for p in v5.list("relatedParty.partyOrPartyRole.givenName=Jane").items
    ] == ["P2"]  # an extension of a subclass still filters
    assert v5.list("relatedParty.partyOrPartyRole.givenName=Ada").total_count == 0
    assert (
        v5.retrieve("PI-0002", fields="relatedParty.partyOrPartyRole.givenName")[
            "relatedParty"
        ][0]["partyOrPartyRole"]["givenName"]
        == "Jane"
    )


def test_a_json_patch_query_filter_in_v4_names_is_refused_under_v5(store):
    _, v5 = services(store)
    created = v5.create({**V5_MINIMAL, "status": "open"})
    refused = problems_of(
        lambda: v5.patch(
            created["id"],
            [{"op": "replace", "path": "/relatedChannel?id=555/role", "value": "r"}],
            patch_format=PatchFormat.JSON_PATCH_QUERY,
        )
    )
    [(where, message)] = refused
    assert where == "$[0].path"
    assert message.endswith("write channel.id")  # relative to the filtered element
    assert v5.retrieve(created["id"]).version == created.version
