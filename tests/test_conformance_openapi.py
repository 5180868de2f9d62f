"""The OAS-to-draft-07 converter the v5 collection validates responses with.

Checked with Python's ``jsonschema`` (Draft7Validator) on the converted schemas: real
server responses (a real waitress serving v4 and v5 over one store) validate; broken
ones fail; and on each document the verdict is that of ``tmf683.versions.v5contract``
(the server's own check against the OAS), so the collection and the server read the
OAS file the same way.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import jsonschema
import pytest

from tests.conformance import openapi
from tests.wsgi import serving
from tmf683 import (
    V5_BASE_PATH,
    MemoryStore,
    PartyInteractionService,
    PartyInteractionServiceV5,
)
from tmf683.versions import v5contract
from tmf683.versions.v5events import V5_EVENT_SCHEMAS
from tmf683_falcon import create_app

ROOTS = ["PartyInteraction", "Hub", "Error", *sorted(set(V5_EVENT_SCHEMAS.values()))]
BODY: dict[str, Any] = {
    "@type": "PartyInteraction",
    "reason": "Wants a new plan",
    "direction": "inbound",
    "status": "opened",
    "interactionDate": {"startDateTime": "2024-05-01T10:00:00+02:00"},
    "relatedChannel": [
        {
            "@type": "RelatedChannel",
            "role": "interactionChannel",
            "channel": {"@type": "ChannelRef", "id": "555", "name": "web"},
        }
    ],
    "relatedParty": [
        {
            "@type": "RelatedPartyOrPartyRole",
            "role": "customer",
            "partyOrPartyRole": {"@type": "Individual", "id": "P1", "givenName": "Ada"},
        },
        {
            "@type": "RelatedPartyOrPartyRole",
            "role": "agent",
            "partyOrPartyRole": {"@type": "PartyRef", "id": "P2"},
        },
    ],
    "externalIdentifier": [{"@type": "ExternalIdentifier", "id": "CRM-7"}],
    "note": [{"@type": "Note", "text": "called"}],
}
# RFC 3339 date-time as ajv 6 checks it with format: "full" (the collection's
# option): date, "T" or a space, time, an offset; then a real calendar date and time.
DATE_TIME = re.compile(
    r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$", re.I
)
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATE_TIME.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # ValueError: no
    return True


@pytest.fixture(scope="module")
def converted() -> dict[str, Any]:
    return openapi.draft07(ROOTS)


def problems(document: Any, name: str, converted: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(
        openapi.schema(name, converted), format_checker=FORMATS
    )
    return [error.message for error in validator.iter_errors(document)]


def agrees(document: Any, name: str, converted: dict[str, Any]) -> bool:
    """The converted schema's verdict, asserted equal to the server's (v5contract)."""
    ours = problems(document, name, converted) == []
    theirs = v5contract.schema_problems(document, name) == []
    assert ours == theirs, (document, problems(document, name, converted))
    return ours


@pytest.fixture(scope="module")
def responses() -> Iterator[dict[str, Any]]:
    """Real v5 responses of a real server: an interaction, a list, a hub, errors."""
    v4 = PartyInteractionService(MemoryStore())
    v5 = PartyInteractionServiceV5(v4)
    got: list[dict[str, Any]] = []
    v5.events.subscribe(got.append)
    app = create_app(v4, v5=v5)
    base = f"{V5_BASE_PATH}/partyInteraction"
    try:
        with serving(app) as root, httpx.Client(base_url=root, timeout=10) as http:
            created = http.post(base, json=BODY)
            assert created.status_code == 201
            id = created.json()["id"]
            patched = http.patch(f"{base}/{id}", json={"status": "completed"})
            assert patched.status_code == 200
            hub = http.post(
                f"{V5_BASE_PATH}/hub",
                json={"@type": "Hub", "callback": "http://127.0.0.1:9/l"},
            )
            assert hub.status_code == 201
            missing = http.post(base, json={"reason": "r", "direction": "inbound"})
            unknown = http.get(f"{base}/nope")
            listed = http.get(base, params={"fields": "status"})
            v4.events.flush(10)
            deleted = http.delete(f"{base}/{id}")
            assert deleted.status_code == 204
            v4.events.flush(10)
            yield {
                "interaction": created.json(),
                "patched": patched.json(),
                "list": listed.json(),
                "hub": hub.json(),
                "errors": [missing.json(), unknown.json()],
                "events": got,
            }
    finally:
        v4.close()


def test_the_converted_document_is_draft_07_and_knows_only_common_formats(converted):
    jsonschema.Draft7Validator.check_schema(converted)
    assert set(ROOTS) <= set(converted["definitions"])
    text = repr(converted)
    for gone in ("discriminator", "example", "components", "nullable", "int32"):
        assert gone not in text
    formats: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                formats.add(node["format"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(converted)
    assert formats == {"date-time"}


def test_real_v5_responses_validate(converted, responses):
    for name in ("interaction", "patched"):
        assert agrees(responses[name], "PartyInteraction", converted)
    assert responses["interaction"]["relatedParty"] == BODY["relatedParty"]
    assert agrees(responses["hub"], "Hub", converted)
    for error in responses["errors"]:
        assert agrees(error, "Error", converted)
    for item in responses["list"]:
        assert agrees(item, "PartyInteraction", converted)
        assert set(item) == {"id", "href", "@type", "status"}
    kinds = [event["@type"] for event in responses["events"]]
    assert kinds[0] == "PartyInteractionCreateEvent"
    assert "PartyInteractionDeleteEvent" in kinds
    for event in responses["events"]:
        assert agrees(event, event["@type"], converted)


def broken(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy with the value at a dotted path replaced; ``...`` deletes it."""
    result = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = result
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return result


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("@type", ...),  # Extensible requires @type
        ("relatedChannel.0.@type", ...),
        ("relatedChannel.0.channel.@type", ...),
        ("relatedParty.0.partyOrPartyRole.@type", ...),
        ("relatedParty.0.partyOrPartyRole.givenName", 7),
        ("relatedParty.1.partyOrPartyRole.id", 7),
        ("creationDate", "yesterday"),
        ("creationDate", "2024-05-01 10:00"),
        ("relatedChannel", {"channel": {"id": "555"}}),
        ("interactionDate.startDateTime", "2024-13-01T10:00:00Z"),
        ("externalIdentifier.0.id", 7),
        ("note.0.date", "today"),
        ("status", ["opened"]),
    ],
)
def test_broken_interactions_fail(converted, responses, path, value):
    document = broken(responses["interaction"], path, value)
    assert problems(document, "PartyInteraction", converted) != []
    if "date" not in path.lower():
        # v5contract's jsonschema has no date-time checker installed (no
        # rfc3339-validator): only the collection's ajv and this test check formats.
        assert not agrees(document, "PartyInteraction", converted)


@pytest.mark.parametrize(
    ("party", "fits"),
    [
        # The discriminator picks the branch: the same attributes fit one @type only.
        ({"@type": "Individual", "id": "P", "isLegalEntity": "yes"}, True),
        ({"@type": "Organization", "id": "P", "isLegalEntity": "yes"}, False),
        ({"@type": "Organization", "id": "P", "isLegalEntity": True}, True),
        ({"@type": "Individual", "givenName": "Ada"}, True),  # a value: no id needed
        ({"@type": "PartyRef", "givenName": "Ada"}, False),  # a reference needs id
        ({"@type": "PartyRoleRef", "id": "R", "partyId": 5}, False),
    ],
)
def test_the_discriminator_chooses_the_schema(converted, responses, party, fits):
    document = broken(
        responses["interaction"], "relatedParty.0.partyOrPartyRole", party
    )
    assert agrees(document, "PartyInteraction", converted) is fits


def test_broken_hub_error_and_event_bodies_fail(converted, responses):
    hub = responses["hub"]
    assert not agrees(broken(hub, "callback", ...), "Hub", converted)
    assert not agrees(broken(hub, "@type", ...), "Hub", converted)
    error = responses["errors"][0]
    assert not agrees(broken(error, "@type", ...), "Error", converted)
    assert not agrees(broken(error, "code", 400), "Error", converted)
    assert not agrees(broken(error, "reason", ...), "Error", converted)
    event = responses["events"][0]
    name = event["@type"]
    assert not agrees(broken(event, "@type", ...), name, converted)
    assert not agrees(
        broken(event, "event.partyInteraction.relatedChannel.0.channel.@type", ...),
        name,
        converted,
    )


def test_a_type_outside_the_mapping_is_checked_against_any_branch(converted):
    party = {"@type": "PartyInteraction", "relatedParty": [{}]}
    good = {"@type": "RelatedPartyOrPartyRole", "partyOrPartyRole": {"id": "P"}}
    for kind, fits in (("Nonsense", True), ("PartyRef", True)):
        element = {**good, "partyOrPartyRole": {"@type": kind, "id": "P"}}
        assert (
            problems(
                {**party, "relatedParty": [element]}, "PartyInteraction", converted
            )
            == []
        ) is fits
    no_branch = {**good, "partyOrPartyRole": {"@type": "Nonsense", "id": 5}}
    assert problems(
        {**party, "relatedParty": [no_branch]}, "PartyInteraction", converted
    )


SYNTHETIC: dict[str, Any] = {
    "openapi": "3.0.1",
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id", "secret", "name"],
                "properties": {
                    "id": {"type": "string", "readOnly": True},
                    "secret": {"type": "string", "writeOnly": True},
                    "name": {"type": "string", "nullable": True, "example": "x"},
                    "colour": {"type": "string", "enum": ["red"], "nullable": True},
                    "size": {
                        "type": "integer",
                        "format": "int32",
                        "minimum": 0,
                        "exclusiveMinimum": True,
                    },
                    "part": {"$ref": "#/components/schemas/Part", "description": "d"},
                },
            },
            "Part": {"type": "object", "properties": {"n": {"type": "number"}}},
            "Unused": {"type": "string"},
        }
    },
}


def test_nullable_read_only_write_only_and_bounds_of_oas_3_0():
    response = openapi.draft07(["Thing"], "response", SYNTHETIC)
    request = openapi.draft07(["Thing"], "request", SYNTHETIC)
    assert sorted(response["definitions"]) == ["Part", "Thing"]
    thing = response["definitions"]["Thing"]
    assert thing["required"] == ["id", "name"]
    assert request["definitions"]["Thing"]["required"] == ["secret", "name"]
    assert thing["properties"]["name"] == {"type": ["string", "null"]}
    assert thing["properties"]["colour"] == {
        "type": ["string", "null"],
        "enum": ["red", None],
    }
    assert thing["properties"]["size"] == {"type": "integer", "exclusiveMinimum": 0}
    assert thing["properties"]["part"] == {"$ref": "#/definitions/Part"}

    def valid(document: Any, converted: dict[str, Any]) -> bool:
        return jsonschema.Draft7Validator(openapi.schema("Thing", converted)).is_valid(
            document
        )

    assert valid({"id": "1", "name": None, "colour": None}, response)
    assert not valid({"id": "1", "name": None, "size": 0}, response)
    assert valid({"id": "1", "name": "n", "size": 1, "part": {"n": 2}}, response)
    assert not valid({"id": "1", "name": "n", "part": {"n": "2"}}, response)
    assert not valid({"name": "n"}, response)  # a response carries the readOnly id
    assert valid({"secret": "s", "name": "n"}, request)
    assert not valid({"name": "n"}, request)


def test_schema_names_are_the_types_the_oas_defines():
    names = openapi.schema_names()
    assert names == sorted(v5contract.schema_names())
    assert {"PartyInteraction", "Individual", "Hub", "Error"} <= set(names)
    with pytest.raises(KeyError):
        openapi.draft07(["NoSuchSchema"])
