"""The TMF683 v4 schema for the query engine, derived once from the attrs model.

The query engine (:mod:`tmf683.query`) knows no API version: it takes a
:class:`~tmf683.query.schema.Schema`. This module builds the v4 ones from the model
(:mod:`tmf683._model`, with the JSON names of :func:`tmf683._serialization.json_name`),
so the model stays the one source, and binds the engine's entry points to the v4
PartyInteraction by default.
"""

from __future__ import annotations

import typing
from datetime import datetime
from functools import cache

import attrs

from tmf683._model import PartyInteraction, PartyInteractionEvent
from tmf683._serialization import json_fields, json_name
from tmf683.query import parse as _parse
from tmf683.query.ast import Path, Query
from tmf683.query.schema import AttributeKind, Schema, SchemaAttribute

_EXTENSIONS = "extensions"
"""The model's field for attributes outside the schema (no JSON name of its own)."""

_LEAF_KINDS: dict[object, AttributeKind] = {
    str: AttributeKind.STRING,
    datetime: AttributeKind.DATE_TIME,
    float: AttributeKind.NUMBER,
}


def _unwrap(hint: object) -> tuple[object, bool]:
    """Strip ``| None`` and ``list[...]``: return the item type and whether a list."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    base = args[0] if typing.get_origin(hint) is not list and args else hint
    if typing.get_origin(base) is list:
        return typing.get_args(base)[0], True
    return base, False


def _attribute(name: str, hint: object) -> SchemaAttribute:
    item_type, is_list = _unwrap(hint)
    if item_type in _LEAF_KINDS:
        return SchemaAttribute(name, _LEAF_KINDS[item_type], is_list)
    if not attrs.has(typing.cast(type, item_type)):
        raise TypeError(f"attribute '{name}': no query kind for {item_type!r}")
    schema = schema_of(typing.cast(type, item_type))
    return SchemaAttribute(name, AttributeKind.OBJECT, is_list, schema)


@cache
def schema_of(cls: type) -> Schema:
    """Derive the query schema of an attrs model class.

    Each field becomes an attribute under its JSON name, in JSON order; ``str``,
    ``datetime`` and ``float`` fields are text, date-time and number; attrs classes
    are nested objects; ``list[...]`` is an array and ``| None`` is ignored. A class
    with an ``extensions`` field takes extension attributes.

    Args:
        cls: an attrs class of the model, e.g. :class:`tmf683.PartyInteraction`.

    Returns:
        Its schema, named after the class (cached: one object per class).

    Raises:
        TypeError: a field has a type the query engine has no kind for.
    """
    hints = typing.get_type_hints(cls)
    return Schema(
        name=cls.__name__,
        attributes=tuple(
            _attribute(json_name(field.name), hints[field.name])
            for field in json_fields(cls)
        ),
        extensible=any(field.name == _EXTENSIONS for field in attrs.fields(cls)),
    )


PARTY_INTERACTION_SCHEMA = schema_of(PartyInteraction)
"""The schema of the TMF683 v4 PartyInteraction, which list filters, ``sort=`` and
``fields=`` reach."""

EVENT_SCHEMA = schema_of(PartyInteractionEvent)
"""The schema of the TMF683 v4 event envelope, which hub subscription queries filter
on (``eventType``, ``event.partyInteraction.status``...)."""


def parse_query(
    query_string: str, *, schema: Schema = PARTY_INTERACTION_SCHEMA
) -> Query:
    """Parse a list query; :func:`tmf683.query.parse.parse_query` with a v4 default.

    Args:
        query_string: the raw text after ``?``, e.g. ``"status=open&limit=10"``.
        schema: the type paths start from; the v4 PartyInteraction unless given.

    Returns:
        The query.

    Raises:
        InvalidQueryError: a parameter that cannot be applied, naming it.
    """
    return _parse.parse_query(query_string, schema=schema)


def parse_fields(
    query_string: str, *, schema: Schema = PARTY_INTERACTION_SCHEMA
) -> tuple[Path, ...] | None:
    """Parse a single-resource query (``fields=`` only), v4 PartyInteraction default.

    See :func:`tmf683.query.parse.parse_fields`.

    Args:
        query_string: the raw text after ``?``, e.g. ``"fields=status"``.
        schema: the resource's type; the v4 PartyInteraction unless given.

    Returns:
        The ``fields=`` selection; ``None`` without it.

    Raises:
        InvalidQueryError: any other parameter, or a malformed ``fields``.
    """
    return _parse.parse_fields(query_string, schema=schema)
