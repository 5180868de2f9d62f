"""TMF683 v5 over HTTP beside v4, over one store: real waitress, SQLite and PostgreSQL.

Every full v5 PartyInteraction response is checked against the OAS ``PartyInteraction``
schema and every v5 error body against its ``Error`` schema, with
:mod:`tmf683.versions.v5contract` (jsonschema over the shipped OAS file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import falcon
import httpx
import pytest

from tests import postgres
from tests.conftest import MINIMAL
from tests.wsgi import serving
from tmf683 import (
    DEFAULT_BASE_PATH,
    V5_BASE_PATH,
    MemoryStore,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PartyInteractionStore,
    PostgresStore,
    SQLiteStore,
)
from tmf683.versions import v5contract
from tmf683_falcon import create_app, mount, serialize_http_error

V5_BODY: dict[str, Any] = {
    "@type": "PartyInteraction",
    "reason": "Wants a new plan",
    "direction": "inbound",
    "status": "open",
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
        }
    ],
    "externalIdentifier": [{"@type": "ExternalIdentifier", "id": "CRM-7"}],
}
V4_ERROR_KEYS = {"code", "reason", "message", "status"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
JSON_PATCH_QUERY = {"Content-Type": "application/json-patch-query+json"}


def valid_interaction(body: Any) -> dict[str, Any]:
    """Assert a full v5 PartyInteraction conforms to the OAS; return it."""
    assert v5contract.schema_problems(body, "PartyInteraction") == []
    assert isinstance(body, dict)
    return body


def valid_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert a v5 error response: status, TMF code, an OAS ``Error`` with @type."""
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert v5contract.schema_problems(body, "Error") == []
    assert body["@type"] == "Error"
    assert (body["code"], body["status"]) == (code, str(status))
    assert set(body) == {"@type", *V4_ERROR_KEYS}
    return body


def v4_error(response: httpx.Response, status: int, code: str) -> None:
    """Assert a v4 error response: exactly the v4 keys, no @type."""
    assert response.status_code == status
    body = response.json()
    assert set(body) == V4_ERROR_KEYS
    assert (body["code"], body["status"]) == (code, str(status))


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store(request, tmp_path) -> Iterator[PartyInteractionStore]:
    opened: PartyInteractionStore
    if request.param == "sqlite":
        opened = SQLiteStore(tmp_path / "v5.db")
    else:
        url = request.getfixturevalue("postgres_databases").create()
        postgres.empty(url)
        opened = PostgresStore(url)
    yield opened
    opened.close()


@pytest.fixture
def client(shared_store) -> Iterator[httpx.Client]:
    """A client of an app serving v4 and v5 over one store (real waitress)."""
    v4 = PartyInteractionService(shared_store, max_page_size=2)
    app = create_app(v4, v5=PartyInteractionServiceV5(v4))
    try:
        with serving(app) as root, httpx.Client(base_url=root, timeout=10) as http:
            yield http
    finally:
        v4.close()


def v5(path: str = "") -> str:
    return f"{V5_BASE_PATH}/partyInteraction{path}"


def v4(path: str = "") -> str:
    return f"{DEFAULT_BASE_PATH}/partyInteraction{path}"


def create_v5(client: httpx.Client, body: dict[str, Any] = V5_BODY) -> dict[str, Any]:
    response = client.post(v5(), json=body)
    assert response.status_code == 201
    return valid_interaction(response.json())


def test_a_v5_create_reads_back_under_v5_and_v4_by_the_same_id(client):
    response = client.post(v5(), json=V5_BODY)
    assert response.status_code == 201
    created = valid_interaction(response.json())
    id = created["id"]
    root = str(client.base_url).rstrip("/")
    assert created["href"] == f"{root}{v5('/' + id)}"
    assert response.headers["location"] == created["href"]
    assert created["relatedParty"] == V5_BODY["relatedParty"]
    assert created["externalIdentifier"] == V5_BODY["externalIdentifier"]
    assert "lastUpdate" in created

    read = client.get(v5(f"/{id}"))
    assert read.status_code == 200
    assert valid_interaction(read.json()) == created
    head = client.head(v5(f"/{id}"))
    assert (head.status_code, head.content) == (200, b"")

    as_v4 = client.get(v4(f"/{id}")).json()
    assert as_v4["href"] == f"{root}{v4('/' + id)}"
    assert as_v4["channel"] == [
        {"id": "555", "name": "web", "role": "interactionChannel"}
    ]
    assert as_v4["relatedParty"] == [
        {"id": "P1", "role": "customer", "@referredType": "Individual"}
    ]
    assert "externalIdentifier" not in as_v4
    assert "@type" not in as_v4


def test_fields_on_post_and_patch_under_v5(client):
    response = client.post(v5(), params={"fields": "reason"}, json=V5_BODY)
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "href", "@type", "reason"}
    assert response.headers["location"] == created["href"]
    full = valid_interaction(client.get(v5(f"/{created['id']}")).json())
    assert created == {k: full[k] for k in ("id", "href", "@type", "reason")}
    patched = client.patch(
        v5(f"/{created['id']}"), params={"fields": "status"}, json={"status": "closed"}
    )
    assert patched.status_code == 200
    assert patched.json() == {
        **{k: full[k] for k in ("id", "href", "@type")},
        "status": "closed",
    }


def test_fields_keep_the_schema_location_of_a_subclass_type(client):
    # A @type no schema of the OAS defines is valid with its @schemaLocation only, so
    # a fields= selection that keeps @type keeps @schemaLocation and @baseType too.
    subclass = {
        **V5_BODY,
        "@type": "TaggedInteraction",
        "@baseType": "PartyInteraction",
        "@schemaLocation": "https://schemas.example.com/TaggedInteraction.json",
    }
    kept = {k: subclass[k] for k in ("@type", "@baseType", "@schemaLocation")}
    created = client.post(v5(), params={"fields": "reason"}, json=subclass)
    assert created.status_code == 201
    id = created.json()["id"]
    answers = [
        created.json(),
        client.get(v5(f"/{id}"), params={"fields": "reason"}).json(),
        client.patch(v5(f"/{id}"), params={"fields": "reason"}, json={}).json(),
        *client.get(v5(), params={"id": id, "fields": "reason"}).json(),
        *client.get(v5(), params={"id": id, "fields": "none"}).json(),
    ]
    for answer in answers:
        assert {k: answer.get(k) for k in kept} == kept, answer
        assert v5contract.schema_problems(answer, "PartyInteraction") == []
    other = create_v5(client)
    projected = client.get(v5(f"/{other['id']}"), params={"fields": "none"}).json()
    assert set(projected) == {"id", "href", "@type"}


def test_a_subclass_type_with_its_schema_location_can_be_patched(client):
    subclass = {
        **V5_BODY,
        "@type": "TaggedInteraction",
        "@schemaLocation": "https://schemas.example.com/TaggedInteraction.json",
    }
    id = client.post(v5(), json=subclass).json()["id"]
    merged = client.patch(v5(f"/{id}"), json={"status": "closed"})
    assert merged.status_code == 200
    assert valid_interaction(merged.json())["status"] == "closed"
    assert merged.json()["@type"] == "TaggedInteraction"
    replaced = client.patch(
        v5(f"/{id}"),
        json=[{"op": "add", "path": "/description", "value": "d"}],
        headers=JSON_PATCH,
    )
    assert replaced.status_code == 200
    assert valid_interaction(replaced.json())["description"] == "d"
    # without its @schemaLocation the subclass @type is refused, as on create
    dropped = client.patch(v5(f"/{id}"), json={"@schemaLocation": None})
    assert "@type" in valid_error(dropped, 400, "invalidBody")["message"]
    assert client.get(v5(f"/{id}")).json() == replaced.json()


def test_list_filters_in_each_versions_names(client):
    from_v5 = create_v5(client)
    from_v4 = client.post(v4(), json={**MINIMAL, "channel": [{"id": "777"}]}).json()

    listed = client.get(v5(), params={"relatedChannel.channel.id": "555"})
    assert listed.status_code == 200
    assert [valid_interaction(item)["id"] for item in listed.json()] == [from_v5["id"]]
    assert (listed.headers["x-total-count"], listed.headers["x-result-count"]) == (
        "1",
        "1",
    )
    assert [i["id"] for i in client.get(v4(), params={"channel.id": "555"}).json()] == [
        from_v5["id"]
    ]
    v4_made = client.get(v5(), params={"relatedChannel.channel.id": "777"}).json()
    assert [valid_interaction(item)["id"] for item in v4_made] == [from_v4["id"]]
    customer = {
        "relatedParty.partyOrPartyRole.id": "P1",
        "relatedParty.role": "customer",
    }
    assert [i["id"] for i in client.get(v5(), params=customer).json()] == [
        from_v5["id"]
    ]
    head = client.head(v5(), params={"relatedChannel.channel.id": "555"})
    assert (head.status_code, head.headers["x-total-count"]) == (200, "1")
    wrong = client.get(v5(), params={"channel.id": "555"})  # a v4 name under v5
    valid_error(wrong, 400, "invalidQuery")


def test_paging_headers_and_links_are_those_of_v4(client):
    for _ in range(3):
        create_v5(client)
    pages = {
        version: client.get(path, params={"status": "open", "offset": "1"})
        for version, path in (("v4", v4()), ("v5", v5()))
    }
    for response in pages.values():
        assert response.status_code == 200  # max_page_size 2: a partial page
        assert response.headers["x-total-count"] == "3"
        assert response.headers["x-result-count"] == "2"
    v5_items = pages["v5"].json()
    assert [item["id"] for item in v5_items] == [i["id"] for i in pages["v4"].json()]
    for item in v5_items:
        valid_interaction(item)
    link = pages["v5"].headers["link"]
    assert 'rel="first"' in link
    assert f"{V5_BASE_PATH}/partyInteraction?" in link
    assert link == pages["v4"].headers["link"].replace(DEFAULT_BASE_PATH, V5_BASE_PATH)


def test_json_patch_and_json_patch_query_on_each_version(client):
    id = create_v5(client)["id"]

    replaced = client.patch(
        v5(f"/{id}"),
        json=[{"op": "replace", "path": "/status", "value": "inProgress"}],
        headers=JSON_PATCH,
    )
    assert replaced.status_code == 200
    assert valid_interaction(replaced.json())["status"] == "inProgress"
    assert client.get(v4(f"/{id}")).json()["status"] == "inProgress"

    by_query = client.patch(
        v5(f"/{id}"),
        json=[
            {
                "op": "replace",
                "path": "/relatedChannel?channel.id=555/role",
                "value": "preferred",
            }
        ],
        headers=JSON_PATCH_QUERY,
    )
    assert by_query.status_code == 200
    assert valid_interaction(by_query.json())["relatedChannel"][0]["role"] == (
        "preferred"
    )
    assert client.get(v4(f"/{id}")).json()["channel"][0]["role"] == "preferred"

    v4_query = client.patch(
        v4(f"/{id}"),
        json=[{"op": "replace", "path": "/channel?id=555/name", "value": "phone"}],
        headers=JSON_PATCH_QUERY,
    )
    assert v4_query.status_code == 200
    v4_patch = client.patch(
        v4(f"/{id}"),
        json=[{"op": "add", "path": "/note", "value": [{"text": "called back"}]}],
        headers=JSON_PATCH,
    )
    assert v4_patch.status_code == 200
    seen = valid_interaction(client.get(v5(f"/{id}")).json())
    assert seen["relatedChannel"][0]["channel"]["name"] == "phone"
    assert [note["text"] for note in seen["note"]] == ["called back"]
    assert seen["externalIdentifier"] == V5_BODY["externalIdentifier"]

    for content_type in ("application/merge-patch+json", "application/json"):
        merged = client.patch(
            v5(f"/{id}"),
            json={"description": content_type},
            headers={"Content-Type": content_type},
        )
        assert merged.status_code == 200
        assert valid_interaction(merged.json())["description"] == content_type


def test_v5_patch_errors_carry_the_v5_error_type(client):
    id = create_v5(client)["id"]
    direction = client.patch(v5(f"/{id}"), json={"direction": "outbound"})
    assert "direction" in valid_error(direction, 400, "invalidBody")["message"]
    failing = client.patch(
        v5(f"/{id}"),
        json=[{"op": "test", "path": "/status", "value": "closed"}],
        headers=JSON_PATCH,
    )
    assert failing.status_code in (400, 409)
    valid_error(failing, failing.status_code, failing.json()["code"])
    assert client.get(v5(f"/{id}")).json()["status"] == "open"


def test_v5_error_bodies_follow_the_oas_error_schema(client):
    missing = client.post(v5(), json={k: v for k, v in V5_BODY.items() if k != "@type"})
    assert "$.@type" in valid_error(missing, 400, "invalidBody")["message"]
    valid_error(client.get(v5("/nope")), 404, "notFound")
    media = client.post(v5(), content=b"x", headers={"Content-Type": "text/plain"})
    valid_error(media, 415, "unsupportedMediaType")
    valid_error(client.get(f"{V5_BASE_PATH}/nothing"), 404, "notFound")
    valid_error(client.put(v5()), 405, "methodNotAllowed")


def test_v4_error_bodies_stay_without_a_type(client):
    v4_error(client.post(v4(), json={"reason": "r"}), 400, "invalidBody")
    v4_error(client.get(v4("/nope")), 404, "notFound")
    v4_error(
        client.post(v4(), content=b"x", headers={"Content-Type": "text/plain"}),
        415,
        "unsupportedMediaType",
    )
    v4_error(client.get(f"{DEFAULT_BASE_PATH}/nothing"), 404, "notFound")
    v4_error(client.put(v4()), 405, "methodNotAllowed")
    v4_error(client.get("/elsewhere"), 404, "notFound")


def test_a_v5_delete_removes_the_interaction_from_both_versions(client):
    id = create_v5(client)["id"]
    deleted = client.delete(v5(f"/{id}"))
    assert (deleted.status_code, deleted.content) == (204, b"")
    v4_error(client.get(v4(f"/{id}")), 404, "notFound")
    valid_error(client.get(v5(f"/{id}")), 404, "notFound")
    valid_error(client.delete(v5(f"/{id}")), 404, "notFound")


def test_the_hub_routes_are_mounted_under_the_v5_base_path(client):
    registered = client.post(
        f"{V5_BASE_PATH}/hub",
        json={"@type": "Hub", "callback": "http://127.0.0.1:9/listener"},
    )
    assert registered.status_code == 201
    hub = registered.json()
    assert v5contract.schema_problems(hub, "Hub") == []
    location = registered.headers["location"]
    assert location == hub["href"]
    assert location.endswith(f"{V5_BASE_PATH}/hub/{hub['id']}")
    assert client.get(location).json() == hub
    v4_error(
        client.get(f"/tmf-api/partyInteraction/v4/hub/{hub['id']}"), 404, "notFound"
    )
    valid_error(
        client.post(f"{V5_BASE_PATH}/hub", json={"callback": "http://127.0.0.1:9/"}),
        400,
        "invalidBody",
    )
    assert client.delete(location).status_code == 204
    valid_error(client.get(location), 404, "notFound")
    valid_error(client.delete(location), 404, "notFound")


# --- mount and create_app ----------------------------------------------------------


def test_mount_takes_a_v5_service_at_its_default_base_path():
    app = falcon.App()
    with PartyInteractionServiceV5(MemoryStore()) as service:
        mount(app, service)
        with serving(app) as root, httpx.Client(base_url=root, timeout=10) as http:
            created = create_v5(http)
            assert created["href"] == f"{root}{v5('/' + created['id'])}"
            valid_error(http.get(v5("/nope")), 404, "notFound")
            assert http.get(v4()).status_code == 404  # v4 not mounted


def test_a_v5_api_nested_under_the_v4_one_types_only_its_own_errors():
    app = falcon.App()
    app.set_error_serializer(serialize_http_error)
    v4_service = PartyInteractionService(MemoryStore())
    mount(app, v4_service, base_path="/api")
    mount(app, PartyInteractionServiceV5(v4_service), base_path="/api/v5")
    try:
        with serving(app) as root, httpx.Client(base_url=root, timeout=10) as http:
            v4_error(http.get("/api/partyInteraction/nope"), 404, "notFound")
            v4_error(http.get("/api/nothing"), 404, "notFound")
            valid_error(http.get("/api/v5/partyInteraction/nope"), 404, "notFound")
            valid_error(http.get("/api/v5/nothing"), 404, "notFound")
            created = http.post("/api/v5/partyInteraction", json=V5_BODY).json()
            assert http.get(f"/api/partyInteraction/{created['id']}").status_code == (
                200
            )
    finally:
        v4_service.close()


def test_create_app_serves_v5_alone_or_beside_v4_at_chosen_paths():
    v4_service = PartyInteractionService(MemoryStore())
    only_v5 = create_app(PartyInteractionServiceV5(v4_service), base_path="/five/")
    both = create_app(
        v4_service,
        base_path="/four",
        v5=PartyInteractionServiceV5(v4_service),
        v5_base_path="five",
        base_url="https://bss.example.com",
    )
    try:
        with serving(only_v5) as root:
            created = httpx.post(f"{root}/five/partyInteraction", json=V5_BODY)
            assert created.status_code == 201
            gone = httpx.get(f"{root}{v4()}")
            assert (gone.status_code, "@type" in gone.json()) == (404, False)
        with serving(both) as root:
            id = created.json()["id"]
            four = httpx.get(f"{root}/four/partyInteraction/{id}").json()
            five = httpx.get(f"{root}/five/partyInteraction/{id}").json()
            assert four["href"] == f"https://bss.example.com/four/partyInteraction/{id}"
            assert five["href"] == f"https://bss.example.com/five/partyInteraction/{id}"
            valid_interaction(five)
    finally:
        v4_service.close()


def test_create_app_refuses_v5_beside_a_v5_service():
    with PartyInteractionServiceV5(MemoryStore()) as service, pytest.raises(TypeError):
        create_app(service, v5=service)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("beyond", str(2**70)),  # an integer outside the 64-bit range
        ("infinite", "1e999"),  # a float the JSON parser makes inf
        ("nul", '"a\\u0000b"'),
    ],
)
def test_what_no_document_may_hold_is_refused_in_v5_only_attributes(client, name, text):
    # Found by attacking a real server: v4 refuses these values everywhere, but a
    # v5 body could carry them in what only v5 says (an extension attribute, kept
    # under _v5); the store then refused the write with a 500, or (PostgreSQL, a
    # big integer) stored a document whose v5 view could not be written as JSON,
    # breaking every later v5 GET and list.
    created = create_v5(client)
    id = created["id"]
    body = json.dumps({**V5_BODY, "x": "@"}).replace('"@"', text)
    post = client.post(v5(), content=body, headers={"Content-Type": "application/json"})
    assert "$.x" in valid_error(post, 400, "invalidBody")["message"]
    patch = client.patch(
        v5(f"/{id}"),
        content=json.dumps(
            {"externalIdentifier": [{"@type": "ExternalIdentifier", "id": "@"}]}
        ).replace('"@"', text)
        if name == "nul"
        else f'{{"x": {text}}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert "$." in valid_error(patch, 400, "invalidBody")["message"]
    after = client.get(v5(f"/{id}"))
    assert after.status_code == 200
    assert after.json() == created
    assert client.get(v5()).status_code == 200
    assert client.get(v4(f"/{id}")).status_code == 200


@pytest.mark.parametrize("kind", ["Note", "ChannelRef", "ExternalIdentifier"])
def test_a_party_whose_type_is_another_oas_schema_is_refused(client, kind):
    # Found by attacking a real server: a RelatedPartyOrPartyRole whose
    # partyOrPartyRole had the @type of another OAS schema (a Note, a ChannelRef)
    # was accepted, because a @type outside the discriminator's mapping was checked
    # against any branch and a bare {id} fits PartyRef; v4 then read the party with
    # @referredType "Note".
    created = create_v5(client)
    id = created["id"]
    party = {"@type": kind, "id": "X1"}
    related = [
        {"@type": "RelatedPartyOrPartyRole", "role": "c", "partyOrPartyRole": party}
    ]
    where = "$.relatedParty[0].partyOrPartyRole.@type"
    post = client.post(v5(), json={**V5_BODY, "relatedParty": related})
    assert where in valid_error(post, 400, "invalidBody")["message"]
    merge = client.patch(v5(f"/{id}"), json={"relatedParty": related})
    assert where in valid_error(merge, 400, "invalidBody")["message"]
    path = "/relatedParty/0/partyOrPartyRole/@type"
    json_patch = [{"op": "replace", "path": path, "value": kind}]
    by_pointer = client.patch(v5(f"/{id}"), json=json_patch, headers=JSON_PATCH)
    assert where in valid_error(by_pointer, 400, "invalidBody")["message"]
    path = "/relatedParty?role=customer/partyOrPartyRole/@type"
    query = [{"op": "replace", "path": path, "value": kind}]
    by_query = client.patch(v5(f"/{id}"), json=query, headers=JSON_PATCH_QUERY)
    assert where in valid_error(by_query, 400, "invalidBody")["message"]
    assert client.get(v5(f"/{id}")).json() == created
    assert client.get(v4(f"/{id}")).json()["relatedParty"][0]["@referredType"] == (
        "Individual"
    )


def test_a_party_of_a_mapped_or_declared_subclass_type_is_still_accepted(client):
    organization = {"@type": "Organization", "id": "O1", "tradingName": "ACME"}
    subclass = {"@type": "Reseller", "@schemaLocation": "https://x/r.json", "id": "R1"}
    related = [
        {"@type": "RelatedPartyOrPartyRole", "role": "r", "partyOrPartyRole": party}
        for party in (organization, subclass)
    ]
    # an entity may be any OAS schema that extends Entity or EntityRef (in a
    # request, Individual_FVO extends Entity_FVO: the @type stays "Individual")
    entity = {"@type": "Individual", "id": "I1", "givenName": "Ada"}
    item_party = {"@type": "PartyRoleRef", "id": "PR1"}
    items = [
        {
            "@type": "InteractionItem",
            "item": {"@type": "RelatedEntityRefOrValue", "role": "r", "entity": entity},
            "relatedParty": [
                {
                    "@type": "RelatedPartyRefOrPartyRoleRef",
                    "role": "r",
                    "partyOrPartyRole": item_party,
                }
            ],
        }
    ]
    body = {**V5_BODY, "relatedParty": related, "interactionItem": items}
    created = create_v5(client, body)
    assert [p["partyOrPartyRole"] for p in created["relatedParty"]] == [
        organization,
        subclass,
    ]
    assert created["interactionItem"][0]["item"]["entity"] == entity
    assert created["interactionItem"][0]["relatedParty"][0]["partyOrPartyRole"] == (
        item_party
    )


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"@type": "Hub"}, "$.@type"),
        (
            {"note": [{"@type": "ChannelRef", "id": "1", "text": "t"}]},
            "$.note[0].@type",
        ),
        (
            {
                "relatedChannel": [
                    {
                        "@type": "RelatedChannel",
                        "role": "c",
                        "channel": {"@type": "PartyRef", "id": "1"},
                    }
                ]
            },
            "$.relatedChannel[0].channel.@type",
        ),
    ],
)
def test_an_object_whose_type_is_an_unrelated_oas_schema_is_refused(
    client, patch, where
):
    # Found by attacking a real server: the same as for partyOrPartyRole where a
    # schema's own discriminator (no oneOf) names the @type: an interaction could
    # become a "Hub", a note a "ChannelRef", a channel a "PartyRef".
    created = create_v5(client)
    id = created["id"]
    merge = client.patch(v5(f"/{id}"), json=patch)
    assert where in valid_error(merge, 400, "invalidBody")["message"]
    post = client.post(v5(), json={**V5_BODY, **patch})
    assert where in valid_error(post, 400, "invalidBody")["message"]
    assert client.get(v5(f"/{id}")).json() == created


# --- found by an adversarial tester: surrogates, the reserved key, v4 names ---------

SURROGATE_KEY = "has an attribute name that must not contain an unpaired surrogate"


def raw(client: httpx.Client, method: str, url: str, text: str, kind: str) -> Any:
    """Send ``text`` as it is (a JSON ``\\ud800`` escape stays one)."""
    return client.request(method, url, content=text, headers={"Content-Type": kind})


def test_an_unpaired_surrogate_is_a_400_naming_where_it_is(client):
    # Was a 500: the OAS validator cannot take text that is not Unicode.
    created = create_v5(client)
    id = created["id"]
    body = json.dumps(V5_BODY)[:-1]
    cases = [
        ("POST", v5(), '{"reason": "\\ud800"}', "application/json", "$.reason"),
        ("POST", v5(), body + ', "\\ud800": 1}', "application/json", "$ has"),
        ("POST", v5(), body + ', "x": {"\\udc00": 1}}', "application/json", "$.x has"),
        (
            "PATCH",
            v5(f"/{id}"),
            '{"\\ud800": 1}',
            "application/merge-patch+json",
            "$ has",
        ),
        (
            "PATCH",
            v5(f"/{id}"),
            '{"note": [{"@type": "Note", "text": "\\ud800"}]}',
            "application/merge-patch+json",
            "$.note[0].text",
        ),
        (
            "PATCH",
            v5(f"/{id}"),
            '[{"op": "add", "path": "/\\ud800", "value": 1}]',
            JSON_PATCH["Content-Type"],
            "$[0].path",
        ),
        (
            "PATCH",
            v5(f"/{id}"),
            '[{"op": "add", "path": "/x", "value": {"\\ud800": 1}}]',
            JSON_PATCH_QUERY["Content-Type"],
            "$[0].value has",
        ),
        (
            "POST",
            f"{V5_BASE_PATH}/hub",
            '{"@type": "Hub", "callback": "http://127.0.0.1:9/", "\\ud800": 1}',
            "application/json",
            "$ has",
        ),
    ]
    for method, url, text, kind, where in cases:
        message = valid_error(raw(client, method, url, text, kind), 400, "invalidBody")[
            "message"
        ]
        assert message.startswith(where), (text, message)
        assert "unpaired surrogate" in message
        if " has" in where:
            assert SURROGATE_KEY in message
    after = client.get(v5(f"/{id}"))
    assert (after.status_code, after.json()) == (200, created)
    assert client.get(v5(), params={"limit": "0"}).headers["x-total-count"] == "1"


def test_the_reserved_key_is_a_400_in_every_v5_write(client):
    created = create_v5(client)
    id = created["id"]
    etag = client.get(v5(f"/{id}")).headers["etag"]
    merge = {"Content-Type": "application/merge-patch+json"}
    for patch, headers, where in [
        ({"_v5": {"x": 1}}, merge, "$._v5 is not a TMF683 attribute"),
        ({"_v5": None}, merge, "$._v5 is not a TMF683 attribute"),
        ([{"op": "add", "path": "/_v5", "value": {"x": 1}}], JSON_PATCH, "$[0].path"),
        ([{"op": "add", "path": "/_v5", "value": 1}], JSON_PATCH_QUERY, "$[0].path"),
    ]:
        refused = client.patch(v5(f"/{id}"), content=json.dumps(patch), headers=headers)
        assert valid_error(refused, 400, "invalidBody")["message"].startswith(where)
    posted = client.post(v5(), json={**V5_BODY, "_v5": {"attributes": {}}})
    assert valid_error(posted, 400, "invalidBody")["message"].startswith(
        "$._v5 is not a TMF683 attribute"
    )
    after = client.get(v5(f"/{id}"))
    assert (after.headers["etag"], after.json()) == (etag, created)  # no new version
    v4_error(client.post(v4(), json={**MINIMAL, "_v5": {}}), 400, "invalidBody")


def test_v4_names_in_v5_queries_are_a_400_naming_the_v5_spelling(client):
    ada = create_v5(client)
    client.post(
        v4(),
        json={**MINIMAL, "relatedParty": [{"id": "P1", "@referredType": "Individual"}]},
    )
    count = {"limit": "0"}
    assert (
        client.get(v4(), params={"relatedParty.id": "P1", **count}).headers[
            "x-total-count"
        ]
        == "2"
    )
    assert (
        client.get(
            v5(), params={"relatedParty.partyOrPartyRole.id": "P1", **count}
        ).headers["x-total-count"]
        == "2"
    )
    given = {"relatedParty.partyOrPartyRole.givenName": "Ada"}  # an Individual's
    assert [i["id"] for i in client.get(v5(), params=given).json()] == [ada["id"]]
    for v4_name, v5_name in [
        ("relatedParty.id", "relatedParty.partyOrPartyRole.id"),
        ("relatedParty.@referredType", "relatedParty.partyOrPartyRole.@referredType"),
        ("relatedParty.name", "relatedParty.partyOrPartyRole.name"),
        ("interactionItem.item.id", "interactionItem.item.entity.id"),
        ("channel", "relatedChannel"),
    ]:
        for params in (
            {v4_name: "P1", **count},
            {"sort": v4_name},
            {"fields": v4_name},
        ):
            message = valid_error(client.get(v5(), params=params), 400, "invalidQuery")[
                "message"
            ]
            assert f"write {v5_name}" in message
            assert f"names '{v4_name.split('.')[-1]}'" in message
    hub = client.post(
        f"{V5_BASE_PATH}/hub",
        json={
            "@type": "Hub",
            "callback": "http://127.0.0.1:9/",
            "query": "event.partyInteraction.relatedParty.id=P1",
        },
    )
    assert (
        "write event.partyInteraction.relatedParty.partyOrPartyRole.id"
        in (valid_error(hub, 400, "invalidQuery")["message"])
    )
