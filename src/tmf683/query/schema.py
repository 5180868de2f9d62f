"""What the query engine knows of the PartyInteraction schema: each attribute's kind.

Derived from :class:`tmf683.model.PartyInteraction`, so the model stays the one source.
"""

from __future__ import annotations

import enum
import typing
from datetime import datetime
from functools import cache

import attrs

from tmf683.model import PartyInteraction
from tmf683.serialization import json_name

__all__ = ["AttributeKind", "top_level_kinds"]


class AttributeKind(enum.Enum):
    """How values of an attribute compare in filters and sorting."""

    STRING = "string"
    """Compared exactly, character by character."""
    DATE_TIME = "date-time"
    """Compared as instants, whatever offset the client wrote."""
    COMPLEX = "complex"
    """An object or an array; reached through a dotted path, not compared whole."""
    NUMBER = "number"
    """Compared numerically."""


def _kind(hint: object) -> AttributeKind:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    base = args[0] if args else hint
    if base is str:
        return AttributeKind.STRING
    if base is datetime:
        return AttributeKind.DATE_TIME
    if base is float:
        return AttributeKind.NUMBER
    return AttributeKind.COMPLEX


@cache
def top_level_kinds() -> dict[str, AttributeKind]:
    """Map each top-level JSON attribute of PartyInteraction to its kind.

    Returns:
        e.g. ``{"id": STRING, "creationDate": DATE_TIME, "channel": COMPLEX, ...}``.
        Extension attributes are absent: they compare as strings.
    """
    hints = typing.get_type_hints(PartyInteraction)
    return {
        json_name(field.name): _kind(hints[field.name])
        for field in attrs.fields(PartyInteraction)
        if field.name != "extensions"
    }
