"""Hypothesis strategies of PartyInteraction documents (TMF683 v4 resources as JSON).

Every text attribute draws from one small vocabulary (:data:`WORDS`), every date-time
from a three-day window with a few favourite instants (:data:`INSTANTS`), every number
from small values and the edges of exact comparison (:data:`NUMBERS`), so that the
queries of :mod:`tmf683.testing._queries` hit what the documents hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from tmf683._datetimes import format_datetime

WORDS = (
    "open",
    "closed",
    "OPEN",
    "Ünï",
    "日本",
    "a,b",
    "x y",
    "50%",
    "+1",
    "",
    "customer",
    "agent",
    "P1",
    "P2",
)
"""The texts documents hold and queries ask for, with cases (``open``/``OPEN``),
non-ASCII, characters a query must encode (``,`` ``%`` ``+`` space) and the empty
text."""

INSTANTS = tuple(
    datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=hours) for hours in (-24, 0, 12)
)
"""Instants drawn often, so that equality on date-times hits."""

OFFSETS = tuple(
    timezone(timedelta(minutes=minutes)) for minutes in (0, 60, -300, 330, 845, -719)
)
"""UTC offsets date-times are written with (``+00:00`` ... ``+14:05``, ``-11:59``)."""

NUMBERS = (2**53 + 1, 2.0**53, 0.1, 1e30, -0.0, 5e-324, 1e16, 2**62)
"""Numbers where a store that compares through binary floats (or through the decimal
text Python writes) would disagree with Python's exact int/float comparisons."""


def _favourites(
    values: st.SearchStrategy[Any],
    name: str,
    twin: Callable[[Any], Any] | None = None,
) -> st.SearchStrategy[Any]:
    """Mostly one of 1 or 2 values drawn once per test case, sometimes any value.

    The pool is shared (:func:`hypothesis.strategies.shared`) by every strategy of
    this module within one test case, so documents and queries drawn for the same
    test often hold and ask for the same values. ``twin`` makes a near miss of a
    favourite, drawn now and then.
    """
    pool = st.shared(
        st.lists(values, min_size=1, max_size=2, unique=True),
        key=f"tmf683.testing.{name}",
    )
    favourite = pool.flatmap(st.sampled_from)
    near = favourite if twin is None else favourite.map(twin)
    return st.one_of(favourite, favourite, favourite, near, values)


words: st.SearchStrategy[str] = _favourites(
    st.sampled_from(WORDS), "words", str.swapcase
)
"""Texts of :data:`WORDS`, mostly the few favourites of the test case and their
case-swapped twins (``open``, ``OPEN``): what finds case-insensitive comparisons."""
non_empty_words = words.map(lambda word: word or "P1")

instants: st.SearchStrategy[datetime] = _favourites(
    st.one_of(
        st.sampled_from(INSTANTS),
        st.datetimes(
            min_value=datetime(2023, 12, 31), max_value=datetime(2024, 1, 2)
        ).map(lambda value: value.replace(tzinfo=UTC)),
    ),
    "instants",
    lambda value: value + timedelta(microseconds=1),
)
"""Aware UTC datetimes in 2023-12-31 .. 2024-01-02, often one of :data:`INSTANTS`,
mostly the few favourites of the test case and the microsecond after them (what
finds a ``gt`` taken for a ``gte``)."""

numbers: st.SearchStrategy[int | float] = _favourites(
    st.one_of(
        st.integers(-3, 3),
        st.floats(-3, 3, allow_nan=False),
        st.sampled_from(NUMBERS),
    ),
    "numbers",
    lambda number: (
        number + 1 if isinstance(number, int) else math.nextafter(number, math.inf)
    ),
)
"""JSON numbers, small integers and floats and :data:`NUMBERS`, mostly the few
favourites of the test case and their next value up."""


def _write(value: datetime, offset: timezone, zulu: bool) -> str:
    text = value.astimezone(offset).isoformat()
    return (
        text.removesuffix("+00:00") + "Z" if zulu and text.endswith("+00:00") else text
    )


date_time_texts: st.SearchStrategy[str] = st.builds(
    _write, instants, st.sampled_from(OFFSETS), st.booleans()
)
"""RFC 3339 texts of :data:`instants` at one of :data:`OFFSETS`, e.g.
``"2024-01-01T05:30:00.250000+05:30"`` or ``"2024-01-01T00:00:00Z"``."""


def _object(
    stored: bool,
    required: Mapping[str, st.SearchStrategy[Any]],
    optional: Mapping[str, st.SearchStrategy[Any]],
) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object; the ``required`` attributes are optional too when ``stored``."""
    if stored:
        return st.fixed_dictionaries({}, optional={**required, **optional})
    return st.fixed_dictionaries(dict(required), optional=dict(optional))


def _lists(
    stored: bool, element: st.SearchStrategy[Any], max_size: int = 3
) -> st.SearchStrategy[Any]:
    """A JSON array; when ``stored``, also arrays holding a text and plain texts."""
    arrays = st.lists(element, max_size=max_size)
    if not stored:
        return arrays
    odd = st.lists(st.one_of(element, st.just("x")), max_size=max_size)
    return st.one_of(arrays, odd, st.just("x"))


def party_interactions(*, stored: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Draw PartyInteraction documents as JSON dicts (TMF683 v4 ``PartyInteraction``).

    Every attribute but the conformance profile's required ones may be missing, so
    absent values (which only ``ne`` matches, and which sort first) are common. The
    arrays ``channel``, ``relatedParty``, ``interactionItem`` (with its own
    ``channel``, ``relatedParty``, ``note``, ``attachment`` and ``item``), ``note``,
    ``attachment`` (with ``size.amount`` and ``validFor``) and
    ``interactionRelationship`` hold 0 to 3 elements; the extension attribute
    ``x-ext`` (a text, a boolean, a number or an object) comes with a subclass
    ``@type``. Texts are :data:`WORDS`, numbers :data:`numbers`, date-times
    :data:`instants` written at various UTC offsets. Never ``id`` nor ``href``.

    Args:
        stored: draw documents as a store holds them and as
            :meth:`~tmf683.storage.base.PartyInteractionStore.add` takes them (after
            adding an ``id``), including ones the service would refuse: date-times
            in the canonical UTC form (``2024-01-01T00:00:00.000000Z``), required
            attributes that may be missing, values of the wrong JSON type (a
            ``status`` that is a number or ``null``, a ``relatedParty`` that is a
            text, array elements that are not objects) and ``x-ext`` without
            ``@type``. For testing stores and evaluators directly.

    Returns:
        A strategy of dicts. With ``stored=False`` each is a valid body for
        :meth:`tmf683.PartyInteractionService.create`: ``channel`` holds 1 to 3
        channels with an ``id``, ``direction`` and ``reason`` are non-empty texts,
        every ``relatedParty`` has ``id`` and ``@referredType``, every
        ``interactionItem[].item`` a ``role``.
    """
    key = words if stored else non_empty_words
    date_time = instants.map(format_datetime) if stored else date_time_texts
    period = st.fixed_dictionaries(
        {}, optional={"startDateTime": date_time, "endDateTime": date_time}
    )
    party = _object(
        stored,
        {"id": key, "@referredType": st.sampled_from(["Individual", "Organization"])},
        {"name": words, "role": words},
    )
    channel = _object(stored, {"id": key}, {"name": words, "role": words})
    note = st.fixed_dictionaries(
        {}, optional={"id": words, "author": words, "date": date_time, "text": words}
    )
    size = st.fixed_dictionaries({}, optional={"amount": numbers, "units": words})
    attachment = st.fixed_dictionaries(
        {},
        optional={"id": words, "name": words, "size": size, "validFor": period},
    )
    entity = _object(stored, {"role": key}, {"id": words, "name": words})
    item = st.fixed_dictionaries(
        {},
        optional={
            "id": words,
            "creationDate": date_time,
            "reason": words,
            "resolution": words,
            "attachment": _lists(stored, attachment, 2),
            "channel": _lists(stored, channel, 2),
            "item": entity,
            "itemDate": period,
            "note": _lists(stored, note, 2),
            "relatedParty": _lists(stored, party),
        },
    )
    relationship = st.fixed_dictionaries(
        {}, optional={"id": words, "relationshipType": words}
    )
    extension_value = st.one_of(words, st.booleans(), numbers, st.just({"a": 1}))
    status = st.one_of(words, st.integers(0, 3), st.none()) if stored else words
    channels = (
        _lists(stored, channel) if stored else st.lists(channel, min_size=1, max_size=3)
    )
    base = _object(
        stored,
        {"channel": channels, "direction": key, "reason": key},
        {
            "status": status,
            "description": words,
            "creationDate": date_time,
            "statusChangeDate": date_time,
            "interactionDate": period,
            "relatedParty": _lists(stored, party),
            "attachment": _lists(stored, attachment, 2),
            "interactionItem": _lists(stored, item, 2),
            "interactionRelationship": _lists(stored, relationship, 2),
            "note": _lists(stored, note, 2),
        },
    )
    extended = _object(
        stored,
        {"@type": st.just("ExtendedPartyInteraction")},
        {"x-ext": extension_value},
    )
    extension = st.one_of(st.just({}), extended)
    return st.builds(lambda document, more: {**document, **more}, base, extension)
