"""tmf683.testing: the strategies draw what they promise; the oracle is the service."""

import collections
import itertools
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmf683 import MemoryStore, PartyInteractionService, parse_query, project
from tmf683.query.ast import AnyOf, Condition, Operator
from tmf683.testing import (
    DATE_TIME_PATHS,
    NUMBER_PATHS,
    OPERATORS,
    SORT_PATHS,
    TEXT_PATHS,
    matches,
    party_interactions,
    query_strings,
    select,
)


def service():
    ids = itertools.count()
    return PartyInteractionService(
        MemoryStore(),
        clock=lambda: datetime(2024, 1, 1, 6, tzinfo=UTC),
        id_factory=lambda: f"id-{next(ids):02d}",
    )


@settings(max_examples=200)
@given(party_interactions())
def test_generated_documents_are_accepted_by_create(body):
    assert "id" not in body
    assert "href" not in body
    created = service().create(body)
    assert created["id"] == "id-00"


@settings(max_examples=300)
@given(query_strings())
def test_generated_queries_parse(query_string):
    parse_query(query_string)


@settings(max_examples=200)
@given(st.lists(party_interactions(), max_size=8), query_strings())
def test_matches_and_select_agree_with_the_service(bodies, query_string):
    tested = service()
    created = [tested.create(body) for body in bodies]
    page = tested.list(query_string)
    assert page.total_count == sum(matches(query_string, d) for d in created)
    assert page.items == select(query_string, created)


@settings(max_examples=100)
@given(st.lists(party_interactions(stored=True), max_size=6), query_strings())
def test_matches_is_the_stores_oracle_on_stored_documents(docs, query_string):
    store = MemoryStore()
    documents = [{"id": f"id-{n:02d}", **doc} for n, doc in enumerate(docs)]
    store.add_many(documents)
    query = parse_query(query_string)
    found = store.find(query)
    assert found.total_count == sum(matches(query_string, d) for d in documents)
    assert select(query_string, documents) == [
        project(d, query.fields) for d in found.items
    ]


def test_the_path_lists_say_how_the_schema_compares_each_path():
    for paths, kind, value in [
        (TEXT_PATHS, "string", "x"),
        (DATE_TIME_PATHS, "date-time", "2024-01-01T00:00:00Z"),
        (NUMBER_PATHS, "number", "1"),
    ]:
        for path in paths:
            (condition,) = parse_query(f"{path}={value}").conditions
            assert isinstance(condition, Condition)
            assert condition.kind.value == kind, path
    assert parse_query("sort=" + ",".join(SORT_PATHS)).sort


def _condition_paths(query_string):
    for clause in parse_query(query_string).conditions:
        yield from clause.conditions if isinstance(clause, AnyOf) else (clause,)


@settings(max_examples=200)
@given(
    query_strings(
        paths=["status", "reason"],
        operators=["eq"],
        alternatives=False,
        controls=False,
        max_clauses=2,
    )
)
def test_restricted_queries_stay_within_what_was_asked(query_string):
    query = parse_query(query_string)
    assert (query.fields, query.sort, query.offset, query.limit) == (None, (), 0, None)
    assert len(query.conditions) <= 2
    paths = []
    for clause in query.conditions:
        assert isinstance(clause, Condition)
        assert clause.operator is Operator.EQ
        assert len(clause.values) == 1
        paths.append(clause.path)
    assert set(paths) <= {("status",), ("reason",)}
    assert len(set(paths)) == len(paths)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"paths": ["channel"]}, "'channel' is not one of the filterable paths"),
        ({"operators": ["like"]}, "unknown operators ['like']"),
    ],
)
def test_query_strings_refuses_what_it_cannot_draw(arguments, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        query_strings(**arguments)


def _collect(strategy, examples=300):
    """Every value ``strategy`` draws in a fixed run of ``examples`` test cases."""
    drawn = []

    @settings(max_examples=examples, derandomize=True, database=None)
    @given(strategy)
    def collect(value):
        drawn.append(value)

    collect()
    return drawn


def test_queries_use_every_operator_and_form():
    seen: collections.Counter[object] = collections.Counter()
    for query_string in _collect(query_strings()):
        query = parse_query(query_string)
        seen.update(c.operator for c in _condition_paths(query_string))
        seen.update(type(c).__name__ for c in query.conditions)
        seen["dotted"] += any(len(c.path) > 1 for c in _condition_paths(query_string))
        seen["comma or"] += any(
            len(c.values) > 1 for c in _condition_paths(query_string)
        )
        seen["quoted"] += '"' in query_string or "%22" in query_string
        for control in ("fields=", "sort=", "offset=", "limit="):
            seen[control] += control in query_string
        for spelling in itertools.chain(*OPERATORS.values()):
            seen[spelling] += spelling in query_string
    missing = [
        *Operator,
        "AnyOf",
        "dotted",
        "comma or",
        "quoted",
        "fields=",
        "sort=",
        "offset=",
        "limit=",
        *itertools.chain(*OPERATORS.values()),
    ]
    assert [name for name in missing if not seen[name]] == []


def test_documents_hold_the_nested_arrays_and_odd_values():
    seen = set()
    for body in _collect(party_interactions()):
        seen.update(body)
        for item in body.get("interactionItem", []):
            seen.update(f"interactionItem.{name}" for name in item)
        for note in body.get("note", []):
            seen.update(f"note.{name}" for name in note)
        if "+" in body.get("creationDate", "") or "-05:00" in body.get(
            "creationDate", ""
        ):
            seen.add("offset")
    expected = {
        "channel",
        "relatedParty",
        "note",
        "attachment",
        "interactionRelationship",
        "interactionItem",
        "interactionItem.relatedParty",
        "interactionItem.note",
        "interactionItem.attachment",
        "interactionItem.channel",
        "interactionItem.item",
        "note.date",
        "x-ext",
        "offset",
    }
    assert expected - seen == set()


def test_queries_hit_the_documents_often():
    outcomes: collections.Counter[str] = collections.Counter()
    pairs = st.tuples(
        st.lists(party_interactions(), min_size=1, max_size=6), query_strings()
    )
    for bodies, query_string in _collect(pairs):
        if not parse_query(query_string).conditions:
            continue
        tested = service()
        created = [tested.create(body) for body in bodies]
        hits = sum(matches(query_string, d) for d in created)
        outcomes["some" if 0 < hits < len(created) else "none or all"] += 1
    assert outcomes["some"] >= 0.1 * sum(outcomes.values()), outcomes


def test_a_text_path_query_finds_a_case_insensitive_engine():
    found = []
    pairs = st.tuples(
        party_interactions(), query_strings(paths=TEXT_PATHS[:4], operators=["eq"])
    )
    for body, query_string in _collect(pairs):
        created = service().create(body)
        for condition in _condition_paths(query_string):
            value = created.get(condition.path[0])
            folded = [str(v).casefold() for v in condition.values]
            if value not in condition.values and str(value).casefold() in folded:
                found.append(query_string)
    assert found


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )


def test_importing_tmf683_loads_no_hypothesis():
    result = _run(
        "import sys, tmf683; tmf683.PartyInteractionService; "
        "print('hypothesis' in sys.modules)"
    )
    assert result.stdout.strip() == "False", result.stderr


def test_without_hypothesis_the_import_says_what_to_install():
    result = _run(
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import tmf683.testing\n"
        "except ImportError as exc:\n    print('refused:', exc)\n"
    )
    assert "refused: tmf683.testing needs Hypothesis" in result.stdout, result.stderr
    assert "tmf683[testing]" in result.stdout
