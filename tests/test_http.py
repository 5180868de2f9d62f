"""Every operation and error through real HTTP on a real tmf683-server (SQLite)."""

import uuid
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import MINIMAL

JSON = {"Content-Type": "application/json;charset=utf-8"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def unique_reason():
    return f"Réclamation – facture ü {uuid.uuid4()}"


def create(http, **values):
    response = http.post("partyInteraction", json={**MINIMAL, **values}, headers=JSON)
    assert response.status_code == 201, response.text
    return response.json()


def assert_error(response, status, code, mentions):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == str(status)
    assert body["code"] == code
    assert isinstance(body["reason"], str)
    assert body["reason"]
    assert mentions in body["message"]


def test_create_returns_201_location_and_the_stored_document(http, server):
    reason = unique_reason()
    response = http.post(
        "partyInteraction",
        content=(
            '{"channel":[{"id":"555"}],"direction":"inbounds","reason":"'
            + reason
            + '","interactionDate":{"startDateTime":"2024-05-01T10:00:00+02:00"}}'
        ).encode(),
        headers=JSON,
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == body["href"]
    assert body["href"] == f"{server.base}partyInteraction/{body['id']}"
    assert body["reason"] == reason
    assert body["interactionDate"] == {"startDateTime": "2024-05-01T08:00:00.000000Z"}
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert http.get(f"partyInteraction/{body['id']}").json() == body


def test_ctk_minimal_body_with_plain_json_content_type(http):
    response = http.post(
        "partyInteraction", json=MINIMAL, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201
    assert {"channel", "direction", "href", "id", "reason"} <= set(response.json())


def test_list_filters_headers_and_paging(http):
    reason = unique_reason()
    first = create(http, reason=reason, direction="inbound")
    second = create(http, reason=reason, direction="outbound")
    third = create(http, reason=reason, direction="inbound")
    create(http, reason=unique_reason(), direction="inbound")
    encoded = quote(reason)
    response = http.get(f"partyInteraction?reason={encoded}&direction=inbound")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == [first["id"], third["id"]]
    assert response.headers["x-total-count"] == "2"
    assert response.headers["x-result-count"] == "2"
    page = http.get(f"partyInteraction?reason={encoded}&offset=1&limit=1")
    assert [d["id"] for d in page.json()] == [second["id"]]
    assert (page.headers["x-total-count"], page.headers["x-result-count"]) == ("3", "1")
    count_only = http.get(f"partyInteraction?reason={encoded}&limit=0")
    assert count_only.json() == []
    assert count_only.headers["x-total-count"] == "3"


def test_filters_on_id_href_and_or_forms(http):
    reason = unique_reason()
    a = create(http, reason=reason, status="open")
    b = create(http, reason=reason, status="held")
    create(http, reason=reason, status="done")
    by_id = http.get("partyInteraction", params={"id": a["id"]}).json()
    assert [d["id"] for d in by_id] == [a["id"]]
    by_href = http.get(f"partyInteraction?href={quote(b['href'], safe='')}").json()
    assert [d["id"] for d in by_href] == [b["id"]]
    raw_href = http.get(f"partyInteraction?href={b['href']}").json()
    assert [d["id"] for d in raw_href] == [b["id"]]
    comma = http.get(f"partyInteraction?reason={quote(reason)}&status=open,held").json()
    repeated = http.get(
        f"partyInteraction?reason={quote(reason)}&status=open&status=held"
    ).json()
    assert [d["id"] for d in comma] == [d["id"] for d in repeated] == [a["id"], b["id"]]


def test_fields_on_list_retrieve_create_and_patch(http):
    reason = unique_reason()
    created = create(http, reason=reason, status="open")
    listed = http.get(
        f"partyInteraction?reason={quote(reason)}&fields=direction"
    ).json()
    assert listed == [
        {"id": created["id"], "href": created["href"], "direction": "inbounds"}
    ]
    none = http.get(f"partyInteraction?reason={quote(reason)}&fields=none").json()
    assert none == [{"id": created["id"], "href": created["href"]}]
    one = http.get(f"partyInteraction/{created['id']}?fields=status,reason").json()
    assert set(one) == {"id", "href", "status", "reason"}
    posted = http.post("partyInteraction?fields=none", json=MINIMAL, headers=JSON)
    assert set(posted.json()) == {"id", "href"}
    patched = http.patch(
        f"partyInteraction/{created['id']}?fields=status",
        json={"status": "done"},
        headers=MERGE,
    )
    assert patched.json() == {
        "id": created["id"],
        "href": created["href"],
        "status": "done",
    }


def test_patch_merge_and_plain_json(http):
    created = create(http, reason=unique_reason(), description="old", status="open")
    response = http.patch(
        f"partyInteraction/{created['id']}",
        json={"description": None, "status": "completed", "note": [{"text": "ok"}]},
        headers=MERGE,
    )
    assert response.status_code == 200
    body = response.json()
    assert "description" not in body
    assert body["status"] == "completed"
    assert body["statusChangeDate"] != created["statusChangeDate"]
    assert body["note"] == [{"text": "ok"}]
    plain = http.patch(
        f"partyInteraction/{created['id']}",
        json={"description": "again"},
        headers={"Content-Type": "application/json"},
    )
    assert plain.status_code == 200
    assert (
        http.get(f"partyInteraction/{created['id']}").json()["description"] == "again"
    )


@pytest.mark.parametrize(
    ("patch", "mentions"),
    [
        ({"direction": "outbound"}, "$.direction"),
        ({"id": "other"}, "$.id"),
        ({"channel": []}, "$.channel"),
        ({"relatedParty": [{"id": "P1"}]}, "$.relatedParty[0].@referredType"),
        (
            [{"op": "replace", "path": "/status", "value": "x"}],
            "$ must be a JSON object",
        ),
    ],
)
def test_bad_patch_is_400_and_stores_nothing(http, patch, mentions):
    created = create(http, reason=unique_reason())
    response = http.patch(
        f"partyInteraction/{created['id']}", json=patch, headers=MERGE
    )
    assert_error(response, 400, "invalidBody", mentions)
    assert http.get(f"partyInteraction/{created['id']}").json() == created


def test_delete_then_gone(http):
    created = create(http, reason=unique_reason())
    response = http.delete(f"partyInteraction/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(
        http.get(f"partyInteraction/{created['id']}"), 404, "notFound", created["id"]
    )
    assert http.get("partyInteraction", params={"id": created["id"]}).json() == []


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b'{"direction":"in","reason":"r"}', "$.channel is required"),
        (
            b'{"channel":[{"name":"x"}],"direction":"in","reason":"r"}',
            "$.channel[0].id is required",
        ),
        (
            b'{"channel":[{"id":555}],"direction":"in","reason":"r"}',
            "$.channel[0].id must be a string",
        ),
        (
            b'{"id":"1","channel":[{"id":"1"}],"direction":"in","reason":"r"}',
            "$.id is set by the server",
        ),
        (
            b'{"href":"x","channel":[{"id":"1"}],"direction":"in","reason":"r"}',
            "$.href is set by the server",
        ),
        (
            b'{"channel":[{"id":"1"}],"direction":"in","reason":"r","creationDate":"soon"}',
            "$.creationDate must be a date-time",
        ),
        (
            b'{"channel":[{"id":"1"}],"direction":"in","reason":"r","mood":"happy"}',
            "$.mood is not a TMF683 attribute",
        ),
        (b"[1,2]", "$ must be a JSON object"),
        (b'"text"', "$ must be a JSON object"),
        (b"{not json", "is not valid JSON"),
        (b"", "$ is missing"),
        (
            b'{"channel":[{"id":"1"}],"direction":"in","reason":"\xff"}',
            "not valid UTF-8",
        ),
    ],
)
def test_bad_create_is_400_with_the_path(http, body, mentions):
    before = http.get("partyInteraction?limit=0").headers["x-total-count"]
    response = http.post("partyInteraction", content=body, headers=JSON)
    assert_error(response, 400, "invalidBody", mentions)
    assert http.get("partyInteraction?limit=0").headers["x-total-count"] == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json-patch+json",
        "application/json;charset=iso-8859-1",
        None,
    ],
)
def test_unsupported_content_type_on_post_is_415(http, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post("partyInteraction", content=b'{"a":1}', headers=headers)
    assert_error(response, 415, "unsupportedMediaType", "application/json")


def test_json_patch_is_taken_and_other_patch_types_are_415(http):
    created = create(http, reason=unique_reason())
    empty = http.patch(
        f"partyInteraction/{created['id']}",
        content=b"[]",
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert empty.status_code == 200
    assert empty.json() == created
    response = http.patch(
        f"partyInteraction/{created['id']}",
        content=b"[]",
        headers={"Content-Type": "application/xml-patch+xml"},
    )
    assert_error(response, 415, "unsupportedMediaType", "merge-patch")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "partyInteraction/nope", 404, "notFound"),
        ("PATCH", "partyInteraction/nope", 404, "notFound"),
        ("DELETE", "partyInteraction/nope", 404, "notFound"),
        ("GET", "somethingElse", 404, "notFound"),
        ("PUT", "partyInteraction", 405, "methodNotAllowed"),
        ("POST", "partyInteraction/abc", 405, "methodNotAllowed"),
    ],
)
def test_unknown_ids_paths_and_methods(http, method, path, status, code):
    kwargs = {"json": {"status": "x"}, "headers": MERGE} if method == "PATCH" else {}
    response = http.request(method, path, **kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["status"] == str(status)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=-1", "limit"),
        ("offset=x", "offset"),
        ("relatedParty.nope.id=1", "relatedParty.nope.id"),
        ("creationDate=notadate", "creationDate"),
        ("=x", "(empty)"),
    ],
)
def test_bad_list_query_is_400_naming_the_parameter(http, query, parameter):
    assert_error(
        http.get(f"partyInteraction?{query}"), 400, "invalidQuery", f"'{parameter}'"
    )


def test_list_parameters_on_a_single_resource_are_400(http):
    created = create(http, reason=unique_reason())
    response = http.get(f"partyInteraction/{created['id']}?status=open")
    assert_error(response, 400, "invalidQuery", "'status'")


def test_get_with_a_body_and_content_type_is_still_a_get(http):
    created = create(http, reason=unique_reason())
    response = http.request(
        "GET", f"partyInteraction/{created['id']}", content=b'{"x":1}', headers=JSON
    )
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


def test_trailing_slash_is_the_same_resource(http):
    created = create(http, reason=unique_reason())
    assert http.get(f"partyInteraction/{created['id']}/").json() == created


def test_non_ascii_round_trips_byte_exact(http):
    reason = "顧客は請求書について電話しました – Ünïcödé 🚀"
    created = create(http, reason=reason)
    raw = http.get(f"partyInteraction/{created['id']}").content
    assert reason.encode() in raw


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\x01",
        b"{" * 5000 + b"}" * 5000,
        b'{"channel":' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"reason": 1e999}',
        b'{"a": NaN}',
        b"9" * 100,
    ],
)
def test_garbage_never_causes_500(http, garbage):
    response = http.post("partyInteraction", content=garbage, headers=JSON)
    assert response.status_code == 400
    assert response.json()["status"] == "400"


@pytest.mark.parametrize("depth", [60, 200, 1000])
def test_deep_extension_nesting_is_400_or_stored_never_500(http, depth):
    value = "[" * depth + "]" * depth
    body = (
        '{"@type":"Deep","channel":[{"id":"1"}],"direction":"in","reason":"deep",'
        f'"ext":{value}}}'
    )
    response = http.post("partyInteraction", content=body.encode(), headers=JSON)
    if depth < 64:
        assert response.status_code == 201
        assert http.get(f"partyInteraction/{response.json()['id']}").status_code == 200
    else:
        assert_error(response, 400, "invalidBody", "deeper than 64 levels")


def test_query_garbage_never_causes_500(http):
    for query in [
        "%",
        "%zz=1",
        "a=%",
        "&&&",
        "fields=%00",
        "limit=99999999999999999999",
        "sort=-",
        "a=b=c",
        "x" * 20000,
    ]:
        response = http.get(f"partyInteraction?{query}")
        assert response.status_code in (200, 400), (query, response.text)


def test_http_client_keeps_the_connection(server):
    with httpx.Client(base_url=server.base, timeout=10) as client:
        for _ in range(3):
            assert client.get("partyInteraction?limit=1").status_code == 200


def test_body_over_the_limit_is_413_with_a_tmf_body(http):
    from tmf683_falcon import MAX_BODY_BYTES

    body = b'{"reason":"' + b"x" * MAX_BODY_BYTES + b'"}'
    response = http.post("partyInteraction", content=body, headers=JSON)
    assert_error(response, 413, "payloadTooLarge", str(MAX_BODY_BYTES))


@pytest.mark.parametrize("query", ["limit=-1", "status=x", "offset=0", "a"])
def test_delete_with_list_parameters_is_400_and_deletes_nothing(http, query):
    created = create(http, reason=unique_reason())
    response = http.delete(f"partyInteraction/{created['id']}?{query}")
    assert_error(response, 400, "invalidQuery", "only fields")
    assert http.get(f"partyInteraction/{created['id']}").status_code == 200


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b'{"@type":"X","n":9223372036854775808}', "$.n is an integer outside"),
        (b'{"@type":"X","f":1e400}', "$.f must be a finite number"),
        (b'{"reason":"\\ud800"}', "$.reason must not contain an unpaired surrogate"),
        (b'{"reason":"a\\u0000"}', "$.reason must not contain the NUL"),
        (b'{"creationDate":"9999-12-31T23:59:59-01:00"}', "$.creationDate must be"),
        (b'{"note":[{"date":"0001-01-01T00:00:00+01:00"}]}', "$.note[0].date must be"),
        (b'{"reason":"r"}\xef\xbb\xbf', "not valid JSON"),
    ],
)
def test_values_that_cannot_round_trip_are_400(http, body, mentions):
    document = b'{"channel":[{"id":"1"}],"direction":"in",' + body[1:]
    if b'"reason"' not in body:
        document = document[:-1] + b',"reason":"r"}'
    response = http.post("partyInteraction", content=document, headers=JSON)
    assert_error(response, 400, "invalidBody", mentions)


def test_big_integers_read_back_exactly(http):
    body = (
        b'{"@type":"Ext","channel":[{"id":"1"}],"direction":"in","reason":"r",'
        b'"big":9223372036854775807,"small":-9223372036854775808,"tiny":1e-7}'
    )
    created = http.post("partyInteraction", content=body, headers=JSON).json()
    read = http.get(f"partyInteraction/{created['id']}").json()
    assert (read["big"], read["small"], read["tiny"]) == (2**63 - 1, -(2**63), 1e-7)


def test_head_answers_like_get_without_a_body(http):
    created = create(http, reason=unique_reason())
    one = http.head(f"partyInteraction/{created['id']}")
    assert one.status_code == 200
    assert one.content == b""
    listed = http.head(f"partyInteraction?id={created['id']}")
    assert (listed.status_code, listed.headers["x-total-count"]) == (200, "1")


@pytest.mark.parametrize(
    "query",
    [
        "status%00=x",
        "sort=a%00",
        "offset=9223372036854775808",
        "limit=" + "1" * 5000,
        "&".join(f"a{i}=x" for i in range(999)),
        "sort=" + ",".join(["a"] * 2000),
        "creationDate=0001-01-01T00:00:00%2B01:00",
    ],
)
def test_query_limits_are_400_on_a_non_empty_collection(http, query):
    create(http, reason=unique_reason())
    response = http.get(f"partyInteraction?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalidQuery"
