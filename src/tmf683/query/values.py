"""Filter values as TMF630 writes them: split on commas, unquoted, typed by schema.

Works on the raw (still percent-encoded) text, so ``%2C`` stays a literal comma.
"""

from __future__ import annotations

import math
import re
from urllib.parse import unquote

from tmf683._datetimes import format_datetime, parse_datetime
from tmf683._errors import InvalidQueryError
from tmf683.query.ast import Value
from tmf683.query.schema import AttributeKind

_OFFSET_SPACE = re.compile(r" (\d{2}:\d{2})$")
"""A space where a date-time's ``+`` offset was: some clients send ``+`` as a space."""
_QUOTE = ('"', "%22")


def split_values(raw: str) -> list[str]:
    """Split a raw value on the commas outside double quotes, then decode each part.

    Args:
        raw: the value as sent, e.g. ``'open,"a,b",%22c%22'``.

    Returns:
        The decoded values, each without enclosing double quotes:
        ``["open", "a,b", "c"]``.

    Raises:
        UnicodeDecodeError: a part is not valid percent-encoded UTF-8.
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
    return [unquoted(unquote(part, errors="strict")) for part in parts]


def unquoted(text: str) -> str:
    """Drop one pair of enclosing double quotes (``"P1"`` -> ``P1``)."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    return text


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_EXCESS_FRACTION = re.compile(r"\.[0-9]{6}([0-9]+)")


def _number(parameter: str, value: str) -> float:
    """A JSON number: an int when written as one (exact), else a finite float."""
    if not _JSON_NUMBER.fullmatch(value):
        raise InvalidQueryError(parameter, f"value '{value}' is not a number")
    if value.lstrip("-").isdigit():
        try:
            return int(value)  # exact: an int compares exactly with stored integers
        except ValueError as exc:  # more digits than Python converts (4,300)
            raise InvalidQueryError(
                parameter, f"value '{value[:20]}...' is out of range"
            ) from exc
    number = float(value)
    mantissa = value.lower().split("e")[0]
    if not math.isfinite(number) or (number == 0 and mantissa.strip("-0.")):
        raise InvalidQueryError(parameter, f"value '{value}' is out of range")
    return number


def typed_value(parameter: str, kind: AttributeKind, value: str) -> Value:
    """Type a decoded value for an attribute of ``kind``.

    Args:
        parameter: the query parameter, for messages.
        kind: the attribute's kind.
        value: the decoded text.

    Returns:
        The text; a date-time in canonical UTC form; or a float.

    Raises:
        InvalidQueryError: the value does not fit the kind.
    """
    if kind is AttributeKind.DATE_TIME:
        excess = _EXCESS_FRACTION.search(value)
        if excess and excess.group(1).strip("0"):
            raise InvalidQueryError(
                parameter,
                f"value '{value}' is more precise than microseconds, the precision "
                "tmf683 keeps",
            )
        try:
            return format_datetime(parse_datetime(_OFFSET_SPACE.sub(r"+\1", value)))
        except ValueError as exc:
            raise InvalidQueryError(
                parameter,
                f"value '{value}' is not a date-time with a UTC offset "
                "(RFC 3339, years 0001 to 9999), e.g. 2024-05-01T10:00:00Z",
            ) from exc
    if kind is AttributeKind.NUMBER:
        return _number(parameter, value)
    return value
