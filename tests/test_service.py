import pytest

from tests.conftest import MINIMAL
from tmf683 import (
    InvalidQueryError,
    MemoryStore,
    NotFoundError,
    PartyInteraction,
    PartyInteractionService,
    RelatedChannel,
    ValidationError,
)

ROOT = "https://api.example.com/tmf-api/partyInteraction/v4"


def test_create_assigns_id_href_and_creation_date(service):
    created = service.create(dict(MINIMAL))
    assert created["id"] == "PI-0001"
    assert created["href"] == f"{ROOT}/partyInteraction/PI-0001"
    assert list(created)[:2] == ["id", "href"]
    assert created["creationDate"] == "2024-05-01T10:00:01.000000Z"
    assert "statusChangeDate" not in created
    assert service.retrieve("PI-0001") == created


def test_create_keeps_given_creation_date_and_sets_status_change_date(service):
    created = service.create(
        {**MINIMAL, "status": "open", "creationDate": "2020-01-01T01:00:00+01:00"}
    )
    assert created["creationDate"] == "2020-01-01T00:00:00.000000Z"
    assert created["statusChangeDate"] == "2024-05-01T10:00:01.000000Z"


def test_create_accepts_a_model_object(service):
    created = service.create(
        PartyInteraction(channel=[RelatedChannel(id="9")], direction="out", reason="r")
    )
    assert created["channel"] == [{"id": "9"}]


@pytest.mark.parametrize("attribute", ["id", "href"])
def test_create_refuses_server_attributes(service, attribute):
    with pytest.raises(ValidationError) as caught:
        service.create({**MINIMAL, attribute: "x"})
    assert caught.value.problems == (
        (f"$.{attribute}", "is set by the server; leave it out"),
    )
    assert service.list().total_count == 0


def test_invalid_create_stores_nothing(service):
    with pytest.raises(ValidationError):
        service.create({"channel": [{"id": "1"}], "direction": "in"})
    assert service.list().total_count == 0


def test_retrieve_projects_fields_and_unknown_id_is_not_found(service):
    created = service.create({**MINIMAL, "status": "open"})
    assert service.retrieve(created["id"], fields=[("status",)]) == {
        "id": created["id"],
        "href": created["href"],
        "status": "open",
    }
    with pytest.raises(NotFoundError) as caught:
        service.retrieve("missing")
    assert caught.value.id == "missing"


def test_href_follows_the_base_url_given_per_call(service):
    created = service.create(dict(MINIMAL), base_url="http://other:1/api/")
    assert created["href"] == f"http://other:1/api/partyInteraction/{created['id']}"
    assert service.retrieve(created["id"])["href"].startswith(ROOT)


def test_list_filters_projects_and_counts(service):
    a = service.create({**MINIMAL, "direction": "inbound", "status": "open"})
    service.create({**MINIMAL, "direction": "outbound", "status": "open"})
    c = service.create({**MINIMAL, "direction": "inbound", "status": "done"})
    page = service.list("direction=inbound&fields=status")
    assert page.total_count == 2
    assert page.items == [
        {"id": a["id"], "href": a["href"], "status": "open"},
        {"id": c["id"], "href": c["href"], "status": "done"},
    ]


def test_list_filters_on_href_as_returned(service):
    a = service.create(dict(MINIMAL))
    service.create(dict(MINIMAL))
    assert [d["id"] for d in service.list(f"href={a['href']}").items] == [a["id"]]
    assert (
        service.list("href=https://elsewhere/partyInteraction/PI-0001").total_count == 0
    )
    assert service.list(f"href={ROOT}/partyInteraction/").total_count == 0


def test_list_lowers_limit_to_the_maximum_page_size(store):
    service = PartyInteractionService(store, max_page_size=2)
    for _ in range(3):
        service.create(dict(MINIMAL))
    assert len(service.list("limit=50").items) == 2
    assert len(service.list().items) == 2
    assert service.list().total_count == 3


def test_list_rejects_a_bad_query(service):
    with pytest.raises(InvalidQueryError):
        service.list("offset=-3")


def test_merge_patch_changes_removes_and_replaces(service):
    created = service.create(
        {**MINIMAL, "description": "d", "note": [{"text": "a"}, {"text": "b"}]}
    )
    patched = service.patch(
        created["id"],
        {
            "description": None,
            "note": [{"text": "c"}],
            "interactionDate": {"startDateTime": "2024-01-01T00:00:00+01:00"},
        },
    )
    assert "description" not in patched
    assert patched["note"] == [{"text": "c"}]
    assert patched["interactionDate"] == {
        "startDateTime": "2023-12-31T23:00:00.000000Z"
    }
    assert service.retrieve(created["id"]) == patched


def test_status_change_sets_status_change_date_unless_given(service):
    created = service.create({**MINIMAL, "status": "open"})
    same = service.patch(created["id"], {"status": "open", "description": "x"})
    assert same["statusChangeDate"] == created["statusChangeDate"]
    changed = service.patch(created["id"], {"status": "completed"})
    assert changed["statusChangeDate"] > created["statusChangeDate"]
    given = service.patch(
        created["id"], {"status": "closed", "statusChangeDate": "2020-01-01T00:00:00Z"}
    )
    assert given["statusChangeDate"] == "2020-01-01T00:00:00.000000Z"


@pytest.mark.parametrize("attribute", ["id", "href", "direction"])
def test_patch_may_repeat_but_not_change_immutable_attributes(service, attribute):
    created = service.create(dict(MINIMAL))
    service.patch(created["id"], {attribute: created[attribute], "status": "x"})
    with pytest.raises(ValidationError) as caught:
        service.patch(created["id"], {attribute: "other", "status": "y"})
    assert caught.value.problems[0][0] == f"$.{attribute}"
    assert service.retrieve(created["id"])["status"] == "x"


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"channel": []}, "$.channel"),
        ({"reason": None}, "$.reason"),
        ({"status": 7}, "$.status"),
        ({"priority": "high"}, "$.priority"),
        ({"relatedParty": [{"id": "P"}]}, "$.relatedParty[0].@referredType"),
    ],
)
def test_invalid_patch_result_stores_nothing(service, patch, path):
    created = service.create(dict(MINIMAL))
    with pytest.raises(ValidationError) as caught:
        service.patch(created["id"], patch)
    assert caught.value.problems[0][0] == path
    assert service.retrieve(created["id"]) == created


@pytest.mark.parametrize("patch", [[], "x", None, 3])
def test_patch_must_be_an_object(service, patch):
    created = service.create(dict(MINIMAL))
    with pytest.raises(ValidationError):
        service.patch(created["id"], patch)


def test_patch_and_delete_of_unknown_id(service):
    with pytest.raises(NotFoundError):
        service.patch("missing", {"status": "x"})
    with pytest.raises(NotFoundError):
        service.delete("missing")


def test_delete_removes(service):
    created = service.create(dict(MINIMAL))
    service.delete(created["id"])
    with pytest.raises(NotFoundError):
        service.retrieve(created["id"])
    assert service.list().total_count == 0


def test_extension_attributes_survive_create_patch_and_list(service):
    created = service.create({**MINIMAL, "@type": "CallInteraction", "queue": "gold"})
    assert created["queue"] == "gold"
    patched = service.patch(created["id"], {"queue": "silver"})
    assert patched["queue"] == "silver"
    assert service.list("queue=silver").total_count == 1


def test_date_time_sort_is_chronological(service):
    for start in ["10:00:00Z", "10:00:00.5Z", "10:00:00.500001Z", "09:59:59.9Z"]:
        service.create({**MINIMAL, "creationDate": f"2024-05-01T{start}"})
    dates = [d["creationDate"] for d in service.list("sort=creationDate").items]
    assert dates == [
        "2024-05-01T09:59:59.900000Z",
        "2024-05-01T10:00:00.000000Z",
        "2024-05-01T10:00:00.500000Z",
        "2024-05-01T10:00:00.500001Z",
    ]
    assert service.list("creationDate=2024-05-01T12:00:00.5%2B02:00").total_count == 1


def test_sort_on_href_orders_as_id(service):
    for _ in range(3):
        service.create(dict(MINIMAL))
    ascending = [d["id"] for d in service.list("sort=href").items]
    assert ascending == sorted(ascending)
    assert [d["id"] for d in service.list("sort=-href").items] == ascending[::-1]


def test_creation_date_cannot_be_removed(service):
    created = service.create(dict(MINIMAL))
    with pytest.raises(ValidationError) as caught:
        service.patch(created["id"], {"creationDate": None})
    assert caught.value.problems[0][0] == "$.creationDate"
    changed = service.patch(created["id"], {"creationDate": "2020-01-01T00:00:00Z"})
    assert changed["creationDate"] == "2020-01-01T00:00:00.000000Z"


def test_create_many_validates_everything_first(service):
    with pytest.raises(ValidationError) as caught:
        service.create_many(
            [dict(MINIMAL), {"direction": "in"}, {**MINIMAL, "id": "x"}]
        )
    paths = [path for path, _ in caught.value.problems]
    assert "$[1].channel" in paths
    assert "$[2].id" in paths
    assert service.list().total_count == 0
    created = service.create_many([dict(MINIMAL), {**MINIMAL, "status": "open"}])
    assert [d["id"] for d in created] == ["PI-0002", "PI-0003"]
    assert service.list().total_count == 2


def test_list_reports_the_page_for_links(service):
    for _ in range(5):
        service.create(dict(MINIMAL))
    page = service.list("offset=2&limit=2")
    assert (page.offset, page.limit, page.total_count) == (2, 2, 5)
    assert page.is_partial
    assert page.links() == {
        "first": (0, 2),
        "prev": (0, 2),
        "next": (4, 2),
        "last": (4, 2),
    }
    assert not service.list().is_partial


@pytest.mark.parametrize(
    ("offset", "limit", "total", "links"),
    [
        (0, 10, 25, {"first": (0, 10), "next": (10, 10), "last": (20, 10)}),
        (20, 10, 25, {"first": (0, 10), "prev": (10, 10), "last": (20, 10)}),
        (
            3,
            10,
            25,
            {"first": (0, 10), "prev": (0, 10), "next": (13, 10), "last": (23, 10)},
        ),
        (40, 10, 25, {"first": (0, 10), "prev": (20, 10), "last": (20, 10)}),
        (0, 10, 0, {"first": (0, 10), "last": (0, 10)}),
        (0, 0, 5, {}),
    ],
)
def test_page_links(offset, limit, total, links):
    from tmf683 import Page

    assert Page([], total, offset, limit).links() == links


def test_href_filters_only_compare_by_equality(service):
    with pytest.raises(InvalidQueryError, match="href"):
        service.list("href.gt=x")
    created = service.create(dict(MINIMAL))
    other = service.create(dict(MINIMAL))
    page = service.list(f"href.ne={created['href']}")
    assert [d["id"] for d in page.items] == [other["id"]]


@pytest.mark.parametrize(
    "fields",
    [
        "status",
        "status,reason",
        ["status", "reason"],
        ("status,reason",),
        [("status",), "reason"],
    ],
)
def test_fields_are_read_in_the_query_syntax_never_character_by_character(
    service, fields
):
    created = service.create({**MINIMAL, "status": "open"})
    selected = service.retrieve(created["id"], fields=fields)
    wanted = {"status"} | ({"reason"} if "reason" in str(fields) else set())
    assert set(selected) == {"id", "href"} | wanted


def test_fields_reach_nested_attributes_and_none_keeps_only_the_identity(service):
    created = service.create(
        {**MINIMAL, "relatedParty": [{"id": "P1", "@referredType": "Individual"}]}
    )
    assert service.retrieve(created["id"], fields="relatedParty.id") == {
        "id": created["id"],
        "href": created["href"],
        "relatedParty": [{"id": "P1"}],
    }
    assert list(service.retrieve(created["id"], fields="none")) == ["id", "href"]


def test_create_and_patch_return_the_selected_fields(service):
    created = service.create({**MINIMAL, "status": "open"}, fields="status")
    assert created == {"id": "PI-0001", "href": created["href"], "status": "open"}
    patched = service.patch("PI-0001", {"status": "done"}, fields=["reason"])
    assert patched == {
        "id": "PI-0001",
        "href": created["href"],
        "reason": MINIMAL["reason"],
    }
    assert service.retrieve("PI-0001")["status"] == "done"


def test_a_raw_query_string_selects_fields_and_refuses_other_parameters(service):
    created = service.create(dict(MINIMAL), query="fields=reason")
    assert list(created) == ["id", "href", "reason"]
    with pytest.raises(InvalidQueryError, match="only fields"):
        service.create(dict(MINIMAL), query="status=open")
    with pytest.raises(InvalidQueryError, match="only fields"):
        service.delete(created["id"], query="limit=1")
    assert service.list().total_count == 1
    with pytest.raises(TypeError, match="not both"):
        service.retrieve(created["id"], fields="reason", query="fields=id")


@pytest.mark.parametrize("fields", [5, {"status": 1}, [5], b"status", [["status"]]])
def test_fields_of_another_kind_are_a_clear_type_error(service, fields):
    created = service.create(dict(MINIMAL))
    with pytest.raises(TypeError, match="fields"):
        service.retrieve(created["id"], fields=fields)


def test_a_bad_selection_is_refused_before_anything_is_stored(service):
    with pytest.raises(InvalidQueryError):
        service.create(dict(MINIMAL), fields="status,,%zz")
    assert service.list().total_count == 0


def test_list_takes_a_mapping_of_parameters(service):
    a = service.create({**MINIMAL, "status": "open", "reason": "a b&c"})
    b = service.create({**MINIMAL, "status": "held"})
    service.create({**MINIMAL, "status": "done"})
    page = service.list({"status": ["open", "held"], "fields": "status"})
    assert page.total_count == 2
    assert [item["id"] for item in page.items] == [a["id"], b["id"]]
    assert set(page.items[0]) == {"id", "href", "status"}
    assert (
        service.list({"status": "open,held", "limit": "1"}).items[0]["id"] == "PI-0001"
    )
    assert service.list({"reason": "a b&c"}).total_count == 1


@pytest.mark.parametrize("reason", ["~tilde", "~(smile", "~", ">x", "=~x", "%7E"])
def test_a_mapping_value_is_its_characters_even_an_operator_s(service, reason):
    """A value starting with ``~`` once arrived as ``reason=~...``: a regex."""
    for text in (reason, "tilde and more", "x"):
        service.create({**MINIMAL, "reason": text})
    assert [item["reason"] for item in service.list({"reason": reason}).items] == [
        reason
    ]


@pytest.mark.parametrize(
    "query", [5, ["status=open"], {"status": 1}, {"status": ["open", 2]}, {1: "x"}]
)
def test_list_queries_of_another_kind_are_a_clear_type_error(service, query):
    with pytest.raises(TypeError, match="query string"):
        service.list(query)


def test_a_service_closes_at_the_end_of_a_with_block():
    calls: list[dict[str, object]] = []
    with PartyInteractionService(MemoryStore()) as service:
        service.events.subscribe(calls.append)
        service.create(MINIMAL)
    assert [event["eventType"] for event in calls] == ["PartyInteractionCreateEvent"]
    service.close()  # closing twice is harmless


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"status!=": "open"}, {"held", "done"}),
        ({"status.ne": "open"}, {"held", "done"}),
        ({"status>=": "held"}, {"open", "held"}),
        ({"status>": "held"}, {"open"}),
        ({"status<=": "held"}, {"held", "done"}),
        ({"status<": "held"}, {"done"}),
        ({"status*=": "^[dh]"}, {"held", "done"}),
        ({"status=~": "^o"}, {"open"}),
        ({"status": "=open"}, set()),  # a value is a value, never an operator
        ({"status": "open;status=held"}, set()),  # ';' in a value is a character
    ],
)
def test_mapping_names_carry_operators_as_urls_do(service, mapping, expected):
    for status in ("open", "held", "done"):
        service.create({**MINIMAL, "status": status})
    assert {item["status"] for item in service.list(mapping).items} == expected


def test_a_surrogate_in_a_mapping_is_an_invalid_query(service):
    with pytest.raises(InvalidQueryError, match="surrogate"):
        service.list({"status": "a\ud800"})


@pytest.mark.parametrize("query", [5, b"fields=status"])
def test_a_single_resource_query_must_be_a_string(service, query):
    created = service.create(dict(MINIMAL))
    with pytest.raises(TypeError, match="raw query string"):
        service.retrieve(created["id"], query=query)


def test_an_empty_path_is_not_a_field(service):
    created = service.create(dict(MINIMAL))
    with pytest.raises(TypeError, match="non-empty"):
        service.retrieve(created["id"], fields=[()])
