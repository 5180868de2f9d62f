"""What the query engine knows of a schema: where a dotted path leads.

The engine works on JSON documents and takes the shape of those documents as a
:class:`Schema`: an immutable tree of object types whose attributes are text, numbers,
date-times or nested objects, each one value or an array of them. A path such as
``relatedParty.id`` crosses the array ``relatedParty`` and ends at a text;
``interactionDate.startDateTime`` crosses an object and ends at a date-time.

The engine knows no API version: the TMF683 v4 schema is derived from the model in
:mod:`tmf683._schema`; another version passes its own.
"""

from __future__ import annotations

import enum
from functools import lru_cache

import attrs

from tmf683._errors import PathError


class AttributeKind(enum.Enum):
    """What an attribute holds, and so how its values compare in filters and sorting."""

    STRING = "string"
    """Text, compared character by character (code point order)."""
    DATE_TIME = "date-time"
    """Date-times, compared as instants, whatever offset the client wrote."""
    NUMBER = "number"
    """Numbers, compared numerically."""
    OBJECT = "object"
    """A nested object (its ``schema``): a path must go on into
    one of its attributes; never the kind of a resolved path."""


@attrs.frozen(cache_hash=True)
class SchemaAttribute:
    """One attribute of an object type.

    Args:
        name: the JSON name, e.g. ``"relatedParty"`` or ``"@type"``.
        kind: what it holds; :attr:`AttributeKind.OBJECT` if and only if ``schema``
            is given.
        array: ``True`` when the value is an array of such values (a path continues
            into every element).
        schema: for an object, its type.

    Raises:
        ValueError: ``kind`` and ``schema`` disagree.
    """

    name: str
    kind: AttributeKind
    array: bool = False
    schema: Schema | None = None

    def __attrs_post_init__(self) -> None:
        if (self.kind is AttributeKind.OBJECT) != (self.schema is not None):
            raise ValueError(
                f"attribute '{self.name}': an object kind goes with a schema, and "
                "only it"
            )


@attrs.frozen(cache_hash=True)
class Schema:
    """An object type as the query engine sees it (immutable and hashable).

    Args:
        name: the type's name, used in messages, e.g. ``"PartyInteraction"``.
        attributes: its attributes, in the order messages list them.
        extensible: ``True`` when documents of the type may carry attributes outside
            the schema (TMF630 extension through ``@type``): a filter on an unknown
            last name is then allowed, compared as text, and matches only documents
            that have the attribute. ``False`` refuses unknown names.
        withdrawn: names refused even where ``extensible`` lets unknown names
            through, each with what to write instead, relative to the object
            (``""`` for no suggestion): e.g. ``("id", "partyOrPartyRole.id")`` for
            a name another version of the API has here and this one moved.

    Raises:
        ValueError: two attributes have the same name, or a withdrawn name is one
            of them.
    """

    name: str
    attributes: tuple[SchemaAttribute, ...]
    extensible: bool = False
    withdrawn: tuple[tuple[str, str], ...] = ()

    def __attrs_post_init__(self) -> None:
        names = [attribute.name for attribute in self.attributes]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name} names an attribute twice")
        if any(name in names for name, _ in self.withdrawn):
            raise ValueError(f"schema {self.name} withdraws one of its attributes")

    def attribute(self, name: str) -> SchemaAttribute | None:
        """Return the attribute called ``name`` (a JSON name), or ``None``."""
        return next((a for a in self.attributes if a.name == name), None)

    def replacement(self, name: str) -> str | None:
        """Return what to write instead of ``name`` if it is withdrawn.

        Returns:
            The replacement relative to the object, ``""`` for none; ``None`` when
            ``name`` is not withdrawn.
        """
        return next((instead for n, instead in self.withdrawn if n == name), None)


def _withdrawn_error(path: tuple[str, ...], position: int, schema: Schema) -> PathError:
    name = path[position]
    instead = schema.replacement(name)
    hint = f"; write {'.'.join((*path[:position], instead))}" if instead else ""
    return PathError(
        f"names '{name}', which {schema.name} does not have here (another version "
        f"of the API has it){hint}"
    )


def check_withdrawn(path: tuple[str, ...], schema: Schema) -> None:
    """Refuse a path through a withdrawn name (``withdrawn`` of :class:`Schema`).

    For paths that need not lead to a value, as ``fields=`` ones (they may end at an
    object, or name an extension attribute anywhere): the known steps are followed,
    and the path is refused if one of them is a withdrawn name.

    Args:
        path: e.g. ``("relatedParty", "id")``.
        schema: the object type the path starts from.

    Raises:
        PathError: a step is withdrawn where the path reaches it; the message names
            it and what to write instead.
    """
    current: Schema | None = schema
    for position, name in enumerate(path):
        if current is None:
            return
        attribute = current.attribute(name)
        if attribute is None:
            if current.replacement(name) is not None:
                raise _withdrawn_error(path, position, current)
            return
        current = attribute.schema


@attrs.frozen
class ResolvedPath:
    """Where a dotted path leads.

    Attributes:
        path: the JSON names, one per step.
        kind: how the value at the end compares (never :attr:`AttributeKind.OBJECT`).
        arrays: the positions (0-based) of the steps whose value is an array: the
            path continues into every element.
    """

    path: tuple[str, ...]
    kind: AttributeKind
    arrays: tuple[int, ...] = ()


@lru_cache(maxsize=4096)
def resolve(path: tuple[str, ...], schema: Schema) -> ResolvedPath:
    """Follow a dotted path through a schema.

    An unknown name is an extension attribute, compared as a string, when it is the
    last step and its object is ``extensible``; elsewhere it is an error,
    so a misspelt path is refused instead of never matching. A withdrawn name
    (``withdrawn`` of :class:`Schema`) is an error wherever it is.

    Args:
        path: e.g. ``("relatedParty", "id")``.
        schema: the object type the path starts from.

    Returns:
        The resolved path.

    Raises:
        PathError: the path ends at an object or array, continues past a plain value,
            crosses a name the schema does not have, or names a withdrawn one.
    """
    current = schema
    arrays: list[int] = []
    for position, name in enumerate(path):
        last = position == len(path) - 1
        attribute = current.attribute(name)
        if attribute is None and current.replacement(name) is not None:
            raise _withdrawn_error(path, position, current)
        if attribute is None:
            if last and current.extensible:
                return ResolvedPath(path, AttributeKind.STRING, tuple(arrays))
            if last:
                names = ", ".join(a.name for a in current.attributes)
                raise PathError(
                    f"names '{name}', which {current.name} does not have (it takes "
                    f"no extension attributes); it has {names}"
                )
            raise PathError(
                f"crosses '{name}', which {current.name} does not have; only the "
                "last name of a path may be an extension attribute"
            )
        if attribute.array:
            arrays.append(position)
        if attribute.schema is None:
            if not last:
                raise PathError(
                    f"continues past '{name}', which holds a plain value (an operator "
                    "suffix is one of .eq .ne .gt .gte .lt .lte .regex)"
                )
            return ResolvedPath(path, attribute.kind, tuple(arrays))
        if last:
            what = "an array of objects" if attribute.array else "an object"
            example = next(iter(attribute.schema.attributes), None)
            hint = f", e.g. {'.'.join(path)}.{example.name}" if example else ""
            raise PathError(
                f"ends at '{name}', {what}; name one of its attributes{hint}"
            )
        current = attribute.schema
    raise PathError("is empty")  # pragma: no cover - parse never passes ()
