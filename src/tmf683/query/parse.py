"""Parse a raw query string into a :class:`~tmf683.query.ast.Query` (TMF630 Part 1).

Takes the string exactly as it came after ``?`` (falcon's ``req.query_string``), because
the TMF grammar gives meaning to what generic parsers reshape:

- ``&`` separates parameters; ``name=value`` is an equality filter.
- A comma in a value means OR (``status=open,completed``); a percent-encoded comma
  (``%2C``) is part of the value. A value in double quotes loses its quotes.
- The same attribute repeated means OR (``status=open&status=completed``); different
  attributes are ANDed.
- ``+`` is a literal plus (as in a date-time offset), not a space; a space is ``%20``.
- ``fields``, ``offset``, ``limit`` and ``sort`` are reserved names.

This version filters and sorts on first-level attributes: strings exactly, date-times
as instants; attributes outside the schema as strings. The other TMF630 forms (dotted
paths, ``.gt``-style and ``>=``-style operators, ``=~`` regex, ``;`` between
expressions) are refused with :class:`~tmf683.errors.InvalidQueryError` rather than
answered wrongly; a literal ``~`` at the start of a value or a literal ``;`` is written
percent-encoded (``%7E``, ``%3B``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from tmf683.errors import InvalidQueryError
from tmf683.query.ast import Condition, Operator, Path, Query, SortKey
from tmf683.query.schema import AttributeKind, top_level_kinds
from tmf683.serialization import format_datetime, parse_datetime

__all__ = ["RESERVED_PARAMETERS", "parse_fields", "parse_query"]

RESERVED_PARAMETERS = frozenset({"fields", "offset", "limit", "sort"})
"""Query parameters that control the response instead of filtering."""

MAX_QUERY_LENGTH = 16_384
"""Longest query string accepted, in characters."""

MAX_NUMBER_DIGITS = 18
"""Most digits of ``offset`` and ``limit`` (below 2**63, what SQL engines take)."""

MAX_CONDITIONS = 100
"""Most attributes one filter may name."""

MAX_SORT_KEYS = 20
"""Most keys ``sort=`` may have."""

SUFFIX_OPERATORS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "regex"})
_OPERATOR_CHARACTERS = frozenset("<>!*~")
_EQUALITY_ONLY = "this server version supports equality filters (attr=value) only"


_QUOTE = ('"', "%22")


def _split_values(raw: str) -> list[str]:
    """Split a raw value on the commas outside double quotes, then decode each part.

    ``raw`` is still percent-encoded, so ``%2C`` is never a separator; a part in
    double quotes (raw or ``%22``) loses them.
    """
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(raw):
        quote = next((q for q in _QUOTE if raw.startswith(q, index)), None)
        if quote:
            quoted = not quoted
            current.append(quote)
            index += len(quote)
            continue
        if raw[index] == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(raw[index])
        index += 1
    parts.append("".join(current))
    values: list[str] = []
    for part in parts:
        text = unquote(part, errors="strict")
        if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
            text = text[1:-1]
        values.append(text)
    return values


def _check_path(parameter: str, name: str) -> Path:
    if not name or not name.strip():
        raise InvalidQueryError(parameter or "(empty)", "has an empty attribute name")
    if '"' in name:
        raise InvalidQueryError(parameter, "has a double quote in its attribute name")
    if any(ord(character) < 0x20 or character == "\x7f" for character in name):
        raise InvalidQueryError(parameter, "has a control character in its name")
    if _OPERATOR_CHARACTERS & set(name):
        raise InvalidQueryError(
            parameter, f"uses a comparison or regex operator; {_EQUALITY_ONLY}"
        )
    path = tuple(name.split("."))
    if any(not part for part in path):
        raise InvalidQueryError(parameter, "has an empty step in its attribute path")
    if len(path) > 1 and path[-1] in SUFFIX_OPERATORS:
        raise InvalidQueryError(
            parameter, f"uses the operator .{path[-1]}; {_EQUALITY_ONLY}"
        )
    if len(path) > 1:
        raise InvalidQueryError(
            parameter,
            "names a sub-attribute; this server filters and sorts on first-level "
            "attributes such as status or creationDate",
        )
    kind = top_level_kinds().get(path[0], AttributeKind.STRING)
    if kind is AttributeKind.COMPLEX:
        raise InvalidQueryError(
            parameter,
            f"names {path[0]}, an object or array; it cannot be compared as a whole",
        )
    return path


_OFFSET_SPACE = re.compile(r" (\d{2}:\d{2})$")
"""A space where a date-time's ``+`` offset was: some clients send ``+`` as a space."""


def _typed_value(parameter: str, path: Path, value: str) -> str:
    kind = top_level_kinds().get(path[0], AttributeKind.STRING)
    if kind is AttributeKind.DATE_TIME:
        try:
            return format_datetime(parse_datetime(_OFFSET_SPACE.sub(r"+\1", value)))
        except ValueError as exc:
            raise InvalidQueryError(
                parameter,
                f"value '{value}' is not a date-time with a UTC offset, "
                "e.g. 2024-05-01T10:00:00Z",
            ) from exc
    return value


def _non_negative(parameter: str, raw: str) -> int:
    text = unquote(raw).strip()
    if not text.isdigit() or not text.isascii():
        raise InvalidQueryError(parameter, f"must be a whole number >= 0, not '{text}'")
    if len(text.lstrip("0")) > MAX_NUMBER_DIGITS:
        raise InvalidQueryError(
            parameter, f"must have at most {MAX_NUMBER_DIGITS} digits"
        )
    return int(text)


def _names(parameter: str, raw: str) -> list[str]:
    names = [unquote(part).strip() for part in raw.split(",")]
    names = [name for name in names if name]
    if not names:
        raise InvalidQueryError(parameter, "needs at least one attribute name")
    return names


def _parse_fields(raw: str) -> tuple[Path, ...]:
    names = _names("fields", raw)
    if names == ["none"]:
        return ()
    paths: list[Path] = []
    for name in names:
        path = tuple(name.split("."))
        if any(not part for part in path):
            raise InvalidQueryError("fields", f"has an empty step in '{name}'")
        paths.append(path)
    return tuple(paths)


def _parse_sort(raw: str) -> tuple[SortKey, ...]:
    if raw.count(",") >= MAX_SORT_KEYS:
        raise InvalidQueryError("sort", f"has more than {MAX_SORT_KEYS} keys")
    keys: list[SortKey] = []
    for name in _names("sort", raw):
        descending = name.startswith("-")
        bare = name[1:].strip() if name[:1] in "+-" else name
        keys.append(SortKey(_check_path("sort", bare), descending))
    return tuple(keys)


def parse_query(query_string: str) -> Query:
    """Parse a raw URL query string into a typed :class:`Query`.

    Args:
        query_string: the text after ``?``, still percent-encoded, e.g.
            ``"status=open,completed&fields=id,status&limit=10"``. Empty is no query.

    Returns:
        The query; conditions on one attribute are merged into one ORed condition.

    Raises:
        InvalidQueryError: for a parameter that cannot be applied: an empty name, a
            name without ``=``, a sub-attribute or whole object, a value that does not
            fit the attribute's type, a repeated ``fields``/``offset``/``limit``/
            ``sort``, or a bad ``offset``/``limit``; it names the parameter.
    """
    if len(query_string) > MAX_QUERY_LENGTH:
        raise InvalidQueryError(
            "(query string)", f"is longer than {MAX_QUERY_LENGTH} characters"
        )
    values: dict[Path, list[str]] = {}
    parameters: dict[Path, str] = {}
    controls: dict[str, str] = {}
    for pair in query_string.split("&"):
        if not pair:
            continue
        raw_name, equals, raw_value = pair.partition("=")
        try:
            name = unquote(raw_name, errors="strict")
            if not equals:
                if _OPERATOR_CHARACTERS & set(name):
                    raise InvalidQueryError(
                        name, f"uses a comparison operator; {_EQUALITY_ONLY}"
                    )
                raise InvalidQueryError(name or "(empty)", "has no '=' and no value")
            if name in RESERVED_PARAMETERS:
                if name in controls:
                    raise InvalidQueryError(name, "is given more than once")
                controls[name] = raw_value
                continue
            path = _check_path(name, name)
            if ";" in raw_value:
                raise InvalidQueryError(
                    name,
                    "uses ';' between expressions, which this server version does not "
                    "support; use a comma for OR, or %3B for a literal ';'",
                )
            if raw_value.startswith("~"):
                raise InvalidQueryError(
                    name,
                    f"uses the regex operator =~; {_EQUALITY_ONLY}; write a literal "
                    "leading '~' as %7E",
                )
            typed = [_typed_value(name, path, v) for v in _split_values(raw_value)]
        except UnicodeDecodeError as exc:
            raise InvalidQueryError(
                unquote(raw_name), "is not valid percent-encoded UTF-8"
            ) from exc
        values.setdefault(path, []).extend(typed)
        if len(values) > MAX_CONDITIONS:
            raise InvalidQueryError(
                name,
                f"is one attribute too many: a filter names {MAX_CONDITIONS} at most",
            )
        parameters.setdefault(path, name)
    conditions = tuple(
        Condition(path, Operator.EQ, tuple(dict.fromkeys(found)), parameters[path])
        for path, found in values.items()
    )
    return Query(
        conditions=conditions,
        fields=_parse_fields(controls["fields"]) if "fields" in controls else None,
        sort=_parse_sort(controls["sort"]) if "sort" in controls else (),
        offset=_non_negative("offset", controls["offset"])
        if "offset" in controls
        else 0,
        limit=_non_negative("limit", controls["limit"])
        if "limit" in controls
        else None,
    )


def parse_fields(query_string: str) -> tuple[Path, ...] | None:
    """Parse the query string of a single-resource operation: only ``fields`` applies.

    Used for retrieve, create, patch and delete (TMF630 Part 1, attribute selection).

    Args:
        query_string: the raw text after ``?``.

    Returns:
        The ``fields=`` selection as in :attr:`tmf683.query.ast.Query.fields`;
        ``None`` without it.

    Raises:
        InvalidQueryError: for any other parameter, or a malformed ``fields``.
    """
    for pair in query_string.split("&"):
        name = unquote(pair.partition("=")[0])
        if pair and name != "fields":
            raise InvalidQueryError(
                name or "(empty)",
                "does not apply to a single PartyInteraction; only fields does",
            )
    return parse_query(query_string).fields
