"""The write path's one-walk validation agrees with the attrs model round trip.

Oracle: ``unstructure(structure(document, cls))`` and
``unstructure(validate_party_interaction(document))``, what every create and patch
did before; for documents hypothesis builds from the model itself (right and wrong
JSON kinds, nulls, date-times with offsets, unknown and extension attributes), both
give the same stored document or the same problems, in the same order.
"""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmf683._errors import Problem, ValidationError
from tmf683._model import PartyInteraction, Quantity, RelatedParty, TimePeriod
from tmf683._normalize import normalize
from tmf683._serialization import json_fields, json_name, structure, unstructure
from tmf683._validation import party_interaction_document, validate_party_interaction
from tmf683.patch.merge import apply_merge_patch
from tmf683.testing import party_interactions

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "open", "2024-05-01T10:00:00Z", "Individual"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "id", "@type"]), inner, max_size=3)
    ),
    max_leaves=6,
)
DATE_TIMES = st.one_of(
    st.sampled_from(
        [
            "2024-05-01T10:00:00Z",
            "2024-05-01T12:00:00.5+02:00",
            "2024-05-01 10:00:00.1234567z",
            "2024-05-01T10:00:00",  # no offset: invalid
            "0001-01-01T00:30:00+01:00",  # before year 1 in UTC: invalid
            "yesterday",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
)


def _inner(hint: Any) -> Any:
    (inner,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    return inner


def _right_value(hint: Any, depth: int) -> st.SearchStrategy[Any]:
    inner = _inner(hint)
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        return st.lists(documents(item, depth + 1), max_size=3)
    if attrs.has(inner):
        return documents(inner, depth + 1)
    if inner is datetime:
        return DATE_TIMES
    if inner is float:
        return st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False)
    return st.sampled_from(["", "a", "open", "Individual", "é"])


def documents(cls: type, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects shaped like ``cls``, each attribute right, wrong or null."""
    fields = json_fields(cls)
    values: dict[str, st.SearchStrategy[Any]] = {
        json_name(field.name): (
            JSON_VALUES
            if depth > 2
            else st.one_of(
                _right_value(field.type, depth),
                _right_value(field.type, depth),
                JSON_VALUES,
            )
        )
        for field in fields
    }
    if "type" in attrs.fields_dict(cls):
        values["@type"] = st.one_of(
            st.just(cls.__name__), st.sampled_from(["Sub", ""]), JSON_SCALARS
        )
    chosen = st.fixed_dictionaries({}, optional=values)
    extra = st.dictionaries(st.sampled_from(["x", "y", "zz"]), JSON_VALUES, max_size=2)
    return st.tuples(chosen, extra, st.booleans(), st.randoms()).map(_arrange)


def _arrange(parts: tuple[dict[str, Any], dict[str, Any], bool, Any]) -> dict[str, Any]:
    chosen, extra, with_extra, rng = parts
    items = list(chosen.items()) + (list(extra.items()) if with_extra else [])
    rng.shuffle(items)
    return dict(items)


def _old(document: Any, cls: type) -> dict[str, Any] | list[Problem]:
    try:
        return unstructure(structure(document, cls))
    except ValidationError as exc:
        return list(exc.problems)


def _new(document: Any, cls: type) -> dict[str, Any] | list[Problem]:
    try:
        return normalize(document, cls)
    except ValidationError as exc:
        return list(exc.problems)


def _agree(old: object, new: object) -> None:
    assert new == old
    if isinstance(old, dict):  # the same attribute order, at every level
        assert repr(new) == repr(old)


SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(documents(PartyInteraction))
def test_normalize_is_the_model_round_trip(document: dict[str, Any]) -> None:
    _agree(_old(document, PartyInteraction), _new(document, PartyInteraction))


@SETTINGS
@given(
    st.sampled_from([RelatedParty, TimePeriod, Quantity]).flatmap(
        lambda c: st.tuples(st.just(c), documents(c))
    )
)
def test_normalize_agrees_on_parts(case: tuple[type, dict[str, Any]]) -> None:
    cls, document = case
    _agree(_old(document, cls), _new(document, cls))


@SETTINGS
@given(documents(PartyInteraction) | JSON_VALUES)
def test_party_interaction_document_is_validate_then_unstructure(document: Any) -> None:
    _agree(*_both(document))


def _both(document: Any) -> tuple[object, object]:
    try:
        old: object = unstructure(validate_party_interaction(document))
    except ValidationError as exc:
        old = list(exc.problems)
    try:
        new: object = party_interaction_document(document)
    except ValidationError as exc:
        new = list(exc.problems)
    return old, new


@SETTINGS
@given(party_interactions(), documents(PartyInteraction))
def test_a_merge_patched_body_gives_the_same_document_or_problems(
    body: dict[str, Any], patch: dict[str, Any]
) -> None:
    """What a create stores, and what a merge patch of it stores (v4 and v5 alike:
    the v5 service validates its v4 part with the same function)."""
    _agree(*_both(body))
    _agree(*_both(apply_merge_patch(body, patch)))


def test_a_valid_document_is_normalised() -> None:
    document = {
        "x": 1,
        "@type": "MyInteraction",
        "reason": "r",
        "creationDate": "2024-05-01T12:00:00+02:00",
        "status": None,
        "channel": [{"id": "1", "name": None}],
    }
    assert list(normalize(document, PartyInteraction).items()) == [
        ("creationDate", "2024-05-01T10:00:00.000000Z"),
        ("reason", "r"),
        ("channel", [{"id": "1"}]),
        ("@type", "MyInteraction"),
        ("x", 1),
    ]
