"""Date-times as TMF683 writes them: RFC 3339 in, one canonical UTC text out.

A leaf module: it imports nothing of tmf683. The model's serialization
(:mod:`tmf683._serialization`) and the query engine (:mod:`tmf683.query`) both use it,
so a date-time in a stored document and one in a filter have the same text for the
same instant.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

DATETIME_HINT = "must be a date-time with a UTC offset, e.g. 2024-05-01T10:00:00Z"
"""What a value that :func:`parse_datetime` refuses must be (its error message)."""

_RFC3339_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


def parse_datetime(text: object) -> datetime:
    """Parse an RFC 3339 date-time (the swagger's ``date-time`` format).

    The offset is mandatory (``Z`` or ``+HH:MM``/``-HH:MM``); a space may stand for
    the ``T``. Fractions beyond microseconds are cut off (Python keeps microseconds).

    Args:
        text: e.g. ``"2024-05-01T10:00:00Z"`` or ``"2024-05-01T12:00:00.5+02:00"``.

    Returns:
        An aware datetime whose instant lies in the years 0001 to 9999 in UTC.

    Raises:
        ValueError: with :data:`DATETIME_HINT` as message, when ``text`` is not a
            string, not RFC 3339, has no offset, or its instant falls outside the
            years 0001 to 9999 in UTC.
    """
    if not isinstance(text, str) or not _RFC3339_DATE_TIME.fullmatch(text):
        raise ValueError(DATETIME_HINT)
    normalized = text.upper().replace("Z", "+00:00")
    whole, dot, rest = normalized.partition(".")
    if dot:
        digits = rest[:-6]
        normalized = f"{whole}.{digits[:6].ljust(6, '0')}{rest[-6:]}"
    try:
        value = datetime.fromisoformat(normalized)
        value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(DATETIME_HINT) from exc
    return value


def format_datetime(value: datetime) -> str:
    """Write an aware date-time in UTC, the canonical form tmf683 stores and returns.

    The form has a fixed width, so there is one text per instant and texts sort in
    time order (filters and ``sort=`` rely on both).

    Args:
        value: an aware datetime.

    Returns:
        ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, e.g. ``"2024-05-01T08:00:00.000000Z"``.
    """
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"
