"""PATCH in every format (merge, JSON Patch, JSON Patch Query), library and HTTP.

Every test runs on the three stores (the ``store`` fixture); HTTP tests serve the
same service with the real Falcon app on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jsonpatch
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from tests.conftest import MINIMAL
from tests.wsgi import serving
from tmf683 import (
    MemoryStore,
    PartyInteractionService,
    PatchConflictError,
    PatchFormat,
    ValidationError,
    apply_patch,
)
from tmf683.testing import party_interactions
from tmf683_falcon import create_app

JSON_PATCH = PatchFormat.JSON_PATCH
QUERY = PatchFormat.JSON_PATCH_QUERY

RICH = {
    **MINIMAL,
    "status": "open",
    "description": "before",
    "note": [
        {"id": "1", "text": "first"},
        {"id": "2", "text": "second", "author": "ann"},
        {"id": "3", "text": "third", "author": "ann"},
    ],
    "relatedParty": [
        {"id": "P1", "role": "customer", "@referredType": "Individual", "name": "C"},
        {"id": "P2", "role": "agent", "@referredType": "Individual", "name": "A"},
    ],
    "interactionItem": [
        {"id": "5678", "item": {"id": "I", "role": "x"}},
        {
            "id": "9",
            "item": {"id": "J", "role": "y"},
            "note": [{"id": "n", "text": "t"}],
        },
    ],
}


@pytest.fixture
def created(service):
    return service.create(dict(RICH))


def patched(service, created, operations, patch_format=JSON_PATCH):
    return service.patch(created["id"], operations, patch_format=patch_format)


@pytest.mark.parametrize(
    ("operations", "check"),
    [
        (
            [{"op": "add", "path": "/note/-", "value": {"text": "fourth"}}],
            lambda d: d["note"][-1] == {"text": "fourth"} and len(d["note"]) == 4,
        ),
        (
            [{"op": "add", "path": "/note/0", "value": {"text": "zero"}}],
            lambda d: d["note"][0] == {"text": "zero"} and len(d["note"]) == 4,
        ),
        ([{"op": "remove", "path": "/description"}], lambda d: "description" not in d),
        (
            [{"op": "remove", "path": "/note/1"}],
            lambda d: [n["id"] for n in d["note"]] == ["1", "3"],
        ),
        (
            [{"op": "replace", "path": "/note/0/text", "value": "new"}],
            lambda d: d["note"][0] == {"id": "1", "text": "new"},
        ),
        (
            [{"op": "move", "from": "/description", "path": "/reason"}],
            lambda d: d["reason"] == "before" and "description" not in d,
        ),
        (
            [{"op": "copy", "from": "/note/2/author", "path": "/note/0/author"}],
            lambda d: (
                d["note"][0]["author"] == "ann" and d["note"][2]["author"] == "ann"
            ),
        ),
        (
            [
                {"op": "test", "path": "/note/1/text", "value": "second"},
                {"op": "replace", "path": "/description", "value": "tested"},
            ],
            lambda d: d["description"] == "tested",
        ),
    ],
    ids=[
        "add-end",
        "add-index",
        "remove",
        "remove-index",
        "replace",
        "move",
        "copy",
        "test",
    ],
)
def test_every_json_patch_operation(service, created, operations, check):
    result = patched(service, created, operations)
    assert check(result)
    assert service.retrieve(created["id"]) == result
    assert result == jsonpatch.apply_patch(created, operations)


def test_a_failing_test_after_a_good_operation_changes_nothing(service, created):
    operations = [
        {"op": "replace", "path": "/description", "value": "changed"},
        {"op": "remove", "path": "/note/0"},
        {"op": "test", "path": "/status", "value": "closed"},
    ]
    with pytest.raises(PatchConflictError) as caught:
        patched(service, created, operations)
    assert caught.value.problems == (
        ("$[2].value", "test failed: '/status' does not hold the value given"),
    )
    assert service.retrieve(created["id"]) == created


@pytest.mark.parametrize(
    ("operations", "error", "where"),
    [
        ([{"op": "remove", "path": "/nothing"}], PatchConflictError, "$[0].path"),
        (
            [
                {"op": "add", "path": "/name", "value": "n"},
                {"op": "replace", "path": "/note/7/text", "value": "x"},
            ],
            PatchConflictError,
            "$[1].path",
        ),
        ([{"op": "add", "path": "/a/b", "value": 1}], PatchConflictError, "$[0].path"),
        (
            [{"op": "move", "from": "/nope", "path": "/x"}],
            PatchConflictError,
            "$[0].path",
        ),
        (
            [{"op": "replace", "path": "status", "value": "x"}],
            ValidationError,
            "$[0].path",
        ),
        (
            [{"op": "replace", "path": "/a~2", "value": "x"}],
            ValidationError,
            "$[0].path",
        ),
        ([{"op": "delete", "path": "/description"}], ValidationError, "$[0].op"),
        ([{"op": "replace", "path": "/status"}], ValidationError, "$[0].value"),
        ([{"op": "copy", "path": "/status"}], ValidationError, "$[0].from"),
        ([{"path": "/status"}], ValidationError, "$[0].op"),
        ([{"op": "remove"}], ValidationError, "$[0].path"),
        (["remove"], ValidationError, "$[0]"),
        ({"op": "remove", "path": "/status"}, ValidationError, "$"),
        ([{"op": "replace", "path": "", "value": []}], ValidationError, "$"),
    ],
)
def test_bad_json_patches_name_the_operation_and_store_nothing(
    service, created, operations, error, where
):
    with pytest.raises(error) as caught:
        patched(service, created, operations)
    assert caught.value.problems[0][0] == where
    if error is ValidationError:
        assert not isinstance(caught.value, PatchConflictError)
    assert service.retrieve(created["id"]) == created


@pytest.mark.parametrize("patch_format", [JSON_PATCH, QUERY])
@pytest.mark.parametrize(
    ("path", "value"),
    [("/id", "other"), ("/href", "http://h/x"), ("/direction", "outbound")],
)
def test_non_patchable_attributes_may_be_repeated_not_changed(
    service, created, patch_format, path, value
):
    name = path[1:]
    same = [
        {"op": "replace", "path": path, "value": created[name]},
        {"op": "replace", "path": "/description", "value": "kept"},
    ]
    assert patched(service, created, same, patch_format)["description"] == "kept"
    before = service.retrieve(created["id"])
    for change in (
        [
            {"op": "test", "path": "/status", "value": "open"},
            {"op": "replace", "path": path, "value": value},
        ],
        [
            {"op": "test", "path": "/status", "value": "open"},
            {"op": "remove", "path": path},
        ],
    ):
        with pytest.raises(ValidationError) as caught:
            patched(service, created, change, patch_format)
        assert caught.value.problems == (
            (
                "$[1].path",
                f"writes '{name}', which cannot be changed "
                "(not in PartyInteraction_Update)",
            ),
        )
    assert service.retrieve(created["id"]) == before


def test_creation_date_may_change_but_not_go(service, created):
    with pytest.raises(ValidationError) as caught:
        patched(service, created, [{"op": "remove", "path": "/creationDate"}])
    assert caught.value.problems[0][0] == "$[0].path"
    moved = patched(
        service,
        created,
        [
            {
                "op": "replace",
                "path": "/creationDate",
                "value": "2020-01-01T01:00:00+01:00",
            }
        ],
    )
    assert moved["creationDate"] == "2020-01-01T00:00:00.000000Z"


def test_an_invalid_result_is_refused_like_a_merge_patch(service, created):
    with pytest.raises(ValidationError) as caught:
        patched(service, created, [{"op": "remove", "path": "/channel/0/id"}])
    assert caught.value.problems[0][0] == "$.channel[0].id"
    assert service.retrieve(created["id"]) == created


def test_status_change_date_follows_the_merge_patch_rules(service, created):
    changed = patched(
        service, created, [{"op": "replace", "path": "/status", "value": "done"}]
    )
    assert changed["statusChangeDate"] > created["statusChangeDate"]
    given_date = patched(
        service,
        created,
        [
            {"op": "replace", "path": "/status", "value": "closed"},
            {
                "op": "replace",
                "path": "/statusChangeDate",
                "value": "2020-01-01T00:00:00Z",
            },
        ],
    )
    assert given_date["statusChangeDate"] == "2020-01-01T00:00:00.000000Z"
    same = patched(
        service, created, [{"op": "replace", "path": "/status", "value": "closed"}]
    )
    assert same["statusChangeDate"] == given_date["statusChangeDate"]


def note_ids(document):
    return [note["id"] for note in document["note"]]


@pytest.mark.parametrize("query", ["id=2", "note.id=2"])
def test_query_replaces_in_the_element_selected_by_id(service, created, query):
    result = patched(
        service,
        created,
        [{"op": "replace", "path": f"/note?{query}/text", "value": "x"}],
        QUERY,
    )
    assert result["note"][1] == {"id": "2", "text": "x", "author": "ann"}
    assert [n["text"] for n in result["note"]] == ["first", "x", "third"]


@pytest.mark.parametrize("query", ["role=customer", "relatedParty.role=customer"])
def test_query_selects_by_role_in_both_name_forms(service, created, query):
    result = patched(
        service,
        created,
        [{"op": "replace", "path": f"/relatedParty?{query}/name", "value": "Z"}],
        QUERY,
    )
    assert [p["name"] for p in result["relatedParty"]] == ["Z", "A"]


@pytest.mark.parametrize("op", ["delete", "remove"])
def test_query_removes_every_match_and_delete_is_remove(service, created, op):
    result = patched(service, created, [{"op": op, "path": "/note?author=ann"}], QUERY)
    assert note_ids(result) == ["1"]
    item = patched(
        service, created, [{"op": op, "path": "/interactionItem?id=5678"}], QUERY
    )
    assert [i["id"] for i in item["interactionItem"]] == ["9"]


def test_query_conditions_and_nested_queries(service, created):
    both = patched(
        service,
        created,
        [
            {"op": "replace", "path": "/note?author=ann&id=3/text", "value": "only 3"},
            {
                "op": "add",
                "path": "/note?author=ann/date",
                "value": "2024-01-01T00:00:00Z",
            },
            {
                "op": "replace",
                "path": "/interactionItem?id=9/note?id=n/text",
                "value": "deep",
            },
            {"op": "test", "path": "/note?id=3/text", "value": "only 3"},
        ],
        QUERY,
    )
    assert [n.get("text") for n in both["note"]] == ["first", "second", "only 3"]
    assert [("date" in n) for n in both["note"]] == [False, True, True]
    assert both["interactionItem"][1]["note"] == [{"id": "n", "text": "deep"}]


def test_a_query_sees_what_earlier_operations_did(service, created):
    result = patched(
        service,
        created,
        [
            {"op": "add", "path": "/note/-", "value": {"id": "4", "text": "new"}},
            {"op": "replace", "path": "/note?id=4/text", "value": "changed"},
        ],
        QUERY,
    )
    assert result["note"][3] == {"id": "4", "text": "changed"}


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "/note?id=99"},
        {"op": "replace", "path": "/note?id=99/text", "value": "x"},
        {"op": "test", "path": "/note?id=99/text", "value": "x"},
        {"op": "add", "path": "/note?id=99/author", "value": "x"},
        {"op": "move", "from": "/note?id=99", "path": "/note/-"},
        {
            "op": "move",
            "from": "/note?id=1",
            "path": "/relatedParty?id=P1&role=agent/x",
        },
        {"op": "remove", "path": "/attachment?id=1"},
    ],
)
def test_a_query_that_selects_nothing_is_a_conflict(service, created, operation):
    with pytest.raises(PatchConflictError) as caught:
        patched(
            service,
            created,
            [{"op": "replace", "path": "/description", "value": "x"}, operation],
            QUERY,
        )
    assert caught.value.problems[0][0] in ("$[1].path", "$[1].from")
    assert service.retrieve(created["id"]) == created


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "/note?nope.deeper=1"},
        {"op": "remove", "path": "/status?id=1"},
        {"op": "remove", "path": "/note?"},
        {"op": "remove", "path": "/note?id=1&limit=3"},
        {"op": "remove", "path": "/note?fields=id"},
        {"op": "add", "path": "/note?id=1", "value": {"text": "before"}},
        {"op": "copy", "from": "/note?author=ann", "path": "/note/-"},
    ],
)
def test_a_query_that_cannot_apply_is_refused(service, created, operation):
    with pytest.raises(ValidationError) as caught:
        patched(service, created, [operation], QUERY)
    assert caught.value.problems[0][0] in ("$[0].path", "$[0].from")
    assert service.retrieve(created["id"]) == created


def test_a_value_added_to_several_elements_is_not_shared(service, created):
    operations: list[dict[str, Any]] = [
        {"op": "add", "path": "/note?author=ann/@type", "value": "Note"},
        {
            "op": "add",
            "path": "/interactionItem?id.ne=x/note",
            "value": [{"text": "a"}],
        },
        {"op": "replace", "path": "/interactionItem/0/note/0/text", "value": "b"},
    ]
    result = patched(service, created, operations, QUERY)
    assert result["interactionItem"][0]["note"] == [{"text": "b"}]
    assert result["interactionItem"][1]["note"] == [{"text": "a"}]
    assert operations[1]["value"] == [{"text": "a"}]


def test_move_and_copy_with_queries(service, created):
    moved = patched(
        service,
        created,
        [{"op": "move", "from": "/note?id=1", "path": "/note/-"}],
        QUERY,
    )
    assert note_ids(moved) == ["2", "3", "1"]
    copied = patched(
        service,
        created,
        [
            {
                "op": "copy",
                "from": "/note?id=2/author",
                "path": "/note?author.ne=ann/author",
            }
        ],
        QUERY,
    )
    assert [n.get("author") for n in copied["note"]] == ["ann", "ann", "ann"]


def events_of(service, change):
    seen: list[dict[str, object]] = []
    subscriber = service.events.subscribe(seen.append)
    created = service.create({**MINIMAL, "status": "open", "description": "d"})
    change(created["id"])
    service.events.flush(10)
    service.events.unsubscribe(subscriber)
    return [(e["eventType"], e.get("fieldPath")) for e in seen[1:]]


@pytest.mark.parametrize(
    ("patch", "patch_format"),
    [
        (
            [
                {"op": "replace", "path": "/status", "value": "done"},
                {"op": "remove", "path": "/description"},
            ],
            JSON_PATCH,
        ),
        (
            [
                {"op": "test", "path": "/channel?id=555/id", "value": "555"},
                {"op": "replace", "path": "/status", "value": "done"},
                {"op": "remove", "path": "/description"},
            ],
            QUERY,
        ),
    ],
)
def test_events_are_those_of_the_same_merge_patch(service, patch, patch_format):
    merge = events_of(
        service, lambda id: service.patch(id, {"status": "done", "description": None})
    )
    other = events_of(
        service, lambda id: service.patch(id, patch, patch_format=patch_format)
    )
    assert other == merge
    assert merge == [
        ("PartyInteractionAttributeValueChangeEvent", merge[0][1]),
        ("PartyInteractionStatusChangeEvent", None),
    ]
    assert set(str(merge[0][1]).split(",")) >= {"status", "description"}


def test_a_failed_json_patch_raises_no_event(service, created):
    seen: list[dict[str, object]] = []
    service.events.subscribe(seen.append)
    with pytest.raises(PatchConflictError):
        patched(
            service,
            created,
            [
                {"op": "replace", "path": "/status", "value": "done"},
                {"op": "test", "path": "/status", "value": "open"},
            ],
        )
    service.create(dict(MINIMAL))
    service.events.flush(10)
    assert [e["eventType"] for e in seen] == ["PartyInteractionCreateEvent"]


def test_apply_patch_without_a_service_leaves_its_input_alone():
    document = {"note": [{"id": "1", "text": "a"}]}
    result = apply_patch(
        document,
        [{"op": "replace", "path": "/note?id=1/text", "value": "b"}],
        QUERY,
        schema=__import__("tmf683").PARTY_INTERACTION_SCHEMA,
    )
    assert result.document == {"note": [{"id": "1", "text": "b"}]}
    assert result.written == {"note": "$[0].path"}
    assert document == {"note": [{"id": "1", "text": "a"}]}
    with pytest.raises(ValueError, match="schema"):
        apply_patch(document, [], QUERY)


# --- HTTP -------------------------------------------------------------------------


@pytest.fixture
def http(service) -> Iterator[httpx.Client]:
    with (
        serving(create_app(service)) as root,
        httpx.Client(
            base_url=f"{root}/tmf-api/partyInteraction/v4/", timeout=10
        ) as client,
    ):
        yield client


def http_patch(http, id, operations, media_type):
    return http.patch(
        f"partyInteraction/{id}", json=operations, headers={"Content-Type": media_type}
    )


def test_http_json_patch_and_json_patch_query(http):
    created = http.post("partyInteraction", json=RICH).json()
    plain = http_patch(
        http,
        created["id"],
        [{"op": "replace", "path": "/description", "value": "by json patch"}],
        "application/json-patch+json",
    )
    assert plain.status_code == 200
    assert plain.json()["description"] == "by json patch"
    query = http_patch(
        http,
        created["id"],
        [{"op": "delete", "path": "/interactionItem?id=5678"}],
        "application/json-patch-query+json; charset=utf-8",
    )
    assert query.status_code == 200
    assert [i["id"] for i in query.json()["interactionItem"]] == ["9"]
    assert http.get(f"partyInteraction/{created['id']}").json() == query.json()


@pytest.mark.parametrize(
    ("operations", "media_type", "status", "code", "mentions"),
    [
        (
            [
                {"op": "replace", "path": "/description", "value": "x"},
                {"op": "test", "path": "/status", "value": "closed"},
            ],
            "application/json-patch+json",
            409,
            "patchConflict",
            "$[1].value test failed",
        ),
        (
            [{"op": "remove", "path": "/note?id=99"}],
            "application/json-patch-query+json",
            409,
            "patchConflict",
            "$[0].path",
        ),
        (
            [{"op": "replace", "path": "/description", "value": "x"}, {"op": "nope"}],
            "application/json-patch+json",
            400,
            "invalidBody",
            "$[1].op",
        ),
        (
            [{"op": "replace", "path": "/direction", "value": "outbound"}],
            "application/json-patch-query+json",
            400,
            "invalidBody",
            "$[0].path writes 'direction'",
        ),
        (
            {"description": "x"},
            "application/json-patch+json",
            400,
            "invalidBody",
            "$ must be a JSON array",
        ),
    ],
)
def test_http_bad_patches_answer_a_tmf_error_and_store_nothing(
    http, operations, media_type, status, code, mentions
):
    created = http.post("partyInteraction", json=RICH).json()
    response = http_patch(http, created["id"], operations, media_type)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["status"] == str(status)
    assert body["reason"]
    assert mentions in body["message"]
    assert http.get(f"partyInteraction/{created['id']}").json() == created


# --- bounds and edges found by an adversarial pass -----------------------------


def nested(depth):
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("operations", "mentions"),
    [
        ([{"op": "remove", "path": "/\ud800"}], "unpaired surrogate"),
        ([{"op": "remove", "path": "/note?id=\ud800"}], "unpaired surrogate"),
        ([{"op": "add", "path": "/description", "value": nested(600)}], "deeper"),
        ([{"op": "test", "path": "/status", "value": "open"}] * 1001, "at most 1000"),
    ],
)
def test_what_no_document_may_hold_is_refused_before_applying(
    service, created, operations, mentions
):
    with pytest.raises(ValidationError, match=mentions):
        patched(service, created, operations, QUERY)
    assert service.retrieve(created["id"]) == created


def test_a_patch_cannot_grow_the_document_past_the_limit(service):
    created = service.create({**MINIMAL, "@type": "Big", "ext": {"a": "x" * 1000}})
    doubling = [{"op": "copy", "from": "/ext", "path": f"/ext/k{n}"} for n in range(20)]
    with pytest.raises(ValidationError, match="bytes of JSON written"):
        patched(service, created, doubling)
    assert service.retrieve(created["id"]) == created


def test_a_query_move_selects_its_target_after_removing_the_source(service):
    notes = [{"id": str(n), "text": f"t{n}", "@type": "MyNote"} for n in (1, 2, 3)]
    created = service.create({**MINIMAL, "note": notes})
    result = patched(
        service,
        created,
        [{"op": "move", "from": "/note?id=1", "path": "/note?id=2/x"}],
        QUERY,
    )
    assert [(note["id"], note.get("x")) for note in result["note"]] == [
        ("2", {"id": "1", "text": "t1", "@type": "MyNote"}),
        ("3", None),
    ]


def test_patch_formats_may_be_given_as_media_type_texts(service, created):
    result = service.patch(
        created["id"], {"status": "held"}, patch_format="application/merge-patch+json"
    )
    assert result["status"] == "held"
    result = service.patch(
        created["id"],
        [{"op": "delete", "path": "/note?id=1"}],
        patch_format="application/json-patch-query+json",
    )
    assert note_ids(result) == ["2", "3"]
    with pytest.raises(ValueError, match="bogus"):
        service.patch(created["id"], [], patch_format="bogus")


def test_http_a_surrogate_in_a_path_is_a_400(http):
    created = http.post("partyInteraction", json=RICH).json()
    response = http.patch(
        f"partyInteraction/{created['id']}",
        content=b'[{"op": "remove", "path": "/\\ud800"}]',
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalidBody"


# --- the oracle ----------------------------------------------------------------


@st.composite
def operations_on(draw, document, other):
    names = sorted((set(document) | set(other)) - {"id", "href"})
    result = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]))
        name = draw(st.sampled_from(names))
        path = f"/{name}"
        current = document.get(name)
        if isinstance(current, list) and current and draw(st.booleans()):
            path += f"/{draw(st.integers(0, len(current) - 1))}"
        operation = {"op": op, "path": path}
        if op in ("add", "replace", "test"):
            held = [d[name] for d in (document, other) if name in d]
            operation["value"] = draw(st.sampled_from(held))
        if op in ("move", "copy"):
            operation["from"] = "/" + draw(st.sampled_from(names))
        result.append(operation)
    return result


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data(), party_interactions(), party_interactions())
def test_json_patch_equals_jsonpatch_on_the_retrieved_document(data, body, other_body):
    with PartyInteractionService(MemoryStore()) as service:
        document = service.retrieve(service.create(body)["id"])
        other = service.retrieve(service.create(other_body)["id"])
        operations = data.draw(operations_on(document, other))
        try:
            expected = jsonpatch.apply_patch(document, operations)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            assume(False)
        try:
            result = service.patch(document["id"], operations, patch_format=JSON_PATCH)
        except ValidationError:
            changed = any(
                expected.get(name) != document.get(name)
                for name in ("id", "href", "direction")
            )
            removed = "creationDate" not in expected
            if not (changed or removed):
                with pytest.raises(ValidationError):
                    service.create(
                        {k: v for k, v in expected.items() if k not in ("id", "href")}
                    )
            assert service.retrieve(document["id"]) == document
            event("refused")
            return
        event("applied")
        if result.get("status") != document.get("status") and not any(
            o["path"] == "/statusChangeDate" for o in operations
        ):
            result.pop("statusChangeDate", None)
            expected.pop("statusChangeDate", None)
        assert result == expected
