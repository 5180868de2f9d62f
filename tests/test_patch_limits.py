"""The work one JSON Patch may do is bounded; legitimate big patches still pass.

Found by an adversarial pass: a JSON Patch Query of 100 ``test`` operations over an
interaction of 5,000 notes took 27 s of CPU, and 100 copies of a 200 KB value onto
itself were refused as "larger than 16 MiB" though the document never grew. The
limits are counted (steps, bytes written), so these tests assert on counts, not on
time.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.conftest import MINIMAL, V5_BODY
from tests.test_v5 import services
from tmf683 import (
    PartyInteractionService,
    PatchConflictError,
    PatchFormat,
    QueryTimeoutError,
    SQLiteStore,
    ValidationError,
    apply_patch,
)
from tmf683._schema import PARTY_INTERACTION_SCHEMA
from tmf683._validation import MAX_DOCUMENT_BYTES, json_size
from tmf683.patch.budget import MAX_PATCH_STEPS, MAX_WRITTEN_BYTES, PatchBudget

QUERY = PatchFormat.JSON_PATCH_QUERY
JSON_PATCH = PatchFormat.JSON_PATCH


def notes(count: int, **extra: str) -> list[dict[str, str]]:
    return [{"id": str(n), "text": "t", **extra} for n in range(count)]


def test_test_over_every_element_of_a_big_array_is_refused_at_the_budget(service):
    # the adversarial patch: each operation examines 5,000 notes and applies
    # 5,000 tests, 10,000 steps, so the eleventh operation goes past 100,000
    created = service.create({**MINIMAL, "note": notes(5000)})
    patch = [{"op": "test", "path": "/note?id.ne=zz/text", "value": "t"}] * 100
    with pytest.raises(ValidationError, match=f"past {MAX_PATCH_STEPS} steps") as exc:
        service.patch(created["id"], patch, patch_format=QUERY)
    assert exc.value.problems[0][0] == f"$[{MAX_PATCH_STEPS // 10_000}].path"
    after = service.retrieve(created["id"])
    assert after == created
    assert after.version == created.version


def test_one_query_over_20000_elements_passes(service):
    created = service.create({**MINIMAL, "note": notes(20_000)})
    patch = [{"op": "replace", "path": "/note?text.regex=^t/text", "value": "u"}]
    result = service.patch(created["id"], patch, patch_format=QUERY)
    assert {note["text"] for note in result["note"]} == {"u"}
    assert len(result["note"]) == 20_000
    # five ids are one look-up per element, not five (found by the second round)
    patch = [{"op": "replace", "path": "/note?id=1,2,3,4,5/text", "value": "v"}]
    result = service.patch(created["id"], patch, patch_format=QUERY)
    assert [note["text"] for note in result["note"]].count("v") == 5


def test_steps_count_elements_times_conditions_plus_operations_applied():
    """An equality is one step per element whatever its values (a look-up); the
    other operators one per value compared."""
    document = {**MINIMAL, "note": notes(3)}
    budget = PatchBudget()
    patch = [
        {"op": "replace", "path": "/note?id=1/text", "value": "x"},  # 3 + 1
        {"op": "test", "path": "/note?id=0,2/text", "value": "t"},  # 3 + 2
        {
            "op": "test",
            "path": "/note?id.gt=1;text.regex=t/text",
            "value": "t",
        },  # 3*2 + 2
        {"op": "replace", "path": "/reason", "value": "r"},  # 1
    ]
    apply_patch(document, patch, QUERY, schema=PARTY_INTERACTION_SCHEMA, budget=budget)
    assert budget.steps - budget.steps_left == 4 + 5 + 8 + 1
    written = budget.written - budget.written_left
    assert written == len('"x"') + len('"r"')


def test_a_patch_one_step_past_a_small_budget_is_refused():
    document = {**MINIMAL, "note": notes(3)}
    patch = [{"op": "replace", "path": "/note?id.ne=z/text", "value": "x"}]
    exact = PatchBudget(steps=6)
    apply_patch(document, patch, QUERY, schema=PARTY_INTERACTION_SCHEMA, budget=exact)
    assert exact.steps_left == 0
    with pytest.raises(ValidationError, match="past 5 steps"):
        apply_patch(
            document,
            patch,
            QUERY,
            schema=PARTY_INTERACTION_SCHEMA,
            budget=PatchBudget(steps=5),
        )


def test_copying_a_value_onto_itself_is_not_growth(service):
    big = "y" * 200_000
    created = service.create({**MINIMAL, "description": big})
    patch = [{"op": "replace", "path": "/reason", "value": "r"}] + [
        {"op": "copy", "from": "/description", "path": "/description"}
    ] * 100
    result = service.patch(created["id"], patch, patch_format=JSON_PATCH)
    assert result["description"] == big
    assert result.version == created.version + 1


def test_a_document_may_pass_16_mib_on_the_way_if_the_result_is_smaller(service):
    chunk = "z" * (1024 * 1024)
    created = service.create({**MINIMAL, "@type": "Big", "ext": {}})
    count = MAX_DOCUMENT_BYTES // len(chunk) + 1
    grow = [{"op": "add", "path": f"/ext/k{n}", "value": chunk} for n in range(count)]
    shrink = [{"op": "remove", "path": f"/ext/k{n}"} for n in range(count)]
    result = service.patch(created["id"], grow + shrink, patch_format=JSON_PATCH)
    assert result["ext"] == {}
    with pytest.raises(ValidationError, match="larger than 16777216") as exc:
        service.patch(created["id"], grow, patch_format=JSON_PATCH)
    assert exc.value.problems[0][0] == "$"
    assert service.retrieve(created["id"]) == result


def test_a_copy_bomb_is_refused_before_it_writes_past_the_written_budget():
    document: dict[str, Any] = {**MINIMAL, "@type": "Big", "ext": {"a": "x" * 1000}}
    doubling = [{"op": "copy", "from": "/ext", "path": f"/ext/k{n}"} for n in range(40)]
    budget = PatchBudget(written=1_000_000)
    with pytest.raises(ValidationError, match="past 1000000 bytes") as exc:
        apply_patch(document, doubling, JSON_PATCH, budget=budget)
    # each copy doubles /ext (1,008 bytes of JSON, then about twice as many): the
    # tenth copy (index 9) would write about 512 KB more than the 1 MB allowed
    assert exc.value.problems[0][0] == "$[9]"
    assert document["ext"] == {"a": "x" * 1000}


def test_the_default_written_budget_is_four_documents():
    assert MAX_WRITTEN_BYTES == 4 * MAX_DOCUMENT_BYTES


def test_a_patch_past_the_stores_deadline_is_stopped_and_stores_nothing(tmp_path):
    store = SQLiteStore(tmp_path / "t.db", query_timeout=-1.0)  # already past
    try:
        service = PartyInteractionService(store)
        created = service.create({**MINIMAL, "note": notes(3)})
        patch = [{"op": "replace", "path": "/note?id=1/text", "value": "x"}]
        with pytest.raises(QueryTimeoutError, match="the patch ran past") as exc:
            service.patch(created["id"], patch, patch_format=QUERY)
        assert exc.value.patch
        assert service.retrieve(created["id"]) == created
    finally:
        store.close()


def test_v5_patches_have_the_same_budget():
    _, v5 = services()
    note = {"@type": "Note", "text": "t"}
    created = v5.create(
        {**V5_BODY, "note": [{**note, "id": str(n)} for n in range(5000)]}
    )
    patch = [{"op": "test", "path": "/note?id.ne=zz/text", "value": "t"}] * 100
    with pytest.raises(ValidationError, match=f"past {MAX_PATCH_STEPS} steps"):
        v5.patch(created["id"], patch, patch_format=QUERY)
    assert v5.retrieve(created["id"]) == created
    big = "y" * 200_000
    grown = v5.patch(
        created["id"],
        [{"op": "add", "path": "/description", "value": big}]
        + [{"op": "copy", "from": "/description", "path": "/description"}] * 100,
        patch_format=JSON_PATCH,
    )
    assert grown["description"] == big


def test_http_the_adversarial_patch_is_a_400_and_stores_nothing(
    http: httpx.Client,
) -> None:
    created = http.post("partyInteraction", json={**MINIMAL, "note": notes(5000)})
    assert created.status_code == 201, created.text
    id, etag = created.json()["id"], created.headers["ETag"]
    patch = [{"op": "test", "path": "/note?id.ne=zz/text", "value": "t"}] * 100
    response = http.patch(
        f"partyInteraction/{id}",
        json=patch,
        headers={"Content-Type": "application/json-patch-query+json"},
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalidBody"
    assert f"past {MAX_PATCH_STEPS} steps" in body["message"]
    assert http.get(f"partyInteraction/{id}").headers["ETag"] == etag


def test_a_query_move_from_nothing_is_a_conflict_and_leaves_its_input_alone():
    # the query move removes 'from' from a copy before it selects 'path'; that copy
    # is made only of the containers on the way (not the whole document), and a
    # 'from' leading nowhere is a conflict (it was an uncaught library error)
    document: dict[str, Any] = {**MINIMAL, "note": notes(2)}
    before = copy.deepcopy(document)
    patch = [{"op": "move", "from": "/note?id=0/nothing", "path": "/note?id=1/x"}]
    with pytest.raises(PatchConflictError, match=r"cannot move '/note/0/nothing'"):
        apply_patch(document, patch, QUERY, schema=PARTY_INTERACTION_SCHEMA)
    moved = apply_patch(
        document,
        [{"op": "move", "from": "/note?id=0/text", "path": "/note?id=1/x"}],
        QUERY,
        schema=PARTY_INTERACTION_SCHEMA,
    )
    assert moved.document["note"] == [{"id": "0"}, {"id": "1", "text": "t", "x": "t"}]
    assert document == before


def test_v5_one_query_over_20000_elements_passes_and_keeps_the_rest():
    # v5 pairs each patched element with the stored one it came from (to keep what
    # only v4 holds); done by a hash of the view, not a scan per element
    _, v5 = services()
    count = 20_000
    stored = [{"@type": "Note", "id": str(n), "text": "t"} for n in range(count)]
    created = v5.create({**V5_BODY, "note": stored})
    patch = [{"op": "replace", "path": "/note?id.ne=0/text", "value": "u"}]
    result = v5.patch(created["id"], patch, patch_format=QUERY)
    assert [note["text"] for note in result["note"][:2]] == ["t", "u"]
    assert [note["id"] for note in result["note"]] == [str(n) for n in range(count)]
    assert v5.retrieve(created["id"]) == result


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_merge_patches_cannot_grow_a_document_past_16_mib(version):
    """Found by the second adversarial round: each merge patch added 900 KB of
    extension attributes, under the body limit, and the document grew without
    bound (22 MB after 25 patches). What is stored is checked, in every format."""
    v4, v5 = services()
    service = v4 if version == "v4" else v5
    body = {**MINIMAL, "@type": "Big", "@schemaLocation": "https://x.example/b.json"}
    if version == "v5":
        body = {**V5_BODY, "@type": "Big", "@schemaLocation": "https://x.example/b"}
    created = service.create(body)
    chunk = "a" * 900_000
    refused: ValidationError | None = None
    count = 0
    while refused is None and count < 40:
        try:
            service.patch(created["id"], {f"x{count}": chunk})
            count += 1
        except ValidationError as exc:
            refused = exc
    assert refused is not None
    assert "larger than 16777216" in str(refused)
    assert refused.problems[0][0] == "$"
    assert 16 <= count <= 19
    kept = v4.retrieve(created["id"])
    assert kept.version == created.version + count
    assert f"x{count}" not in kept


def test_a_v5_json_patch_is_measured_on_what_is_stored_not_on_the_v5_view():
    """Found by the second adversarial round: the v5 view (``@type`` on every
    element, ``partyOrPartyRole`` wrappers) is larger than the stored document, and
    a v5 JSON Patch of ``status`` was refused on a document v4 and v5 merge patches
    could still change."""
    v4, v5 = services()
    created = v4.create({**MINIMAL, "description": "x" * 900_000})
    v4.patch(
        created["id"],
        [{"op": "add", "path": "/note", "value": []}]
        + [{"op": "add", "path": "/note/-", "value": {"text": ""}}] * 16
        + [
            {"op": "copy", "from": "/description", "path": f"/note/{k}/text"}
            for k in range(16)
        ],
        patch_format=JSON_PATCH,
    )
    parties = [{"id": "p", "@referredType": "I"}] * 25_000
    v4.patch(created["id"], {"relatedParty": parties})
    assert json_size(v5.retrieve(created["id"])) > MAX_DOCUMENT_BYTES
    assert json_size(dict(v4.retrieve(created["id"]))) <= MAX_DOCUMENT_BYTES
    patched = v5.patch(
        created["id"],
        [{"op": "add", "path": "/status", "value": "c"}],
        patch_format=JSON_PATCH,
    )
    assert patched["status"] == "c"
