import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmf683 import InvalidQueryError, parse_query, project
from tmf683.query import Condition, Operator, Query, SortKey, matches, select


def test_empty_query_string_is_the_default_query():
    assert parse_query("") == Query()


def test_equality_comma_or_and_repeated_attribute_or():
    query = parse_query("status=open,completed&direction=inbound&status=closed")
    assert query.conditions == (
        Condition(("status",), Operator.EQ, ("open", "completed", "closed"), "status"),
        Condition(("direction",), Operator.EQ, ("inbound",), "direction"),
    )


def test_encoded_tilde_and_semicolon_are_literal():
    query = parse_query("reason=%7Ehome%3Bwork")
    assert query.conditions[0].values == ("~home;work",)


def test_percent_encoding_quotes_and_plus():
    query = parse_query("reason=a%2Cb,%22c%20d%22&description=x+y")
    assert query.conditions[0].values == ("a,b", "c d")
    assert query.conditions[1].values == ("x+y",)


def test_date_time_values_are_instants():
    query = parse_query("creationDate=2024-05-01T12:00:00+02:00")
    assert query.conditions[0].values == ("2024-05-01T10:00:00.000000Z",)
    decoded_plus = parse_query("creationDate=2024-05-01T12:00:00%2B02:00")
    assert decoded_plus.conditions == query.conditions


def test_fields_offset_limit_sort():
    query = parse_query(
        "fields=%20reason%20,status&offset=5&limit=10&sort=-status,+reason"
    )
    assert query.fields == (("reason",), ("status",))
    assert (query.offset, query.limit) == (5, 10)
    assert query.sort == (SortKey(("status",), True), SortKey(("reason",), False))
    assert parse_query("fields=none").fields == ()
    assert parse_query("fields=relatedParty.role").fields == (("relatedParty", "role"),)


@pytest.mark.parametrize(
    ("query_string", "parameter"),
    [
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("offset=1.5", "offset"),
        ("limit=1&limit=2", "limit"),
        ("=open", "(empty)"),
        ("status", "status"),
        ("relatedParty.id=1", "relatedParty.id"),
        ("status.gt=a", "status.gt"),
        ("channel=1", "channel"),
        ("creationDate=yesterday", "creationDate"),
        ("fields=", "fields"),
        ("fields=a..b", "fields"),
        ("sort=channel", "sort"),
        ("reason=%FF", "reason"),
        ('a"b=1', 'a"b'),
        ("creationDate>=2020-01-01T00:00:00Z", "creationDate>"),
        ("creationDate%3E=2020-01-01T00:00:00Z", "creationDate>"),
        ("creationDate<2099-01-01T00:00:00Z", "creationDate<2099-01-01T00:00:00Z"),
        ("reason*=^bug", "reason*"),
        ("reason=~^bug", "reason"),
        ("status!=open", "status!"),
        ("status=open;status=completed", "status"),
        ("creationDate.gte=2020-01-01T00:00:00Z", "creationDate.gte"),
    ],
)
def test_malformed_queries_name_the_parameter(query_string, parameter):
    with pytest.raises(InvalidQueryError) as caught:
        parse_query(query_string)
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value)


@given(st.text(max_size=200))
def test_the_parser_raises_nothing_but_its_own_error(text):
    with contextlib.suppress(InvalidQueryError):
        parse_query(text)


DOCS: list[dict[str, object]] = [
    {"id": "3", "status": "open", "reason": "b"},
    {"id": "1", "status": "closed", "reason": "a"},
    {"id": "2", "status": "open"},
    {"id": "4", "status": 5, "reason": "a"},
]


def test_matches_only_string_values():
    condition = Condition(("status",), Operator.EQ, ("open", "5"))
    assert [d["id"] for d in DOCS if matches(d, [condition])] == ["3", "2"]


def test_select_sorts_pages_and_counts():
    page, total = select(DOCS, parse_query("status=open,closed&sort=-status&limit=2"))
    assert [d["id"] for d in page] == ["2", "3"]
    assert total == 3
    page, _ = select(DOCS, parse_query("sort=reason"))
    assert [d["id"] for d in page] == ["2", "1", "4", "3"]
    page, total = select(DOCS, parse_query("offset=3"))
    assert ([d["id"] for d in page], total) == (["4"], 4)


def test_projection_keeps_id_href_and_selected_paths():
    document = {
        "id": "1",
        "href": "h",
        "status": "open",
        "reason": "r",
        "relatedParty": [{"id": "P", "role": "customer"}, {"id": "Q"}],
        "interactionDate": {"startDateTime": "s", "endDateTime": "e"},
    }
    assert project(document, ()) == {"id": "1", "href": "h"}
    assert project(document, (("status",), ("nothere",))) == {
        "id": "1",
        "href": "h",
        "status": "open",
    }
    assert project(document, (("relatedParty", "role"),)) == {
        "id": "1",
        "href": "h",
        "relatedParty": [{"role": "customer"}, {}],
    }
    assert project(document, (("interactionDate", "endDateTime"),)) == {
        "id": "1",
        "href": "h",
        "interactionDate": {"endDateTime": "e"},
    }
    assert project(document, None) == document


@pytest.mark.parametrize(
    ("query_string", "parameter"),
    [
        ("status%00=x", "status\x00"),
        ("sort=a%00", "sort"),
        ("offset=9223372036854775808", "offset"),
        ("limit=" + "1" * 5000, "limit"),
        ("&".join(f"a{i}=x" for i in range(101)), "a100"),
        ("sort=" + ",".join(["a"] * 21), "sort"),
        ("creationDate=0001-01-01T00:00:00%2B01:00", "creationDate"),
    ],
)
def test_limits_and_control_characters(query_string, parameter):
    with pytest.raises(InvalidQueryError) as caught:
        parse_query(query_string)
    assert caught.value.parameter == parameter


def test_largest_offset_and_most_conditions_are_accepted():
    assert parse_query("offset=999999999999999999").offset == 10**18 - 1
    assert len(parse_query("&".join(f"a{i}=x" for i in range(100))).conditions) == 100
    assert len(parse_query("sort=" + ",".join(["a"] * 20)).sort) == 20


def test_quoted_values_keep_their_commas():
    query = parse_query('status="a,b",c&reason=%22x,y%22')
    assert query.conditions[0].values == ("a,b", "c")
    assert query.conditions[1].values == ("x,y",)


def test_date_time_values_with_a_space_separator_or_a_space_for_plus():
    query = parse_query(
        "creationDate=2024-05-01%2010:00:00Z&statusChangeDate=2024-05-01T12:00:00 02:00"
    )
    assert [c.values for c in query.conditions] == [
        ("2024-05-01T10:00:00.000000Z",),
        ("2024-05-01T10:00:00.000000Z",),
    ]


@pytest.mark.parametrize(
    "query_string", ["offset=0", "status=x", "a", "fields=a&limit=1"]
)
def test_single_resource_operations_take_only_fields(query_string):
    from tmf683.query import parse_fields

    with pytest.raises(InvalidQueryError, match="only fields"):
        parse_fields(query_string)


def test_single_resource_fields():
    from tmf683.query import parse_fields

    assert parse_fields("fields=status,note.text") == (("status",), ("note", "text"))
    assert parse_fields("") is None
