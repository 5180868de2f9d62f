"""Schema check and normal form of a JSON document in one walk, without the model.

:func:`normalize` gives what ``unstructure(structure(document, cls))`` of
:mod:`tmf683._serialization` gives, and raises the same
:class:`~tmf683._errors.ValidationError` problems in the same order, without
building attrs objects: the write path (every create and patch, both versions)
validates the JSON document directly. The model's attributes, their JSON names and
their order come from the same place as the converter's
(:func:`~tmf683._serialization.json_fields`, :func:`~tmf683._serialization.json_name`),
so a model change reaches both; ``tests/test_normalize.py`` checks with hypothesis
that both give the same document or the same problems.

The normal form: attributes in the model's JSON order, then extension attributes in
the order given (kept only where the object declares a subclass, as the converter
keeps them); ``null`` attributes left out; date-times in UTC with ``Z`` and six
fraction digits; strings, numbers and extension values as given.
"""

from __future__ import annotations

import typing
from datetime import datetime
from functools import cache
from typing import Any

import attrs

from tmf683._datetimes import DATETIME_HINT, format_datetime, parse_datetime
from tmf683._errors import Problem, ValidationError
from tmf683._serialization import json_fields, json_name

_STR, _NUMBER, _DATETIME, _OBJECT, _LIST = range(5)
_EXTENSIONS = "extensions"
_UNKNOWN = (
    "is not a TMF683 attribute; to extend the schema, declare a subclass in @type "
    "or give @schemaLocation"
)

_Field = tuple[str, int, type | None]
"""An attribute: its JSON name, its kind, the model class of an object or item."""


def _kind(hint: Any) -> tuple[int, type | None]:
    """The kind of an attribute of type ``hint`` (``X | None``, every one optional)."""
    (inner,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        return _LIST, item
    if attrs.has(inner):
        return _OBJECT, inner
    if inner is str:
        return _STR, None
    if inner is float:
        return _NUMBER, None
    if inner is datetime:
        return _DATETIME, None
    raise TypeError(f"no JSON kind for {hint!r}")  # pragma: no cover - model change


@cache
def _spec(cls: type) -> tuple[tuple[_Field, ...], frozenset[str], bool]:
    """A model class's attributes in JSON order, their names, and extensibility."""
    fields = tuple(
        (json_name(field.name), *_kind(field.type)) for field in json_fields(cls)
    )
    extensible = _EXTENSIONS in attrs.fields_dict(cls)
    return fields, frozenset(name for name, _, _ in fields), extensible


def _declares_extension(value: dict[str, Any], cls: type) -> bool:
    declared_type = value.get("@type")
    if isinstance(declared_type, str) and declared_type != cls.__name__:
        return True
    return value.get("@schemaLocation") is not None


def _value(
    value: Any, kind: int, cls: type | None, path: str, problems: list[Problem]
) -> Any:
    """One attribute's normal form (not ``None``); its problems go to ``problems``."""
    if kind == _STR:
        if not isinstance(value, str):
            problems.append((path, "must be a string"))
        return value
    if kind == _DATETIME:
        try:
            return format_datetime(parse_datetime(value))
        except ValueError:
            problems.append((path, DATETIME_HINT))
            return None
    if kind == _NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append((path, "must be a number"))
        return value
    if kind == _OBJECT:
        return _object(value, typing.cast(type, cls), path, problems)
    if not isinstance(value, list):
        problems.append((path, "must be a JSON array"))
        return None
    item_cls = typing.cast(type, cls)
    return [
        _object(item, item_cls, f"{path}[{index}]", problems)
        for index, item in enumerate(value)
    ]


def _object(
    value: Any, cls: type, path: str, problems: list[Problem]
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        problems.append((path, "must be a JSON object"))
        return None
    fields, known, extensible = _spec(cls)
    result: dict[str, Any] = {}
    for name, kind, item_cls in fields:
        item = value.get(name)
        if item is not None:
            result[name] = _value(item, kind, item_cls, f"{path}.{name}", problems)
    if len(result) < len(value):  # a null, or a name outside the schema
        unknown = [key for key in value if key not in known]
        if unknown and extensible and _declares_extension(value, cls):
            for key in unknown:
                result[key] = value[key]
        else:
            problems += [(f"{path}.{key}", _UNKNOWN) for key in unknown]
    return result


def normalize(document: object, cls: type, path: str = "$") -> dict[str, Any]:
    """Check a JSON object against a model class and return its normal form.

    Args:
        document: the parsed JSON value (normally a dict).
        cls: the model class, e.g. :class:`tmf683._model.PartyInteraction`.
        path: the JSON path of ``document`` used in messages.

    Returns:
        A new dict, equal to ``unstructure(structure(document, cls))`` (nested
        objects and lists are new; extension values are the given ones).

    Raises:
        ValidationError: the problems :func:`tmf683._serialization.structure`
            reports, in its order: every attribute of the wrong JSON type, every
            unparseable date-time and every undeclared extension attribute.
    """
    problems: list[Problem] = []
    result = _object(document, cls, path, problems)
    if problems or result is None:
        raise ValidationError(problems)
    return result


def model_strings(
    document: object, cls: type, name: str, path: str = "$"
) -> list[tuple[str, str]]:
    """Every string a document holds at the model attribute ``name``, at any depth.

    Only the model's own attributes are walked (not extension values), whatever
    the types found (a value of the wrong type is the schema check's finding).

    Args:
        document: the parsed JSON value.
        cls: its model class, e.g. :class:`tmf683._model.PartyInteraction`.
        name: a JSON attribute name, e.g. ``"@schemaLocation"``.
        path: the JSON path of ``document`` used in the results.

    Returns:
        ``(json_path, value)`` pairs in document order.
    """
    found: list[tuple[str, str]] = []
    if not isinstance(document, dict):
        return found
    fields, _, _ = _spec(cls)
    for field, kind, item_cls in fields:
        value = document.get(field)
        where = f"{path}.{field}"
        if field == name and isinstance(value, str):
            found.append((where, value))
        elif kind == _OBJECT:
            found += model_strings(value, typing.cast(type, item_cls), name, where)
        elif kind == _LIST and isinstance(value, list):
            for index, item in enumerate(value):
                found += model_strings(
                    item, typing.cast(type, item_cls), name, f"{where}[{index}]"
                )
    return found


def with_attribute(
    document: dict[str, Any], cls: type, name: str, value: Any
) -> dict[str, Any]:
    """A normal-form document with one attribute set, where the model's order puts it.

    What setting the attribute on the model object and writing it back would give.

    Args:
        document: a result of :func:`normalize` for ``cls``.
        cls: its model class.
        name: the JSON name of one of ``cls``'s attributes, e.g. ``"creationDate"``.
        value: its JSON value (a date-time already in its normal form).

    Returns:
        A new dict; ``document`` is left as it is.
    """
    fields, known, _ = _spec(cls)
    order = [field for field, _, _ in fields]
    before = frozenset(order[: order.index(name)])
    result: dict[str, Any] = {}
    for key, item in document.items():
        if name not in result and (key not in known or key not in before):
            result[name] = value
        if key != name:
            result[key] = item
    result.setdefault(name, value)
    return result
