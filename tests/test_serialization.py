from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tmf683 import (
    PartyInteraction,
    RelatedChannel,
    RelatedParty,
    TimePeriod,
    ValidationError,
    structure,
    unstructure,
)
from tmf683._datetimes import format_datetime, parse_datetime
from tmf683._serialization import json_name


@pytest.mark.parametrize(
    ("python", "json"),
    [
        ("related_party", "relatedParty"),
        ("creation_date", "creationDate"),
        ("type", "@type"),
        ("base_type", "@baseType"),
        ("schema_location", "@schemaLocation"),
        ("referred_type", "@referredType"),
        ("id", "id"),
    ],
)
def test_json_names_are_the_swaggers(python, json):
    assert json_name(python) == json


def test_round_trip_keeps_every_value_and_writes_utc():
    document = {
        "description": "Réclamation – facture ü",
        "direction": "inbound",
        "reason": "billing",
        "channel": [{"id": "1", "name": "email", "@referredType": "Channel"}],
        "interactionDate": {
            "startDateTime": "2024-05-01T10:00:00+02:00",
            "endDateTime": "2024-05-01T08:30:00.250Z",
        },
        "relatedParty": [
            {"id": "P1", "role": "customer", "@referredType": "Individual"}
        ],
        "attachment": [{"name": "a.png", "size": {"amount": 3.5, "units": "MB"}}],
        "note": [
            {"id": "1", "text": "called back", "date": "2024-05-02T00:00:00-05:00"}
        ],
    }
    interaction = structure(document, PartyInteraction)
    assert interaction.related_party == [
        RelatedParty(id="P1", role="customer", referred_type="Individual")
    ]
    written = unstructure(interaction)
    assert written["interactionDate"] == {
        "startDateTime": "2024-05-01T08:00:00.000000Z",
        "endDateTime": "2024-05-01T08:30:00.250000Z",
    }
    assert written["note"][0]["date"] == "2024-05-02T05:00:00.000000Z"
    assert written["description"] == "Réclamation – facture ü"
    assert written["attachment"][0]["size"] == {"amount": 3.5, "units": "MB"}
    assert "href" not in written
    assert "status" not in written


def test_absent_attributes_are_omitted_not_null():
    written = unstructure(PartyInteraction(channel=[RelatedChannel(id="1")]))
    assert written == {"channel": [{"id": "1"}]}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"direction": 5}, ("$.direction", "must be a string")),
        ({"channel": "email"}, ("$.channel", "must be a JSON array")),
        ({"channel": [{"id": 555}]}, ("$.channel[0].id", "must be a string")),
        ({"channel": ["x"]}, ("$.channel[0]", "must be a JSON object")),
        ({"interactionDate": "today"}, ("$.interactionDate", "must be a JSON object")),
        (
            {"attachment": [{"size": {"amount": "3"}}]},
            ("$.attachment[0].size.amount", "must be a number"),
        ),
        (
            {"attachment": [{"size": {"amount": True}}]},
            ("$.attachment[0].size.amount", "must be a number"),
        ),
        (
            {"relatedParty": [{"@referredType": ["x"]}]},
            ("$.relatedParty[0].@referredType", "must be a string"),
        ),
    ],
)
def test_wrong_json_types_name_the_path(document, problem):
    with pytest.raises(ValidationError) as caught:
        structure(document, PartyInteraction)
    assert problem in caught.value.problems


@pytest.mark.parametrize(
    "text",
    ["2024-05-01", "2024-05-01T10:00:00", "yesterday", "2024-13-01T10:00:00Z", ""],
)
def test_date_times_need_a_full_instant_with_offset(text):
    with pytest.raises(ValidationError) as caught:
        structure({"creationDate": text}, PartyInteraction)
    assert caught.value.problems[0][0] == "$.creationDate"
    assert "UTC offset" in caught.value.problems[0][1]


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        structure({"direction": 1, "reason": 2, "bogus": 3}, PartyInteraction)
    paths = [path for path, _ in caught.value.problems]
    assert paths == ["$.direction", "$.reason", "$.bogus"]


def test_unknown_attribute_without_declared_extension_is_refused():
    with pytest.raises(ValidationError) as caught:
        structure({"priority": "high"}, PartyInteraction)
    assert caught.value.problems[0][0] == "$.priority"
    assert "@type" in caught.value.problems[0][1]


def test_plain_type_name_declares_no_extension():
    with pytest.raises(ValidationError):
        structure({"@type": "PartyInteraction", "priority": "high"}, PartyInteraction)


@pytest.mark.parametrize(
    "declaration",
    [{"@type": "CallCenterInteraction"}, {"@schemaLocation": "https://x/schema.json"}],
)
def test_declared_extension_attributes_are_kept(declaration):
    document = {**declaration, "priority": "high", "queue": {"name": "gold"}}
    interaction = structure(document, PartyInteraction)
    assert interaction.extensions == {"priority": "high", "queue": {"name": "gold"}}
    assert unstructure(interaction) == document


def test_extension_rules_apply_to_nested_objects():
    with pytest.raises(ValidationError) as caught:
        structure({"relatedParty": [{"id": "1", "vip": True}]}, PartyInteraction)
    assert caught.value.problems[0][0] == "$.relatedParty[0].vip"
    kept = structure(
        {"relatedParty": [{"id": "1", "@type": "VipParty", "vip": True}]},
        PartyInteraction,
    )
    assert kept.related_party is not None
    assert kept.related_party[0].extensions == {"vip": True}


def test_parse_and_format_date_time_are_instant_preserving():
    value = parse_datetime("2024-05-01T12:00:00.123456+02:00")
    assert value == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert format_datetime(value) == "2024-05-01T10:00:00.123456Z"
    minus = datetime(2024, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-3)))
    assert format_datetime(minus) == "2024-01-01T03:00:00.000000Z"


def test_model_objects_unstructure_time_periods():
    period = TimePeriod(start_date_time=datetime(2024, 1, 1, tzinfo=UTC))
    assert unstructure(period) == {"startDateTime": "2024-01-01T00:00:00.000000Z"}


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T10:00+02:00",
        "2024-05-01T10:00:00+02",
        "2024-05-01T10:00:00+02:00:30",
        "2024-05-01T10:00:00,5Z",
        "2024-05-01T10:00:00.Z",
        "2024-05-01T10:00:00\x00Z",
        "2024-05-01T23:59:60Z",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_only_rfc3339_date_times_within_years_1_to_9999_utc(text):
    with pytest.raises(ValueError, match="UTC offset"):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("2024-05-01t10:00:00z", "2024-05-01T10:00:00.000000Z"),
        ("2024-05-01 10:00:00+02:00", "2024-05-01T08:00:00.000000Z"),
        ("2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:00.123456Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_rfc3339_variants_are_read(text, written):
    assert format_datetime(parse_datetime(text)) == written


def test_canonical_date_times_sort_in_time_order():
    texts = [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00.5Z",
        "2024-05-01T10:00:00.500001Z",
        "2024-05-01T09:59:59.9Z",
        "2024-05-01T11:00:00.1+01:00",
    ]
    canonical = [format_datetime(parse_datetime(text)) for text in texts]
    by_text = sorted(canonical)
    by_instant = [format_datetime(v) for v in sorted(parse_datetime(t) for t in texts)]
    assert by_text == by_instant


def _keys(value):
    """Every object's keys in order, depth first, with the path to the object."""
    if isinstance(value, dict):
        yield list(value)
        for item in value.values():
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def test_every_object_writes_its_keys_in_the_swagger_order():
    when = "2024-01-01T00:00:00Z"
    poly: dict[str, Any] = {"@schemaLocation": "urn:s", "@baseType": "b"}
    ref = {"@referredType": "R", "role": "r", "name": "n", "href": "h", "id": "i"}
    period = {"endDateTime": when, "startDateTime": when}
    document = {
        **poly,
        "@type": "Sub",
        "ext": 1,
        "relatedParty": [{**ref, **poly, "@type": "RP"}],
        "note": [
            {**poly, "@type": "N", "text": "t", "date": when, "author": "a", "id": "n"}
        ],
        "interactionRelationship": [
            {**poly, "@type": "IR", "relationshipType": "x", "href": "h", "id": "r"}
        ],
        "interactionItem": [
            {
                **poly,
                "@type": "II",
                "relatedParty": [{"id": "p"}],
                "note": [{"id": "n"}],
                "itemDate": period,
                "item": {**ref, **poly, "@type": "E"},
                "channel": [{"id": "c"}],
                "attachment": [{"id": "a"}],
                "resolution": "res",
                "reason": "rea",
                "creationDate": when,
                "id": "ii",
            }
        ],
        "interactionDate": period,
        "channel": [{**ref, **poly, "@type": "C", "more": 2}],
        "attachment": [
            {
                "@referredType": "A",
                **poly,
                "@type": "At",
                "validFor": period,
                "size": {"units": "MB", "amount": 1},
                "url": "u",
                "name": "n",
                "mimeType": "m",
                "description": "d",
                "content": "c",
                "attachmentType": "t",
                "href": "h",
                "id": "a",
            }
        ],
        "statusChangeDate": when,
        "status": "s",
        "reason": "r",
        "direction": "d",
        "description": "d",
        "creationDate": when,
        "href": "h",
        "id": "1",
    }
    polymorphic = ["@baseType", "@schemaLocation", "@type"]
    reference = ["id", "href", "name", "role", *polymorphic, "@referredType"]
    period_keys = ["startDateTime", "endDateTime"]
    written = unstructure(structure(document, PartyInteraction))
    assert list(_keys(written)) == [
        [
            "id",
            "href",
            "creationDate",
            "description",
            "direction",
            "reason",
            "status",
            "statusChangeDate",
            "attachment",
            "channel",
            "interactionDate",
            "interactionItem",
            "interactionRelationship",
            "note",
            "relatedParty",
            *polymorphic,
            "ext",
        ],
        [
            "id",
            "href",
            "attachmentType",
            "content",
            "description",
            "mimeType",
            "name",
            "url",
            "size",
            "validFor",
            *polymorphic,
            "@referredType",
        ],
        ["amount", "units"],
        period_keys,
        [*reference, "more"],
        period_keys,
        [
            "id",
            "creationDate",
            "reason",
            "resolution",
            "attachment",
            "channel",
            "item",
            "itemDate",
            "note",
            "relatedParty",
            *polymorphic,
        ],
        ["id"],
        ["id"],
        reference,
        period_keys,
        ["id"],
        ["id"],
        ["id", "href", "relationshipType", *polymorphic],
        ["id", "author", "date", "text", *polymorphic],
        reference,
    ]
