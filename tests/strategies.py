"""Hypothesis strategies: PartyInteraction documents and TMF630 query strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from hypothesis import strategies as st

from tmf683._datetimes import format_datetime

WORDS = ["open", "closed", "Ünï", "a,b", "", "OPEN", "customer", "agent", "P1", "P2"]
word = st.sampled_from(WORDS)
query_word = st.sampled_from([*WORDS, "P1\x00", "o\x00z"])
"""Filter values: also texts with NUL, which no store's text can equal."""

instants = st.datetimes(
    min_value=datetime(2023, 12, 31), max_value=datetime(2024, 1, 2)
).map(lambda value: value.replace(tzinfo=UTC))
offsets = st.sampled_from([0, 60, -300, 330, 845]).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
date_time = st.builds(lambda value, zone: value.astimezone(zone), instants, offsets)
canonical_date_time = instants.map(format_datetime)

party = st.fixed_dictionaries(
    {},
    optional={"id": word, "role": word, "@referredType": st.just("Individual")},
)
channel = st.fixed_dictionaries({}, optional={"id": word, "name": word})
EXACTNESS_EDGES = [2**53 + 1, 2.0**53, 0.1, 1e30, -0.0, 5e-324, 1e16, 2**62]
"""Numbers where a store that compares through binary floats (or through the decimal
text Python writes) would disagree with Python's exact int/float comparisons."""
amount = st.one_of(
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False),
    st.sampled_from(EXACTNESS_EDGES),
)
attachment = st.fixed_dictionaries(
    {}, optional={"size": st.fixed_dictionaries({}, optional={"amount": amount})}
)
item = st.fixed_dictionaries(
    {}, optional={"id": word, "relatedParty": st.lists(party, max_size=3)}
)

documents = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "status": st.one_of(word, st.integers(0, 3), st.none()),
            "direction": word,
            "reason": word,
            "x-ext": st.one_of(word, st.booleans(), st.just({"a": 1})),
            "creationDate": canonical_date_time,
            "interactionDate": st.fixed_dictionaries(
                {}, optional={"startDateTime": canonical_date_time}
            ),
            "relatedParty": st.one_of(st.lists(party, max_size=3), st.just("x")),
            "channel": st.lists(channel, max_size=3),
            "attachment": st.lists(attachment, max_size=2),
            "interactionItem": st.lists(item, max_size=2),
        },
    ),
    max_size=12,
)

TEXT_PATHS = [
    "status",
    "direction",
    "reason",
    "x-ext",
    "id",
    "relatedParty.id",
    "relatedParty.role",
    "channel.id",
    "channel.name",
    "interactionItem.id",
    "interactionItem.relatedParty.id",
    "interactionItem.relatedParty.role",
]
DATE_PATHS = ["creationDate", "interactionDate.startDateTime"]
NUMBER_PATHS = ["attachment.size.amount"]
OPERATORS = [
    "=",
    ".eq=",
    ".ne=",
    "!=",
    ".gt=",
    ">",
    ".gte=",
    ">=",
    ".lt=",
    "%3C",
    ".lte=",
    "<=",
    "*=",
    ".regex=",
]
PATTERNS = ["^o", "n$", "ï", "^$", "P[12]", "[A-Z]"]


def _values(path: str, operator: str) -> st.SearchStrategy[str]:
    if operator in ("*=", ".regex="):
        return st.sampled_from(PATTERNS).map(lambda p: quote(p, safe=""))
    if path in DATE_PATHS:
        single = date_time.map(lambda d: quote(d.isoformat(), safe=""))
    elif path in NUMBER_PATHS:
        single = amount.map(str)
    else:
        single = query_word.map(
            lambda w: quote(w, safe="") if "," not in w else '"a,b"'
        )
    return st.lists(single, min_size=1, max_size=3).map(",".join)


@st.composite
def condition(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(TEXT_PATHS + DATE_PATHS + NUMBER_PATHS))
    operator = draw(st.sampled_from(OPERATORS))
    return f"{path}{operator}{draw(_values(path, operator))}"


@st.composite
def query_strings(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        alternatives = draw(st.lists(condition(), min_size=1, max_size=2))
        parts.append(";".join(alternatives))
    sort = draw(
        st.lists(
            st.sampled_from(
                [
                    "status",
                    "-status",
                    "reason",
                    "-creationDate",
                    "x-ext",
                    "-id",
                    "interactionDate.startDateTime",
                    "-direction",
                ]
            ),
            max_size=3,
        )
    )
    if sort:
        parts.append("sort=" + ",".join(sort))
    if (offset := draw(st.one_of(st.none(), st.integers(0, 5)))) is not None:
        parts.append(f"offset={offset}")
    if (limit := draw(st.one_of(st.none(), st.integers(0, 5)))) is not None:
        parts.append(f"limit={limit}")
    return "&".join(parts)
