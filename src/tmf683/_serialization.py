"""Conversion between TMF683 JSON documents and the attrs model.

:func:`make_converter` builds a cattrs converter that reads and writes the swagger's
JSON names, is strict about JSON types (a number is not a string, a string is not a
list),
parses date-times from ISO 8601 with any UTC offset and writes them in UTC with ``Z``,
omits absent attributes instead of writing ``null``, and keeps extension attributes
where the document declares a subclass (TMF630 Part 1, polymorphism and extension).

:func:`structure` and :func:`unstructure` are the two calls the rest of tmf683 uses;
they raise :class:`~tmf683._errors.ValidationError` with ``$.path`` messages such as
``$.channel[0].id must be a string``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import (
    make_dict_structure_fn_from_attrs,
    make_dict_unstructure_fn_from_attrs,
    override,
)

from tmf683._datetimes import DATETIME_HINT, format_datetime, parse_datetime
from tmf683._errors import Problem, ValidationError

T = TypeVar("T")

_AT_ORDER = ("base_type", "schema_location", "type", "referred_type")
"""The polymorphism and reference attributes, in the order the JSON writes them."""
_AT_NAMES = frozenset(_AT_ORDER)
_EXTENSIONS = "extensions"


class _Mismatch(ValueError):
    """A JSON value of the wrong kind; its message completes ``$.path ...``."""


class _UnknownAttributes(ValueError):
    """Attributes outside the schema on an object that declares no extension."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(", ".join(names))


def json_name(python_name: str) -> str:
    """Return the swagger's JSON name for a model attribute.

    Args:
        python_name: snake_case attribute name, e.g. ``"related_party"`` or
            ``"schema_location"``.

    Returns:
        The JSON name, e.g. ``"relatedParty"`` or ``"@schemaLocation"``.
    """
    head, *rest = python_name.split("_")
    camel = head + "".join(part.capitalize() for part in rest)
    return "@" + camel if python_name in _AT_NAMES else camel


def json_fields(cls: type) -> list[attrs.Attribute[Any]]:
    """Return a model class's attributes in the order its JSON writes them.

    The order is the attrs order (inherited ``id`` and ``href`` first, then the
    class's own attributes) with the ``@`` attributes moved to the end, in the order
    ``@baseType``, ``@schemaLocation``, ``@type``, ``@referredType``; ``extensions``
    is left out (its items follow every schema attribute).

    Args:
        cls: an attrs class of :mod:`tmf683._model`.

    Returns:
        The attributes, e.g. for ``RelatedParty``: ``id``, ``href``, ``name``,
        ``role``, ``base_type``, ``schema_location``, ``type``, ``referred_type``.
    """
    fields = [
        f for f in attrs.fields(attrs.resolve_types(cls)) if f.name != _EXTENSIONS
    ]
    plain = [f for f in fields if f.name not in _AT_NAMES]
    polymorphic = sorted(
        (f for f in fields if f.name in _AT_NAMES),
        key=lambda f: _AT_ORDER.index(f.name),
    )
    return plain + polymorphic


def _declares_extension(document: dict[str, Any], cls: type) -> bool:
    declared_type = document.get("@type")
    if isinstance(declared_type, str) and declared_type != cls.__name__:
        return True
    return document.get("@schemaLocation") is not None


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _Mismatch("must be a string")
    return value


def _structure_number(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Mismatch("must be a number")
    return value


def _structure_datetime(value: object, _: type) -> datetime:
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise _Mismatch(DATETIME_HINT) from exc


def _is_list(type_: Any) -> bool:
    return typing.get_origin(type_) is list


def _list_hook(
    converter: cattrs.Converter, type_: Any
) -> Callable[[Any, Any], list[Any]]:
    (item_type,) = typing.get_args(type_)
    structure_item = converter.get_structure_hook(item_type)

    def structure_list(value: object, _: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _Mismatch("must be a JSON array")
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(structure_item(item, item_type))
            except Exception as exc:
                exc.add_note(
                    IterableValidationNote(f"@ index {index}", index, item_type)
                )
                errors.append(exc)
        if errors:
            raise IterableValidationError("invalid items", errors, type_)
        return items

    return structure_list


def _class_hooks(
    converter: cattrs.Converter, cls: type
) -> tuple[Callable[[Any, Any], Any], Callable[[Any], dict[str, Any]]]:
    fields = json_fields(cls)
    renames: dict[str, Any] = {
        f.name: override(rename=json_name(f.name)) for f in fields
    }
    extensible = _EXTENSIONS in attrs.fields_dict(cls)
    known = frozenset(json_name(f.name) for f in fields)
    structure_known: Callable[[Any, Any], Any] = make_dict_structure_fn_from_attrs(
        fields, cls, converter, _cattrs_detailed_validation=True, **renames
    )
    unstructure_known: Callable[[Any], dict[str, Any]] = (
        make_dict_unstructure_fn_from_attrs(
            fields, cls, converter, _cattrs_omit_if_default=True, **renames
        )
    )

    def structure_class(value: object, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _Mismatch("must be a JSON object")
        unknown = [key for key in value if key not in known]
        extra: dict[str, Any] = {}
        errors: list[Exception] = []
        if unknown:
            if extensible and _declares_extension(value, cls):
                extra = {key: value[key] for key in unknown}
            else:
                errors.append(_UnknownAttributes(unknown))
            value = {key: item for key, item in value.items() if key in known}
        try:
            result = structure_known(value, cls)
        except ClassValidationError as exc:
            errors[:0] = exc.exceptions
        if errors:
            raise ClassValidationError(f"invalid {cls.__name__}", errors, cls)
        if extra:
            result.extensions = extra
        return result

    def unstructure_class(obj: Any) -> dict[str, Any]:
        document: dict[str, Any] = unstructure_known(obj)
        if extensible and obj.extensions:
            for key, item in obj.extensions.items():
                document.setdefault(key, item)
        return document

    return structure_class, unstructure_class


def make_converter() -> cattrs.Converter:
    """Build the converter between TMF683 JSON documents and :mod:`tmf683._model`.

    Returns:
        A new :class:`cattrs.Converter`; never the global one. Its structure errors
        are cattrs exception groups: use :func:`structure` to get
        :class:`~tmf683._errors.ValidationError` instead.
    """
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(float, _structure_number)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, format_datetime)

    def structure_factory(cls: type) -> Callable[[Any, Any], Any]:
        return _class_hooks(converter, cls)[0]

    def unstructure_factory(cls: type) -> Callable[[Any], dict[str, Any]]:
        return _class_hooks(converter, cls)[1]

    converter.register_structure_hook_factory(
        lambda t: _is_list(t), lambda t: _list_hook(converter, t)
    )
    converter.register_structure_hook_factory(attrs.has, structure_factory)
    converter.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return converter


@cache
def _default_converter() -> cattrs.Converter:
    return make_converter()


def _problems(exc: BaseException, path: str) -> list[Problem]:
    if isinstance(exc, IterableValidationError | ClassValidationError):
        found: list[Problem] = []
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            step = (
                f"[{note.index}]"
                if isinstance(note, IterableValidationNote)
                else f".{json_name(note.name)}"
            )
            found += _problems(inner, path + step)
        for inner in without:
            found += _problems(inner, path)
        return found
    if isinstance(exc, _UnknownAttributes):
        return [
            (
                f"{path}.{name}",
                "is not a TMF683 attribute; to extend the schema, declare a "
                "subclass in @type or give @schemaLocation",
            )
            for name in exc.names
        ]
    if isinstance(exc, _Mismatch):
        return [(path, str(exc))]
    if isinstance(exc, ForbiddenExtraKeysError):
        return [
            (f"{path}.{name}", "is not allowed") for name in sorted(exc.extra_fields)
        ]
    if isinstance(exc, KeyError):
        return [(path, "is required")]
    return [(path, "is invalid")]


def structure(document: object, cls: type[T], path: str = "$") -> T:
    """Read a JSON document into a model object.

    Args:
        document: the parsed JSON value (normally a dict).
        cls: the model class, e.g. :class:`tmf683._model.PartyInteraction`.
        path: the JSON path of ``document`` used in messages.

    Returns:
        An instance of ``cls``.

    Raises:
        ValidationError: listing every attribute of the wrong JSON type, every
            unparseable date-time and every undeclared extension attribute.
    """
    try:
        return _default_converter().structure(document, cls)
    except (ClassValidationError, IterableValidationError, ValueError, KeyError) as exc:
        raise ValidationError(_problems(exc, path)) from exc


def unstructure(obj: object) -> dict[str, Any]:
    """Write a model object as a JSON document with the swagger's names.

    Args:
        obj: an instance of a :mod:`tmf683._model` class.

    Returns:
        A dict ready for JSON encoding: absent attributes omitted, date-times as
        UTC ``Z`` strings, extension attributes beside the schema's.
    """
    document: dict[str, Any] = _default_converter().unstructure(obj)
    return document
