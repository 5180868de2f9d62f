import pytest

from tests.conftest import MINIMAL
from tmf683 import ValidationError
from tmf683._validation import (
    INDEXED_TEXT_LENGTH,
    SCHEMA_LOCATION_HINT,
    party_interaction_document,
    validate_party_interaction,
)


def problems_of(document):
    with pytest.raises(ValidationError) as caught:
        validate_party_interaction(document)
    return caught.value.problems


def test_the_official_ctk_body_conforms():
    interaction = validate_party_interaction(dict(MINIMAL))
    assert interaction.direction == "inbounds"


@pytest.mark.parametrize("missing", ["channel", "direction", "reason"])
def test_mandatory_attributes(missing):
    document = {k: v for k, v in MINIMAL.items() if k != missing}
    assert (f"$.{missing}", "is required") in problems_of(document) or any(
        path == f"$.{missing}" for path, _ in problems_of(document)
    )


def test_channel_must_not_be_empty_and_items_need_id():
    assert problems_of({**MINIMAL, "channel": []})[0][0] == "$.channel"
    assert problems_of({**MINIMAL, "channel": [{"id": "1"}, {"name": "x"}]}) == (
        ("$.channel[1].id", "is required"),
    )


def test_related_party_needs_id_and_referred_type():
    found = problems_of({**MINIMAL, "relatedParty": [{"role": "customer"}]})
    assert found == (
        ("$.relatedParty[0].id", "is required"),
        ("$.relatedParty[0].@referredType", "is required"),
    )


def test_an_interaction_item_s_related_party_needs_id_and_referred_type():
    """Found by the fuzzer: a PATCH gave an item a party without them (a 200 whose
    body broke the swagger's RelatedParty)."""
    item = {"relatedParty": [{"id": "P1", "@referredType": "Individual"}, {}]}
    found = problems_of({**MINIMAL, "interactionItem": [{"id": "I1"}, item]})
    assert found == (
        ("$.interactionItem[1].relatedParty[1].id", "is required"),
        ("$.interactionItem[1].relatedParty[1].@referredType", "is required"),
    )


def test_interaction_item_entity_needs_role():
    found = problems_of({**MINIMAL, "interactionItem": [{"item": {"id": "T1"}}]})
    assert found == (("$.interactionItem[0].item.role", "is required"),)


def test_type_errors_and_missing_attributes_are_reported_together():
    found = problems_of({"direction": 3, "relatedParty": [{"id": 5}]})
    assert found == (
        ("$.direction", "must be a string"),
        ("$.relatedParty[0].id", "must be a string"),
        ("$.channel", "is required and must hold at least one channel"),
        ("$.reason", "is required"),
        ("$.relatedParty[0].@referredType", "is required"),
    )


def test_direction_and_reason_must_not_be_empty():
    found = problems_of({**MINIMAL, "direction": "", "reason": ""})
    assert found == (
        ("$.direction", "must not be empty"),
        ("$.reason", "must not be empty"),
    )


@pytest.mark.parametrize("body", [[], "text", 5, None])
def test_body_must_be_an_object(body):
    assert problems_of(body) == (("$", "must be a JSON object"),)


def test_null_counts_as_absent():
    assert ("$.reason", "is required") in problems_of({**MINIMAL, "reason": None})


def nested(depth):
    value: object = "leaf"
    for _ in range(depth - 1):
        value = [value]
    return {**MINIMAL, "@type": "DeepInteraction", "ext": value}


def test_nesting_up_to_the_limit_is_kept_and_deeper_is_refused():
    from tmf683._validation import MAX_NESTING_DEPTH

    assert validate_party_interaction(nested(MAX_NESTING_DEPTH)).extensions
    found = problems_of(nested(MAX_NESTING_DEPTH + 1))
    assert found == (
        ("$", f"nests objects and arrays deeper than {MAX_NESTING_DEPTH} levels"),
    )


@pytest.mark.parametrize(
    ("extension", "path", "message"),
    [
        ({"note": "a\x00b"}, "$.note", "NUL character"),
        ({"n": 2**63}, "$.n", "64-bit range"),
        ({"n": -(2**63) - 1}, "$.n", "64-bit range"),
        ({"f": float("inf")}, "$.f", "finite number"),
        ({"f": float("nan")}, "$.f", "finite number"),
        ({"s": "x\ud800"}, "$.s", "unpaired surrogate"),
        ({"deep": [{"k\x00": 1}]}, "$.deep[0]", "NUL character"),
    ],
)
def test_values_no_json_encoder_keeps_are_refused(extension, path, message):
    found = problems_of({**MINIMAL, "@type": "Ext", **extension})
    assert len(found) == 1
    assert found[0][0] == path
    assert message in found[0][1]


def test_schema_strings_with_nul_are_refused_too():
    assert problems_of({**MINIMAL, "reason": "a\x00"})[0][0] == "$.reason"


def test_64_bit_integers_at_the_edges_are_kept():
    document = {**MINIMAL, "@type": "Ext", "big": 2**63 - 1, "small": -(2**63)}
    assert validate_party_interaction(document).extensions["big"] == 2**63 - 1


@pytest.mark.parametrize("name", ["status", "direction"])
def test_indexed_texts_have_a_length_limit(name):
    validate_party_interaction({**MINIMAL, name: "x" * INDEXED_TEXT_LENGTH})
    found = problems_of({**MINIMAL, name: "x" * (INDEXED_TEXT_LENGTH + 1)})
    assert found == ((f"$.{name}", "is longer than 500 characters"),)


def test_parse_json_keeps_integers_exact_and_refuses_what_json_has_not():
    from tmf683 import parse_json

    assert parse_json(b'{"n": 18446744073709551617}') == {"n": 18446744073709551617}
    assert parse_json('["\u00e9"]') == ["\u00e9"]
    for text, message in [
        (b'{"n": NaN}', "is not valid JSON: NaN is not a JSON number"),
        (b'{"r": "\xff"}', "is not valid UTF-8"),
        (b"{", "is not valid JSON"),
        (b"[" * 100_000, "nests objects and arrays deeper than 64 levels"),
    ]:
        with pytest.raises(ValidationError) as caught:
            parse_json(text)
        ((path, found),) = caught.value.problems
        assert path == "$"
        assert found.startswith(message)


def test_v4_takes_null_for_an_optional_attribute_as_left_out():
    """docs/server.md, "Requests": what serialisers writing every unset field send."""
    from tmf683 import MemoryStore, PartyInteractionService

    service = PartyInteractionService(MemoryStore())
    body = {"channel": [{"id": "1"}], "direction": "in", "reason": "r"}
    created = service.create(
        {**body, "description": None, "attachment": [{"id": "a", "name": None}]}
    )
    assert "description" not in created
    assert created["attachment"] == [{"id": "a"}]
    patched = service.patch(created["id"], {"note": [{"id": "n", "text": None}]})
    assert patched["note"] == [{"id": "n"}]
    with pytest.raises(ValidationError) as refused:
        service.create({**body, "reason": None})
    assert list(refused.value.problems) == [("$.reason", "is required")]


@pytest.mark.parametrize(
    "location",
    ["", "s", "schemas/Foo.json", "¸û", "http://x/ y", "a:%zz", "1http://x"],
)
def test_a_schema_location_that_is_no_absolute_uri_is_refused_at_its_path(location):
    """The swagger's ``format: uri``, at every model position (the fuzzer's finding:
    a 200 echoing ``"@schemaLocation": ""`` violated the response schema)."""
    body = {
        **MINIMAL,
        "@schemaLocation": "https://example.com/PartyInteraction.schema.json",
        "interactionRelationship": [
            {"relationshipType": "x", "@schemaLocation": location}
        ],
    }
    with pytest.raises(ValidationError) as caught:
        party_interaction_document(body)
    assert caught.value.problems == (
        ("$.interactionRelationship[0].@schemaLocation", SCHEMA_LOCATION_HINT),
    )


@pytest.mark.parametrize(
    "location",
    [
        "https://schemas.example.com/TaggedInteraction.schema.json",
        "urn:example:schema:1",
        "http://x/r.json#/definitions/A%20B",
    ],
)
def test_absolute_schema_locations_are_kept(location):
    body = {**MINIMAL, "@type": "Tagged", "@schemaLocation": location, "x-tag": 1}
    assert party_interaction_document(body)["@schemaLocation"] == location


def test_a_schema_location_inside_an_extension_value_is_the_extensions_own():
    body = {
        **MINIMAL,
        "@schemaLocation": "https://example.com/s.json",
        "x-free": {"@schemaLocation": ""},
    }
    assert party_interaction_document(body)["x-free"] == {"@schemaLocation": ""}
