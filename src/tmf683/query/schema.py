"""What the query engine knows of the schema: where a dotted path leads.

Derived from the attrs model (:mod:`tmf683._model`), so the model stays the one source.
A path such as ``relatedParty.id`` crosses the array ``relatedParty`` and ends at a
string; ``interactionDate.startDateTime`` crosses an object and ends at a date-time.
"""

from __future__ import annotations

import enum
import typing
from datetime import datetime
from functools import cache, lru_cache

import attrs

from tmf683._model import PartyInteraction
from tmf683._serialization import json_fields, json_name

__all__ = ["AttributeKind", "PathError", "ResolvedPath", "resolve"]


class AttributeKind(enum.Enum):
    """How values of an attribute compare in filters and sorting."""

    STRING = "string"
    """Compared character by character (code point order)."""
    DATE_TIME = "date-time"
    """Compared as instants, whatever offset the client wrote."""
    NUMBER = "number"
    """Compared numerically."""


class PathError(ValueError):
    """A dotted path that leads nowhere comparable; the message says why."""


@attrs.frozen
class ResolvedPath:
    """Where a dotted path leads.

    Attributes:
        path: the JSON names, one per step.
        kind: how the value at the end compares.
        arrays: the positions (0-based) of the steps whose value is an array: the
            path continues into every element.
    """

    path: tuple[str, ...]
    kind: AttributeKind
    arrays: tuple[int, ...] = ()


@cache
def _fields(cls: type) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {json_name(field.name): hints[field.name] for field in json_fields(cls)}


def _unwrap(hint: object) -> tuple[object, bool]:
    """Strip ``| None`` and ``list[...]``: return the item type and whether a list."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    base = args[0] if typing.get_origin(hint) is not list and args else hint
    if typing.get_origin(base) is list:
        return typing.get_args(base)[0], True
    return base, False


_LEAF_KINDS: dict[object, AttributeKind] = {
    str: AttributeKind.STRING,
    datetime: AttributeKind.DATE_TIME,
    float: AttributeKind.NUMBER,
}


@lru_cache(maxsize=4096)
def resolve(path: tuple[str, ...], root: type = PartyInteraction) -> ResolvedPath:
    """Follow a dotted path through the model.

    An unknown name is an extension attribute, compared as a string, when it is the
    last step and its object takes extensions (has ``@type``); elsewhere it is an
    error, so a misspelt path is refused instead of never matching.

    Args:
        path: e.g. ``("relatedParty", "id")``.
        root: the model class the path starts from.

    Returns:
        The resolved path.

    Raises:
        PathError: the path ends at an object or array, continues past a plain value,
            or crosses a name the schema does not have.
    """
    current: type = root
    arrays: list[int] = []
    for position, name in enumerate(path):
        last = position == len(path) - 1
        fields = _fields(current)
        if name not in fields:
            if last and "extensions" in attrs.fields_dict(current):
                return ResolvedPath(path, AttributeKind.STRING, tuple(arrays))
            if last:
                raise PathError(
                    f"names '{name}', which {current.__name__} does not have (it takes "
                    f"no extension attributes); it has {', '.join(fields)}"
                )
            raise PathError(
                f"crosses '{name}', which {current.__name__} does not have; only the "
                "last name of a path may be an extension attribute"
            )
        item_type, is_list = _unwrap(fields[name])
        if is_list:
            arrays.append(position)
        if item_type in _LEAF_KINDS:
            if not last:
                raise PathError(
                    f"continues past '{name}', which holds a plain value (an operator "
                    "suffix is one of .eq .ne .gt .gte .lt .lte .regex)"
                )
            return ResolvedPath(path, _LEAF_KINDS[item_type], tuple(arrays))
        if last:
            what = "an array of objects" if is_list else "an object"
            example = next(iter(_fields(typing.cast(type, item_type))))
            raise PathError(
                f"ends at '{name}', {what}; name one of its attributes, "
                f"e.g. {'.'.join(path)}.{example}"
            )
        current = typing.cast(type, item_type)
    raise PathError("is empty")  # pragma: no cover - parse never passes ()
