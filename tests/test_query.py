import ast
import contextlib
import pathlib
import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tmf683.query.parse as engine
from tmf683 import (
    PARTY_INTERACTION_SCHEMA,
    AttributeKind,
    InvalidQueryError,
    PartyInteraction,
    Schema,
    SchemaAttribute,
    Tmf683Error,
    parse_query,
    project,
)
from tmf683._errors import PathError, RegexError
from tmf683._schema import EVENT_SCHEMA, schema_of
from tmf683.query.ast import AnyOf, Condition, Operator, Query, SortKey
from tmf683.query.evaluate import matches, select
from tmf683.query.regex import compile_pattern
from tmf683.query.schema import resolve


def plain(query: Query) -> list[Condition]:
    """The query's clauses, each checked to be a plain condition (no ``;`` OR)."""
    found = [clause for clause in query.conditions if isinstance(clause, Condition)]
    assert len(found) == len(query.conditions)
    return found


def test_empty_query_string_is_the_default_query():
    assert parse_query("") == Query()


def test_equality_comma_or_and_repeated_attribute_or():
    query = parse_query("status=open,completed&direction=inbound&status=closed")
    assert query.conditions == (
        Condition(
            ("status",),
            Operator.EQ,
            ("open", "completed", "closed"),
            parameter="status",
        ),
        Condition(("direction",), Operator.EQ, ("inbound",), parameter="direction"),
    )


def test_encoded_tilde_and_semicolon_are_literal():
    query = parse_query("reason=%7Ehome%3Bwork")
    assert plain(query)[0].values == ("~home;work",)


def test_percent_encoding_quotes_and_plus():
    query = parse_query("reason=a%2Cb,%22c%20d%22&description=x+y")
    assert plain(query)[0].values == ("a,b", "c d")
    assert plain(query)[1].values == ("x+y",)


def test_date_time_values_are_instants():
    query = parse_query("creationDate=2024-05-01T12:00:00+02:00")
    assert plain(query)[0].values == ("2024-05-01T10:00:00.000000Z",)
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
        ("channel=1", "channel"),
        ("status.x=1", "status.x"),
        ("relatedParty.foo.bar=1", "relatedParty.foo.bar"),
        ("status.gt.lt=a", "status.gt.lt"),
        ("creationDate.gt>=2024-01-01T00:00:00Z", "creationDate.gt"),
        ("status*x", "status*"),
        ("status!x", "status!"),
        ("attachment.size.amount=ten", "attachment.size.amount"),
        ("attachment.size.amount.gt=inf", "attachment.size.amount.gt"),
        ("reason.regex=(a", "reason.regex"),
        ("reason.regex=" + "a" * 300, "reason.regex"),
        ("reason*=a\\1", "reason"),
        ("fields>=a", "fields"),
        ("limit.ne=1", "limit.ne"),
        ("offset.gt=1", "offset.gt"),
        ("sort.gt=x", "sort.gt"),
        ("sort=relatedParty.id", "sort"),
        ("interactionDate.start=2024-01-01T00:00:00Z", "interactionDate.start"),
        ("attachment.size.unit=MB", "attachment.size.unit"),
        ("creationDate=yesterday", "creationDate"),
        ("fields=a..b", "fields"),
        ("sort=channel", "sort"),
        ("reason=%FF", "reason"),
        ('a"b=1', 'a"b'),
    ],
)
def test_malformed_queries_name_the_parameter(query_string, parameter):
    with pytest.raises(InvalidQueryError) as caught:
        parse_query(query_string)
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value)


GRAMMAR_PIECES = st.sampled_from(
    [
        "status",
        "relatedParty",
        "id",
        "interactionDate",
        "startDateTime",
        "creationDate",
        "attachment",
        "size",
        "amount",
        "fields",
        "sort",
        "offset",
        "limit",
        "none",
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "regex",
        "=",
        "&",
        ";",
        ",",
        ".",
        "<",
        ">",
        "!",
        "*",
        "~",
        "%",
        "%3E",
        "%3C",
        "%2C",
        "%22",
        '"',
        "+",
        "-",
        " ",
        "%00",
        "%FF",
        "2024-01-01T00:00:00Z",
        "+02:00",
        "1e999",
        "9" * 30,
        "(",
        "\\",
        "ü",
        "\x00",
    ]
)


@given(
    st.one_of(st.text(max_size=200), st.lists(GRAMMAR_PIECES, max_size=40).map("".join))
)
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
    # names kept on the way: in each object a dotted path goes through, if present
    assert project(document, (("relatedParty", "role"),), ("id",), ("id",)) == {
        "id": "1",
        "relatedParty": [{"id": "P", "role": "customer"}, {"id": "Q"}],
    }
    assert project(document, (("status",),), (), ("id",)) == {"status": "open"}


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
    assert plain(query)[0].values == ("a,b", "c")
    assert plain(query)[1].values == ("x,y",)


def test_date_time_values_with_a_space_separator_or_a_space_for_plus():
    query = parse_query(
        "creationDate=2024-05-01%2010:00:00Z&statusChangeDate=2024-05-01T12:00:00 02:00"
    )
    assert [c.values for c in plain(query)] == [
        ("2024-05-01T10:00:00.000000Z",),
        ("2024-05-01T10:00:00.000000Z",),
    ]


@pytest.mark.parametrize(
    "query_string", ["offset=0", "status=x", "a", "fields=a&limit=1"]
)
def test_single_resource_operations_take_only_fields(query_string):
    from tmf683 import parse_fields

    with pytest.raises(InvalidQueryError, match="only fields"):
        parse_fields(query_string)


def test_single_resource_fields():
    from tmf683 import parse_fields

    assert parse_fields("fields=status,note.text") == (("status",), ("note", "text"))
    assert parse_fields("") is None


@pytest.mark.parametrize(
    ("query_string", "operator", "values"),
    [
        (
            "creationDate.gt=2024-01-01T00:00:00Z",
            Operator.GT,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate>2024-01-01T01:00:00+01:00",
            Operator.GT,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate%3E2024-01-01T00:00:00Z",
            Operator.GT,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate>=2024-01-01T00:00:00Z",
            Operator.GTE,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate%3e=2024-01-01T00:00:00Z",
            Operator.GTE,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate.gte=2024-01-01T00:00:00Z",
            Operator.GTE,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate<2024-01-01T00:00:00Z",
            Operator.LT,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate%3C2024-01-01T00:00:00Z",
            Operator.LT,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate.lt=2024-01-01T00:00:00Z",
            Operator.LT,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate<=2024-01-01T00:00:00Z",
            Operator.LTE,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        (
            "creationDate.lte=2024-01-01T00:00:00Z",
            Operator.LTE,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        ("status.eq=open", Operator.EQ, ("open",)),
        (
            "creationDate.GT=2024-01-01T00:00:00Z",
            Operator.GT,
            ("2024-01-01T00:00:00.000000Z",),
        ),
        ("status.ne=open,closed", Operator.NE, ("open", "closed")),
        ("status!=open", Operator.NE, ("open",)),
        ("reason.regex=^bill.*,x{1,2}", Operator.REGEX, ("^bill.*,x{1,2}",)),
        ("reason*=^bill", Operator.REGEX, ("^bill",)),
        ("reason=~^bill", Operator.REGEX, ("^bill",)),
        ('reason*="a b"', Operator.REGEX, ("a b",)),
        ("attachment.size.amount.gt=2.5", Operator.GT, (2.5,)),
        ("attachment.size.amount=3", Operator.EQ, (3.0,)),
    ],
)
def test_operator_forms(query_string, operator, values):
    (condition,) = parse_query(query_string).conditions
    assert isinstance(condition, Condition)
    assert (condition.operator, condition.values) == (operator, values)


def test_dotted_paths_carry_kind_and_arrays():
    (party, amount, start) = parse_query(
        "relatedParty.role=customer&interactionItem.attachment.size.amount.gt=1"
        "&interactionDate.startDateTime.gte=2024-01-01T00:00:00Z"
    ).conditions
    assert isinstance(party, Condition)
    assert (party.path, party.arrays) == (("relatedParty", "role"), (0,))
    assert isinstance(amount, Condition)
    assert amount.arrays == (0, 1)
    assert amount.kind.value == "number"
    assert isinstance(start, Condition)
    assert (start.arrays, start.kind.value) == ((), "date-time")


def test_repeated_attribute_with_other_operators_is_and():
    query = parse_query(
        "creationDate.gte=2024-01-01T00:00:00Z&creationDate.lt=2024-02-01T00:00:00Z"
    )
    assert [c.operator for c in plain(query)] == [Operator.GTE, Operator.LT]


def test_semicolon_or_on_one_attribute_merges_and_across_attributes_is_any_of():
    merged = parse_query("status=open;status=held&status=done").conditions
    assert merged == (
        Condition(
            ("status",), Operator.EQ, ("open", "held", "done"), parameter="status"
        ),
    )
    (either,) = parse_query("status=open;direction=inbound").conditions
    assert isinstance(either, AnyOf)
    assert [c.path for c in either.conditions] == [("status",), ("direction",)]


def test_sort_on_nested_object_attributes():
    (key,) = parse_query("sort=-interactionDate.startDateTime").sort
    assert key == SortKey(("interactionDate", "startDateTime"), True, key.kind)
    assert key.kind.value == "date-time"


PARTIES: list[dict[str, object]] = [
    {
        "id": "a",
        "relatedParty": [
            {"id": "P1", "role": "agent"},
            {"id": "P2", "role": "customer"},
        ],
    },
    {"id": "b", "relatedParty": [{"id": "P1", "role": "customer"}]},
    {"id": "c", "relatedParty": "not an array"},
    {"id": "d"},
]


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        ("relatedParty.id=P1&relatedParty.role=customer", ["b"]),
        ("relatedParty.id=P1", ["a", "b"]),
        ("relatedParty.role.ne=customer", ["a"]),
        ("relatedParty.id.ne=P1", ["a"]),
        ("relatedParty.id=P2;relatedParty.role=customer", ["a", "b"]),
        ("relatedParty.role*=^cust", ["a", "b"]),
        ("id.ne=a,b", ["c", "d"]),
        ("id.gt=b", ["c", "d"]),
        ("id<=b", ["a", "b"]),
    ],
)
def test_array_semantics(query_string, expected):
    page, total = select(PARTIES, parse_query(query_string))
    assert [d["id"] for d in page] == expected
    assert total == len(expected)


@pytest.mark.parametrize(
    ("query_string", "hint"),
    [
        ("interactionDate=x", "interactionDate.startDateTime"),
        ("attachment.size=1", "attachment.size.amount"),
        ("relatedParty=P1", "relatedParty.id"),
        ("status.between=a", ".eq .ne .gt"),
    ],
)
def test_messages_point_at_a_real_attribute_or_operator(query_string, hint):
    with pytest.raises(InvalidQueryError, match=re.escape(hint)):
        parse_query(query_string)


@pytest.mark.parametrize(
    ("query_string", "parameter"),
    [
        ("sort=status;status=open", "sort"),
        ("fields=status;status=open", "fields"),
        ("sort=-status=open", "sort"),
        ("sort=--status", "sort"),
        ("sort=a%FFb", "sort"),
        ("fields=a%FFb", "fields"),
        ("fields=%00", "fields"),
        ("status<>open", "status"),
        ("status>>open", "status"),
        ("status=<open", "status"),
        ("status%ZZ=open", "status%ZZ"),
        ("reason=100%", "reason"),
        ("a%5Cb=v", "a\\b"),
        ("attachment.size.amount=1_0", "attachment.size.amount"),
        ("attachment.size.amount=%D9%A1%D9%A2", "attachment.size.amount"),
        ("attachment.size.amount=%201e1%20", "attachment.size.amount"),
        ("attachment.size.amount=1e-400", "attachment.size.amount"),
        ("attachment.size.amount=1e400", "attachment.size.amount"),
        ("attachment.size.amount=" + "9" * 5000, "attachment.size.amount"),
        ("creationDate=2024-01-10T10:00:00.0000001Z", "creationDate"),
        ("reason.regex=[a-z].{245}Z", "reason.regex"),
    ],
)
def test_ambiguous_or_lossy_forms_are_refused(query_string, parameter):
    with pytest.raises(InvalidQueryError) as caught:
        parse_query(query_string)
    assert caught.value.parameter == parameter


def test_encoded_operators_and_exact_values():
    (gte,) = plain(parse_query("status%3E%3Dheld"))
    assert (gte.operator, gte.values) == (Operator.GTE, ("held",))
    (big,) = plain(parse_query("attachment.size.amount=9007199254740993"))
    assert big.values == (9007199254740993,)
    assert isinstance(big.values[0], int)
    (seven,) = plain(parse_query("creationDate=2024-01-10T10:00:00.0000000Z"))
    assert seven.values == ("2024-01-10T10:00:00.000000Z",)
    (literal,) = plain(parse_query("status=%3Dheld"))
    assert literal.values == ("=held",)


def test_ored_bounds_collapse_to_the_loosest():
    (above,) = plain(
        parse_query("status.gt=" + ",".join(str(n) for n in range(1, 500)))
    )
    assert above.values == ("1",)
    (below,) = plain(parse_query("attachment.size.amount.lte=3,7.5,-2"))
    assert below.values == (7.5,)


# The engine over a schema of its caller's (what v5 plugs in), and the v4 default.

PART = Schema("Part", (SchemaAttribute("id", AttributeKind.STRING),), extensible=True)
THING = Schema(
    "Thing",
    (
        SchemaAttribute("state", AttributeKind.STRING),
        SchemaAttribute("when", AttributeKind.DATE_TIME),
        SchemaAttribute("size", AttributeKind.NUMBER),
        SchemaAttribute("parts", AttributeKind.OBJECT, array=True, schema=PART),
    ),
)


def test_the_engine_parses_against_the_schema_it_is_given():
    query = engine.parse_query(
        "state=a&when.gte=2024-05-01T12:00:00+02:00&size.lt=3&parts.colour=red"
        "&sort=-size",
        schema=THING,
    )
    assert [(c.path, c.kind, c.arrays, c.values) for c in plain(query)] == [
        (("state",), AttributeKind.STRING, (), ("a",)),
        (("when",), AttributeKind.DATE_TIME, (), ("2024-05-01T10:00:00.000000Z",)),
        (("size",), AttributeKind.NUMBER, (), (3,)),
        (("parts", "colour"), AttributeKind.STRING, (0,), ("red",)),
    ]
    assert query.sort == (SortKey(("size",), True, AttributeKind.NUMBER),)
    documents = [
        {"id": "1", "size": 1, "parts": [{"colour": "red"}]},
        {"id": "2", "size": 1, "parts": [{"id": "p"}]},
        {"id": "3", "size": 5, "parts": [{"colour": "red"}]},
    ]
    red = engine.parse_query("parts.colour=red&size.lt=3", schema=THING)
    assert [d["id"] for d in select(documents, red)[0]] == ["1"]


@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ("status=open", "names 'status', which Thing does not have"),
        (
            "parts=x",
            "ends at 'parts', an array of objects; name one of its attributes, "
            "e.g. parts.id",
        ),
        ("size.x=1", "continues past 'size'"),
        ("sort=parts.id", "crosses the array parts"),
        ("size=big", "value 'big' is not a number"),
    ],
)
def test_messages_name_the_given_schema(query_string, message):
    with pytest.raises(InvalidQueryError, match=re.escape(message)):
        engine.parse_query(query_string, schema=THING)


def test_single_resource_message_names_the_schema():
    with pytest.raises(InvalidQueryError, match="does not apply to a single Thing"):
        engine.parse_fields("limit=1", schema=THING)
    assert engine.parse_fields("fields=state", schema=THING) == (("state",),)


def test_the_root_parses_against_the_v4_party_interaction_by_default():
    text = "relatedParty.id=P1&interactionDate.startDateTime.gt=2024-01-01T00:00:00Z"
    expected = engine.parse_query(text, schema=PARTY_INTERACTION_SCHEMA)
    assert parse_query(text) == expected
    assert plain(parse_query("state=a", schema=THING))[0].path == ("state",)
    with pytest.raises(InvalidQueryError, match="which Thing does not have"):
        parse_query("status=open", schema=THING)


def test_the_v4_schema_is_derived_from_the_model():
    assert schema_of(PartyInteraction) == PARTY_INTERACTION_SCHEMA
    assert PARTY_INTERACTION_SCHEMA.name == "PartyInteraction"
    assert PARTY_INTERACTION_SCHEMA.extensible
    party = PARTY_INTERACTION_SCHEMA.attribute("relatedParty")
    assert party is not None
    assert party.array
    assert party.kind is AttributeKind.OBJECT
    assert party.schema is not None
    assert party.schema.attribute("@referredType")
    assert PARTY_INTERACTION_SCHEMA.attribute("extensions") is None
    payload = EVENT_SCHEMA.attribute("event")
    assert payload is not None
    assert payload.schema is not None
    assert not EVENT_SCHEMA.extensible
    assert not payload.schema.extensible
    assert resolve(("event", "partyInteraction", "x"), EVENT_SCHEMA).kind is (
        AttributeKind.STRING
    )


def test_a_model_field_without_a_query_kind_is_refused():
    @attrs.define
    class Odd:
        flag: bool | None = None

    with pytest.raises(TypeError, match="'flag'"):
        schema_of(Odd)


def test_a_schema_is_consistent_immutable_and_hashable():
    with pytest.raises(ValueError, match="object kind"):
        SchemaAttribute("x", AttributeKind.OBJECT)
    with pytest.raises(ValueError, match="object kind"):
        SchemaAttribute("x", AttributeKind.STRING, schema=PART)
    with pytest.raises(ValueError, match="twice"):
        Schema("Twice", (PART.attributes[0], PART.attributes[0]))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        THING.name = "Other"  # type: ignore[misc]
    again = Schema("Part", (SchemaAttribute("id", AttributeKind.STRING),), True)
    assert again == PART
    assert hash(again) == hash(PART)


def test_path_and_regex_errors_are_tmf683_errors():
    with pytest.raises(PathError) as path:
        resolve(("status", "x"), PARTY_INTERACTION_SCHEMA)
    with pytest.raises(RegexError) as regex:
        compile_pattern("(")
    for caught in (path.value, regex.value):
        assert isinstance(caught, Tmf683Error)
        assert isinstance(caught, ValueError)


def test_the_engine_imports_neither_the_model_nor_serialization():
    package = pathlib.Path(engine.__file__).parent  # tmf683/query
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert "tmf683.query.ast" in imported  # the walk sees the imports
    assert not {name for name in imported if name.startswith("tmf683.")} & {
        "tmf683._model",
        "tmf683._serialization",
        "tmf683._schema",
    }
