"""A Hypothesis strategy of TMF630 list query strings over PartyInteraction documents.

The grammar is the one :func:`tmf683.parse_query` accepts (TMF630 Part 1, and the
query section of the server guide): every string drawn parses, and its values come
from the vocabularies of :mod:`tmf683.testing._documents`, so conditions hit.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tmf683.testing._documents import WORDS, date_time_texts, numbers, words

TEXT_PATHS = (
    "status",
    "direction",
    "reason",
    "description",
    "id",
    "x-ext",
    "relatedParty.id",
    "relatedParty.role",
    "relatedParty.@referredType",
    "channel.id",
    "channel.name",
    "note.text",
    "attachment.size.units",
    "interactionRelationship.relationshipType",
    "interactionItem.id",
    "interactionItem.reason",
    "interactionItem.item.role",
    "interactionItem.channel.id",
    "interactionItem.note.text",
    "interactionItem.relatedParty.id",
    "interactionItem.relatedParty.role",
)
"""Filterable paths to texts (``x-ext`` is an extension attribute, compared as text)."""

DATE_TIME_PATHS = (
    "creationDate",
    "statusChangeDate",
    "interactionDate.startDateTime",
    "interactionDate.endDateTime",
    "note.date",
    "attachment.validFor.startDateTime",
    "interactionItem.creationDate",
    "interactionItem.itemDate.endDateTime",
    "interactionItem.note.date",
)
"""Filterable paths to date-times (compared as instants)."""

NUMBER_PATHS = ("attachment.size.amount", "interactionItem.attachment.size.amount")
"""Filterable paths to numbers."""

_ARRAYS = (
    "relatedParty",
    "channel",
    "note",
    "attachment",
    "interactionRelationship",
    "interactionItem",
)
SORT_PATHS = tuple(
    path
    for path in (*TEXT_PATHS, *DATE_TIME_PATHS)
    if path.split(".")[0] not in _ARRAYS
)
"""Paths ``sort=`` takes (they cross no array)."""

OPERATORS: dict[str, tuple[str, ...]] = {
    "eq": ("=", ".eq=", ".EQ="),
    "ne": (".ne=", "!="),
    "gt": (".gt=", ">", "%3E"),
    "gte": (".gte=", ">=", "%3E%3D", ">%3D", "%3e="),
    "lt": (".lt=", "<", "%3C"),
    "lte": (".lte=", "<=", "%3C%3D", "%3c="),
    "regex": (".regex=", "*=", "=~"),
}
"""Each operator and the ways a query may write it between name and value."""

PATTERNS = (
    "^o",
    "n$",
    "ï",
    "^$",
    "P[12]",
    "[A-Z]",
    "a,b",
    r"^\+",
    "日",
    "(?i)open",
    "ope",
    "(?i)OPE",
    "cus.*mer",
    "(clo|ope)[sn]?",
    "50%",
    "ag(en)+t",
    "Ünï",
    "(?i)ÜNÏ",
    "(?i)cust|OPEN",
    "x y|日本",
)
"""Regular expressions (RE2) for ``regex`` conditions: some without a literal of 3
or more characters (they scan), some with (the stores' trigram index), some
case-insensitive."""

_FIELDS = (
    "status",
    "reason",
    "direction",
    "channel",
    "relatedParty.role",
    "interactionDate.startDateTime",
    "x-ext",
    "none",
)
_QUERY_WORDS = st.one_of(
    words, words, st.sampled_from([*WORDS, "Individual", "P1\x00"])
)
"""Texts asked for: the documents' words, and one with NUL, which no text equals."""


def _encoded(text: str, form: int) -> str:
    """``text`` as a query may write it: encoded, half-encoded or in double quotes."""
    if form == 1:
        return quote(text, safe="+:")
    if form == 2:
        return '"' + quote(text, safe=",+") + '"'
    if form == 3:
        return "%22" + quote(text, safe="") + "%22"
    return quote(text, safe="")


def _value(kind: str, draw: st.DrawFn) -> str:
    form = draw(st.integers(0, 3))
    if kind == "number":
        return _encoded(str(draw(numbers)), form)
    if kind == "date-time":
        text = draw(date_time_texts)
        if form == 1 and draw(st.booleans()):
            return quote(text, safe=":").replace("%2B", "%20")  # a client's "+" as " "
        return _encoded(text, form)
    return _encoded(draw(_QUERY_WORDS), form)


def _kind(path: str) -> str:
    if path in DATE_TIME_PATHS:
        return "date-time"
    if path in NUMBER_PATHS:
        return "number"
    if path in TEXT_PATHS:
        return "text"
    raise ValueError(f"{path!r} is not one of the filterable paths of tmf683.testing")


@st.composite
def _condition(
    draw: st.DrawFn, paths: list[str], operators: list[str], alternatives: bool
) -> tuple[str, str]:
    """One ``name<op>value`` expression and its path."""
    path = draw(st.sampled_from(paths))
    operator = draw(st.sampled_from(operators))
    spelling = draw(st.sampled_from(OPERATORS[operator]))
    if operator == "regex":
        pattern = draw(st.sampled_from(PATTERNS))
        value = _encoded(pattern, draw(st.sampled_from([0, 0, 2]))).replace("%2C", ",")
    else:
        count = draw(st.integers(1, 3)) if alternatives else 1
        value = ",".join(_value(_kind(path), draw) for _ in range(count))
    return f"{path}{spelling}{value}", path


def _controls(draw: st.DrawFn) -> list[str]:
    parts = []
    if fields := draw(st.lists(st.sampled_from(_FIELDS), max_size=3, unique=True)):
        parts.append("fields=" + ",".join(fields))
    keys = draw(st.lists(st.sampled_from(SORT_PATHS), max_size=3, unique=True))
    if keys:
        signs = [draw(st.sampled_from(["", "-", "+"])) for _ in keys]
        parts.append("sort=" + ",".join(map(str.__add__, signs, keys)))
    for name in ("offset", "limit"):
        if (number := draw(st.one_of(st.none(), st.integers(0, 5)))) is not None:
            parts.append(f"{name}={number}")
    return parts


def query_strings(
    *,
    paths: Collection[str] | None = None,
    operators: Collection[str] | None = None,
    alternatives: bool = True,
    controls: bool = True,
    max_clauses: int = 4,
) -> st.SearchStrategy[str]:
    """Draw TMF630 list query strings over PartyInteraction documents (TMF630 Part 1).

    Each string is raw (percent-encoded, as after ``?``) and parses with
    :func:`tmf683.parse_query`. It ANDs (``&``) 0 to ``max_clauses`` clauses in any
    order with the controls. A clause is one condition, or conditions ORed by ``;``.
    A condition is a path (dotted into objects and arrays), an operator written
    every way :data:`OPERATORS` lists (``=``, the suffixes ``.eq`` ... ``.regex``,
    ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``*=``, ``=~``, raw or percent-encoded)
    and a value: a text of the documents' vocabulary, a date-time at some UTC
    offset, a number, or an RE2 pattern; percent-encoded, half-encoded (a literal
    ``+``) or in double quotes; 1 to 3 values ORed by commas. The same attribute may
    come twice (equality repeated: OR; other operators: AND). The controls are
    ``fields=``, ``sort=`` (``-``/``+`` keys), ``offset=`` and ``limit=`` (0 to 5).

    Args:
        paths: the filterable paths to use; default every one of
            :data:`TEXT_PATHS`, :data:`DATE_TIME_PATHS` and :data:`NUMBER_PATHS`.
        operators: the operators to use, keys of :data:`OPERATORS` (``"eq"``, ...,
            ``"regex"``); default all.
        alternatives: also OR within a clause: several values by commas,
            expressions by ``;``, the same attribute repeated. Without, each
            condition has one value and each path comes once.
        controls: also draw ``fields``, ``sort``, ``offset`` and ``limit``.
        max_clauses: most clauses, >= 0.

    Returns:
        A strategy of query strings, e.g.
        ``"relatedParty.id=P1,%22a,b%22&creationDate.gte=2024-01-01T05:30:00+05:30"``.

    Raises:
        ValueError: a path not among the filterable ones, or an unknown operator.
    """
    chosen_paths = list(paths or (*TEXT_PATHS, *DATE_TIME_PATHS, *NUMBER_PATHS))
    for path in chosen_paths:
        _kind(path)
    chosen_operators = list(operators or OPERATORS)
    if unknown := set(chosen_operators) - set(OPERATORS):
        raise ValueError(f"unknown operators {sorted(unknown)}; use {list(OPERATORS)}")

    # mostly one or two clauses: they AND, and many rarely hold together
    clause_counts = st.sampled_from(
        [
            n
            for n in (1, 1, 1, 2, 2, 3, 0, *range(4, max_clauses + 1))
            if n <= max_clauses
        ]
    )

    @st.composite
    def draw_query(draw: st.DrawFn) -> str:
        parts: list[str] = []
        used: list[str] = []
        for _ in range(draw(clause_counts)):
            available = (
                chosen_paths
                if alternatives
                else [p for p in chosen_paths if p not in used]
            )
            if not available:
                break
            if alternatives and used and draw(st.integers(0, 4)) == 0:
                available = used  # the same attribute again
            count = draw(st.integers(1, 2)) if alternatives else 1
            drawn = [
                draw(_condition(available, chosen_operators, alternatives))
                for _ in range(count)
            ]
            used += [path for _, path in drawn]
            parts.append(";".join(text for text, _ in drawn))
        if controls:
            parts += _controls(draw)
        order: Any = draw(st.permutations(parts))
        return "&".join(order)

    return draw_query()
