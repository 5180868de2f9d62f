"""Parse a raw query string into a :class:`~tmf683.query.ast.Query` (TMF630 Part 1).

Takes the string exactly as it came after ``?`` (falcon's ``req.query_string``), because
the TMF grammar gives meaning to what generic parsers reshape:

- ``&`` separates parameters, ANDed; ``;`` separates expressions, ORed
  (``status=open;status=completed``, ``status=open;direction=inbound``).
- ``name=value`` is equality. Operators come as a suffix (``creationDate.gte=...``:
  ``.eq .ne .gt .gte .lt .lte .regex``) or in the name (``creationDate>=...``,
  ``>``, ``<``, ``<=``, ``!=``, regex ``*=`` and ``=~``), raw or percent-encoded
  (``%3E``, ``%3C``).
- Dotted names reach into objects and arrays (``relatedParty.id``); conditions on the
  same array hold on the same element.
- A comma in a value means OR (``status=open,completed``; for ``ne``: none of them); a
  percent-encoded comma (``%2C``) or one inside double quotes is part of the value,
  and a value in double quotes loses them. A regex is never split on commas.
- The same attribute repeated with equality means OR; with other operators, AND
  (``creationDate.gte=A&creationDate.lt=B`` is a range).
- ``+`` is a literal plus (as in a date-time offset), not a space; a space is ``%20``.
  A literal ``;`` is ``%3B``, a literal leading ``~`` is ``%7E``.
- ``fields``, ``offset``, ``limit`` and ``sort`` are reserved names.

Values are typed by the schema: date-times as instants (any offset), numbers as
numbers, text exactly; attributes outside the schema as text.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from tmf683._errors import InvalidQueryError, PathError, RegexError
from tmf683.query.ast import (
    AnyOf,
    Clause,
    Condition,
    Operator,
    Path,
    Query,
    SortKey,
    Value,
)
from tmf683.query.regex import compile_pattern
from tmf683.query.schema import ResolvedPath, Schema, check_withdrawn, resolve
from tmf683.query.values import split_values, typed_value, unquoted

RESERVED_PARAMETERS = frozenset({"fields", "offset", "limit", "sort"})
"""Query parameters that control the response instead of filtering."""

MAX_QUERY_LENGTH = 16_384
"""Longest query string accepted, in characters."""

MAX_NUMBER_DIGITS = 18
"""Most digits of ``offset`` and ``limit`` (below 2**63, what SQL engines take)."""

MAX_CONDITIONS = 100
"""Most conditions one filter may hold."""

MAX_SORT_KEYS = 20
"""Most keys ``sort=`` may have."""

SUFFIX_OPERATORS = {operator.value: operator for operator in Operator}
"""``.eq`` ... ``.regex``: operators written as the last step of the name."""

_IN_NAME = (
    # (raw token, operator), longest first at each position
    ("%3E%3D", Operator.GTE),
    ("%3C%3D", Operator.LTE),
    (">%3D", Operator.GTE),
    ("<%3D", Operator.LTE),
    (">=", Operator.GTE),
    ("%3E=", Operator.GTE),
    ("<=", Operator.LTE),
    ("%3C=", Operator.LTE),
    ("!=", Operator.NE),
    ("*=", Operator.REGEX),
    ("=~", Operator.REGEX),
    (">", Operator.GT),
    ("%3E", Operator.GT),
    ("<", Operator.LT),
    ("%3C", Operator.LT),
    ("=", Operator.EQ),
)
IN_NAME_OPERATORS = (">=", "<=", "!=", "*=", "=~", ">", "<")
"""The operators a parameter may carry in its name (``status!=open``), longest first."""
_OPERATOR_START = re.compile(r"[<>=!*]|%3[CEce]")
_SECOND_OPERATOR = re.compile(r"[<>=!]")
_FORBIDDEN_IN_NAMES = frozenset('<>!*~"=;&\\')
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _split_expression(raw: str) -> tuple[str, Operator, str]:
    """Split ``name<op>value`` at its first operator: raw name, operator, raw value."""
    match = _OPERATOR_START.search(raw)
    if match is None:
        name = unquote(raw)
        raise InvalidQueryError(name or "(empty)", "has no '=' and no value")
    position = match.start()
    for token, operator in _IN_NAME:
        if raw[position : position + len(token)].upper() == token.upper():
            value = raw[position + len(token) :]
            if operator is not Operator.REGEX and _SECOND_OPERATOR.match(value):
                raise InvalidQueryError(
                    unquote(raw[:position]) or "(empty)",
                    "has two operators; percent-encode a value that starts with "
                    "<, >, = or !",
                )
            return raw[:position], operator, value
    name = unquote(raw[: position + 1])
    raise InvalidQueryError(
        name, "uses an operator that is not =, !=, <, <=, >, >=, *="
    )


def _check_name(parameter: str, name: str) -> Path:
    if not name.strip():
        raise InvalidQueryError(parameter or "(empty)", "has an empty attribute name")
    if _FORBIDDEN_IN_NAMES & set(name):
        raise InvalidQueryError(
            parameter, "has an operator character or a quote inside its attribute name"
        )
    if any(ord(character) < 0x20 or character == "\x7f" for character in name):
        raise InvalidQueryError(parameter, "has a control character in its name")
    path = tuple(name.split("."))
    if any(not part for part in path):
        raise InvalidQueryError(parameter, "has an empty step in its attribute path")
    return path


def _resolve(parameter: str, path: Path, schema: Schema) -> ResolvedPath:
    try:
        return resolve(path, schema)
    except PathError as exc:
        raise InvalidQueryError(parameter, str(exc)) from exc


def _bound(operator: Operator, values: tuple[Value, ...]) -> tuple[Value, ...]:
    """ORed bounds of one comparison are one bound: the loosest (``> 1,2`` is ``> 1``).

    The values of one condition share the attribute's kind, so they compare.
    """
    if len(values) < 2 or operator in (Operator.EQ, Operator.NE, Operator.REGEX):
        return values
    loosest = min if operator in (Operator.GT, Operator.GTE) else max
    return (loosest(values),)


def _condition(raw: str, schema: Schema) -> Condition:
    raw_name, operator, raw_value = _split_expression(raw)
    try:
        name = unquote(raw_name, errors="strict")
        parameter = name
        path = _check_name(parameter, name)
        if len(path) > 1 and path[-1].lower() in SUFFIX_OPERATORS:
            if operator is not Operator.EQ:
                raise InvalidQueryError(parameter, "has two operators")
            operator = SUFFIX_OPERATORS[path[-1].lower()]
            path = path[:-1]
        if path[0] in RESERVED_PARAMETERS:
            raise InvalidQueryError(
                parameter, f"uses {path[0]}, which takes '=' only, not an operator"
            )
        resolved = _resolve(parameter, path, schema)
        if operator is Operator.REGEX:
            pattern = unquoted(unquote(raw_value, errors="strict"))
            try:
                compile_pattern(pattern)
            except RegexError as exc:
                raise InvalidQueryError(parameter, f"pattern {exc}") from exc
            values: tuple[Value, ...] = (pattern,)
        else:
            typed = [
                typed_value(parameter, resolved.kind, v)
                for v in split_values(raw_value)
            ]
            values = _bound(operator, tuple(dict.fromkeys(typed)))
    except UnicodeDecodeError as exc:
        raise InvalidQueryError(
            unquote(raw_name), "is not valid percent-encoded UTF-8"
        ) from exc
    return Condition(
        resolved.path, operator, values, resolved.kind, resolved.arrays, parameter
    )


def _non_negative(parameter: str, raw: str) -> int:
    text = unquote(raw).strip()
    if not text.isdigit() or not text.isascii():
        raise InvalidQueryError(parameter, f"must be a whole number >= 0, not '{text}'")
    if len(text.lstrip("0")) > MAX_NUMBER_DIGITS:
        raise InvalidQueryError(
            parameter, f"must have at most {MAX_NUMBER_DIGITS} digits"
        )
    return int(text)


def _names(parameter: str, raw: str, *, empty_ok: bool = False) -> list[str]:
    try:
        names = [unquote(part, errors="strict").strip() for part in raw.split(",")]
    except UnicodeDecodeError as exc:
        raise InvalidQueryError(
            parameter, "is not valid percent-encoded UTF-8"
        ) from exc
    names = [name for name in names if name]
    if not names and not empty_ok:
        raise InvalidQueryError(parameter, "needs at least one attribute name")
    return names


def check_field(parameter: str, path: Path, schema: Schema) -> Path:
    """Return a ``fields=`` path unless it goes through a withdrawn name.

    A ``fields=`` path may end at an object or name what the schema does not know
    (it selects nothing then); only a name the schema withdraws
    (``withdrawn`` of :class:`tmf683.query.schema.Schema`) is refused.

    Args:
        parameter: the query parameter, for the error (``"fields"``).
        path: the selected path, e.g. ``("relatedParty", "id")``.
        schema: the resource's type.

    Returns:
        ``path``.

    Raises:
        InvalidQueryError: a step of ``path`` is withdrawn.
    """
    try:
        check_withdrawn(path, schema)
    except PathError as exc:
        raise InvalidQueryError(parameter, str(exc)) from exc
    return path


def _parse_fields(raw: str, schema: Schema) -> tuple[Path, ...] | None:
    # an empty fields= selects nothing in particular: every attribute, as without it
    # (the swagger's fields is a plain string, and "" is one)
    names = _names("fields", raw, empty_ok=True)
    if not names:
        return None
    if names == ["none"]:
        return ()
    return tuple(
        check_field("fields", _check_name("fields", name), schema) for name in names
    )


def _parse_sort(raw: str, schema: Schema) -> tuple[SortKey, ...]:
    if raw.count(",") >= MAX_SORT_KEYS:
        raise InvalidQueryError("sort", f"has more than {MAX_SORT_KEYS} keys")
    keys: list[SortKey] = []
    for name in _names("sort", raw):
        descending = name.startswith("-")
        bare = name[1:].strip() if name[:1] in "+-" else name
        if bare[:1] in ("+", "-"):
            raise InvalidQueryError("sort", f"key '{name}' has two signs")
        resolved = _resolve("sort", _check_name("sort", bare), schema)
        if resolved.arrays:
            array = resolved.path[resolved.arrays[0]]
            raise InvalidQueryError(
                "sort", f"key '{bare}' crosses the array {array}: which element?"
            )
        keys.append(SortKey(resolved.path, descending, resolved.kind))
    return tuple(keys)


def _merge(clauses: list[Clause], condition: Condition) -> None:
    """Add an ANDed condition; equality on an attribute seen with equality is ORed."""
    if condition.operator is Operator.EQ:
        for index, clause in enumerate(clauses):
            if (
                isinstance(clause, Condition)
                and clause.operator is Operator.EQ
                and clause.path == condition.path
            ):
                values = tuple(dict.fromkeys(clause.values + condition.values))
                clauses[index] = Condition(
                    clause.path,
                    Operator.EQ,
                    values,
                    clause.kind,
                    clause.arrays,
                    clause.parameter,
                )
                return
    clauses.append(condition)


def _one_clause(conditions: list[Condition]) -> Clause:
    """The clause of ``;``-separated expressions: one condition when they can merge."""
    first = conditions[0]
    if all(c.operator is Operator.EQ and c.path == first.path for c in conditions):
        values = tuple(dict.fromkeys(v for c in conditions for v in c.values))
        return Condition(
            first.path, Operator.EQ, values, first.kind, first.arrays, first.parameter
        )
    if len(conditions) == 1:
        return first
    return AnyOf(tuple(conditions))


def parse_query(query_string: str, *, schema: Schema) -> Query:
    """Parse a raw URL query string into a typed :class:`Query` (TMF630 Part 1).

    Args:
        query_string: the text after ``?``, still percent-encoded, e.g.
            ``"status=open,completed&creationDate.gte=2024-01-01T00:00:00Z&limit=10"``.
            Empty is no query.
        schema: the object type attribute paths start from, e.g. the TMF683 v4
            PartyInteraction (:data:`tmf683._schema.PARTY_INTERACTION_SCHEMA`).

    Returns:
        The query.

    Raises:
        InvalidQueryError: for a parameter that cannot be applied, naming it: an
            empty name, no ``=``, an unknown operator, a path that ends at an object
            or crosses an unknown name, a value that does not fit the attribute's
            type, an invalid or too long regex, a repeated ``fields``/``offset``/
            ``limit``/``sort``, a bad ``offset``/``limit``, too many conditions or
            sort keys, or a query string over :data:`MAX_QUERY_LENGTH` characters.
    """
    if len(query_string) > MAX_QUERY_LENGTH:
        raise InvalidQueryError(
            "(query string)", f"is longer than {MAX_QUERY_LENGTH} characters"
        )
    clauses: list[Clause] = []
    controls: dict[str, str] = {}
    count = 0
    for item in query_string.split("&"):
        if not item:
            continue
        name, equals, raw_value = item.partition("=")
        control = unquote(name)
        if _BROKEN_ESCAPE.search(item):
            raise InvalidQueryError(
                control or "(empty)", "has a '%' that starts no escape; write % as %25"
            )
        if equals and control in RESERVED_PARAMETERS:
            if control in controls:
                raise InvalidQueryError(control, "is given more than once")
            if ";" in raw_value:
                raise InvalidQueryError(control, "takes no ';'")
            controls[control] = raw_value
            continue
        conditions = [_condition(part, schema) for part in item.split(";") if part]
        if not conditions:
            continue
        count += len(conditions)
        if count > MAX_CONDITIONS:
            raise InvalidQueryError(
                conditions[-1].parameter,
                f"is one condition too many: a filter holds {MAX_CONDITIONS} at most",
            )
        clause = _one_clause(conditions)
        if isinstance(clause, Condition):
            _merge(clauses, clause)
        else:
            clauses.append(clause)
    return Query(
        conditions=tuple(clauses),
        fields=_parse_fields(controls.get("fields", ""), schema),
        sort=_parse_sort(controls["sort"], schema) if "sort" in controls else (),
        offset=_non_negative("offset", controls["offset"])
        if "offset" in controls
        else 0,
        limit=_non_negative("limit", controls["limit"])
        if "limit" in controls
        else None,
    )


def parse_fields(query_string: str, *, schema: Schema) -> tuple[Path, ...] | None:
    """Parse the query string of a single-resource operation: only ``fields`` applies.

    Used for retrieve, create, patch and delete (TMF630 Part 1, attribute selection).

    Args:
        query_string: the raw text after ``?``.
        schema: the resource's type (its name goes into messages).

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
                f"does not apply to a single {schema.name}; only fields does",
            )
    return parse_query(query_string, schema=schema).fields
