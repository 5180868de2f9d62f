"""The forms the service takes its query arguments in, read into parsed values.

:func:`read_selection` reads the ``fields`` of a single-resource operation (TMF630
Part 1, attribute selection) and :func:`read_list_query` the query of a list; both
raise :class:`TypeError` naming what they accept for a value of any other kind, so
that ``fields="status"`` is never read as a sequence of characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from tmf683._errors import InvalidQueryError
from tmf683._schema import PARTY_INTERACTION_SCHEMA, parse_fields, parse_query
from tmf683.query.ast import Path, Query
from tmf683.query.parse import IN_NAME_OPERATORS, check_field
from tmf683.query.schema import Schema

FIELDS_FORMS = (
    "a fields value such as 'status,reason' or 'relatedParty.id', a sequence of "
    "such strings or of paths (tuples of str, as in Query.fields), or None"
)
LIST_QUERY_FORMS = (
    "a query string such as 'status=open&limit=10', a Query, or a mapping of "
    "parameter names to a str or a list of str (a repeated parameter)"
)
_SAFE_NAME = ".@"
_SAFE_VALUE = ',"'
"""Kept as written: ``,`` separates values, ``"`` quotes a value holding a comma.
Every other character is a character of the value: ``~``, which ``quote`` keeps
(RFC 3986 unreserved), is encoded too, or ``reason=~x`` would read as ``=~``."""


def _fields_value(text: str, schema: Schema) -> tuple[Path, ...] | None:
    """Parse one raw ``fields=`` value; an ``&`` in it is a character, not a split.

    ``None`` for an empty value (every attribute, as ``fields=`` in a URL).
    """
    return parse_query("fields=" + text.replace("&", "%26"), schema=schema).fields


def read_selection(
    fields: object,
    query: str | None = None,
    *,
    schema: Schema = PARTY_INTERACTION_SCHEMA,
) -> tuple[Path, ...] | None:
    """Read the attribute selection of a retrieve, create, patch or delete.

    Args:
        fields: ``None`` for every attribute; a raw ``fields=`` value in the query
            syntax (``"status,reason"``, ``"relatedParty.id"``, ``"none"`` for only
            ``id`` and ``href``); or a sequence whose items are such strings or
            paths (tuples of str, e.g. ``("relatedParty", "id")``).
        schema: the resource's type (the v4 PartyInteraction unless given).
        query: instead of ``fields``, the raw query string of the request, where
            only ``fields=`` applies (what an HTTP adapter has).

    Returns:
        The selected paths, as in :attr:`tmf683.Query.fields`; ``None`` for all.

    Raises:
        TypeError: ``fields`` of another kind, or both ``fields`` and ``query``.
        InvalidQueryError: a malformed selection, or a parameter other than
            ``fields`` in ``query``.
    """
    if query is not None:
        if fields is not None:
            raise TypeError("give fields or query, not both")
        if not isinstance(query, str):
            raise TypeError(
                f"query must be the raw query string (str); got {type(query).__name__}"
            )
        return parse_fields(query, schema=schema)
    if fields is None:
        return None
    if isinstance(fields, str):
        return _fields_value(fields, schema)
    if isinstance(fields, Sequence) and not isinstance(fields, bytes | bytearray):
        paths: list[Path] = []
        for item in fields:
            if isinstance(item, str):
                paths += _fields_value(item, schema) or ()
            elif (
                isinstance(item, tuple)
                and item
                and all(isinstance(n, str) for n in item)
            ):
                paths.append(check_field("fields", item, schema))
            else:
                raise TypeError(
                    f"fields items must be str or paths (non-empty tuples of str), "
                    f"not {item!r}"
                )
        return tuple(paths)
    raise TypeError(f"fields must be {FIELDS_FORMS}; got {type(fields).__name__}")


def _pairs(name: object, value: object) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(name, str)
        or not isinstance(values, list)
        or not all(isinstance(item, str) for item in values)
    ):
        raise TypeError(
            f"query must be {LIST_QUERY_FORMS}; got {name!r}: {value!r} in a mapping"
        )
    operator = next((op for op in IN_NAME_OPERATORS if name.endswith(op)), "")
    joint = operator if operator and name != operator else "="
    attribute = name.removesuffix(operator) if joint == operator else name
    try:
        key = quote(attribute, safe=_SAFE_NAME)
        return [
            f"{key}{joint}{quote(item, safe=_SAFE_VALUE).replace('~', '%7E')}"
            for item in values
        ]
    except UnicodeEncodeError as exc:
        raise InvalidQueryError(
            name, "holds an unpaired surrogate: not Unicode text, matches nothing"
        ) from exc


def read_list_query(
    query: object, *, schema: Schema = PARTY_INTERACTION_SCHEMA
) -> Query:
    """Read the query of a list (TMF630 Part 1 filtering, paging, sorting, fields).

    Args:
        query: a raw query string, still percent-encoded; a parsed :class:`Query`;
            or a mapping such as ``{"status": ["open", "held"], "limit": "10"}``
            whose values are in the query syntax (commas separate alternatives)
            but not percent-encoded, a list standing for a repeated parameter. A
            name carries its operator as a suffix (``"creationDate.gte"``) or at
            its end as in a URL (``"creationDate>="``, ``"status!="``,
            ``"reason*="``, ``"status>"``); ``;`` in a value is a character.
        schema: the resource's type (the v4 PartyInteraction unless given).

    Returns:
        The parsed query.

    Raises:
        TypeError: a query of another kind, or a mapping with a name that is not a
            str or a value that is neither a str nor a list of str.
        InvalidQueryError: a query that does not parse, or a mapping holding an
            unpaired surrogate.
    """
    if isinstance(query, Query):
        return query
    if isinstance(query, str):
        return parse_query(query, schema=schema)
    if isinstance(query, Mapping):
        pairs = [pair for name, value in query.items() for pair in _pairs(name, value)]
        return parse_query("&".join(pairs), schema=schema)
    raise TypeError(f"query must be {LIST_QUERY_FORMS}; got {type(query).__name__}")
