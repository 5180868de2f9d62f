"""JSON Patch Query (TMF630 Part 5): paths that select array elements by a query.

A path such as ``/note?id=2/text`` or ``/relatedParty?relatedParty.role=customer``
names an array (``/note``), a TMF630 filter on its elements after ``?`` (names
relative to the element, ``id=2``, or led by the array's name, ``note.id=2``; ``&``
joins conditions, a value holding ``/`` writes it ``%2F``), and optionally a pointer
into each selected element after the next ``/``. :func:`expand` turns one such
operation into plain RFC 6902 operations, one per selected element (highest index
first, so removals do not shift the ones still to come); a path may hold several
queries (``/interactionItem?id=1/note?id=2``).

A query that selects no element is a :class:`~tmf683.PatchConflictError` for every
operation, as a JSON Pointer to nothing is in RFC 6902: ``remove``, ``replace`` and
``test`` of nothing fail rather than silently do nothing. ``move`` takes one
element: its ``from`` and ``path`` must each select exactly one. ``add`` adds into
the selected elements (``/note?id=2/author``); a path ending at the query (insert
before the match) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import attrs
import jsonpointer

from tmf683._errors import InvalidQueryError, PatchConflictError, ValidationError
from tmf683.patch.budget import PatchBudget
from tmf683.patch.json_patch import Operation, check_pointer
from tmf683.query.ast import AnyOf, Operator
from tmf683.query.evaluate import matcher
from tmf683.query.parse import parse_query
from tmf683.query.schema import AttributeKind, Schema, SchemaAttribute

_MISSING = object()


def _element_schema(prefix: str, schema: Schema, where: str) -> tuple[str, Schema]:
    """Return the array's name and its elements' schema for the pointer ``prefix``."""
    current: Schema | None = schema
    name: str | None = None
    in_array = False
    for part in jsonpointer.JsonPointer(prefix).parts:
        token = str(part)
        if in_array and token.isdigit():
            in_array = False
            continue
        attribute = None if current is None or in_array else current.attribute(token)
        if attribute is None:
            current = None
            break
        name, in_array, current = token, attribute.array, attribute.schema
    if not in_array or current is None or name is None:
        raise ValidationError(
            [(where, f"'{prefix}' is not an array of objects of {schema.name}")]
        )
    return name, current


@lru_cache(maxsize=256)
def _matcher(
    text: str, name: str, element: Schema, where: str
) -> tuple[Callable[[Mapping[str, Any]], bool], int]:
    """Parse and plan the filter after ``?``, names relative or led by the array's name.

    Once per operation: not per element, nor per element of an outer query (the
    parse is cached).

    Returns:
        ``(holds, weight)``: the test of one element, and the steps it costs: one
        per condition of equality (``id=1,2`` is one), one per value for the other
        operators (``text.regex=a,b`` is two); ``a=1;b=2`` is two.
    """
    if not text:
        raise ValidationError([(where, "has an empty query after '?'")])
    attributes = element.attributes
    if element.attribute(name) is None:
        alias = SchemaAttribute(name, AttributeKind.OBJECT, schema=element)
        attributes = (*attributes, alias)
    wrapper = attrs.evolve(element, attributes=attributes)
    try:
        query = parse_query(text, schema=wrapper)
    except InvalidQueryError as exc:
        raise ValidationError(
            [(where, f"has a query that cannot apply: {exc}")]
        ) from exc
    if (
        query.fields is not None
        or query.sort
        or query.offset
        or query.limit is not None
    ):
        raise ValidationError([(where, "takes only filters after '?'")])
    conditions = [
        condition
        for clause in query.conditions
        for condition in (clause.conditions if isinstance(clause, AnyOf) else [clause])
    ]
    # an equality tests membership in its values (one look-up, ``id=1,2,3`` too);
    # the other operators compare each value
    weight = sum(
        1
        if condition.operator in (Operator.EQ, Operator.NE)
        else max(1, len(condition.values))
        for condition in conditions
    )
    return matcher(query.conditions), weight


def select(
    document: Any, path: str, schema: Schema, where: str, budget: PatchBudget
) -> list[str]:
    """Return the plain JSON Pointers a JSON Patch Query path selects, highest first.

    Args:
        document: the JSON value as it is before the operation.
        path: the operation's ``path`` or ``from``, e.g. ``"/note?id=2/text"``.
        schema: the type of ``document``, e.g. the v4 PartyInteraction's.
        where: the problem path, e.g. ``"$[0].path"``.
        budget: spent a step for every value a filter compares in every array
            element it examines.

    Returns:
        The selected pointers, e.g. ``["/note/3/text", "/note/1/text"]``; ``[path]``
        when it holds no ``?``.

    Raises:
        ValidationError: the part before ``?`` is not a pointer to an array of
            objects of ``schema``, or the query does not parse (an unknown name, a
            value of the wrong type, ``fields``...).
        PatchConflictError: the document has no array there, or no element matches.
        ValidationError: the steps of ``budget`` run out (see
            :class:`~tmf683.patch.budget.PatchBudget`).
    """
    prefix, question, rest = path.partition("?")
    check_pointer(prefix, where)
    if not question:
        return [path]
    text, slash, tail = rest.partition("/")
    name, element = _element_schema(prefix, schema, where)
    holds, weight = _matcher(text, name, element, where)
    array = jsonpointer.resolve_pointer(document, prefix, _MISSING)
    if not isinstance(array, list):
        raise PatchConflictError([(where, f"'{prefix}' is not an array here")])
    budget.step(len(array) * weight, where)
    found = [
        index
        for index, item in enumerate(array)
        if isinstance(item, dict) and holds({**item, name: item})
    ]
    if not found:
        raise PatchConflictError([(where, f"'?{text}' selects no element of {prefix}")])
    concrete = [f"{prefix}/{index}" + (f"/{tail}" if slash else "") for index in found]
    concrete.reverse()
    if "?" not in tail:  # checked as a JSON Pointer when it applies
        return concrete
    selected: list[str] = []
    for pointer in concrete:
        selected += select(document, pointer, schema, where, budget)
    return selected


def expand(
    document: Any,
    operation: Operation,
    index: int,
    schema: Schema,
    budget: PatchBudget,
) -> list[Operation]:
    """Turn one JSON Patch Query operation into plain RFC 6902 operations.

    Args:
        document: the JSON value as the earlier operations left it.
        operation: one checked operation (``op`` already un-aliased).
        index: its position in the patch, for error paths.
        schema: the type of ``document``.
        budget: spent a step for every value a filter compares in every array
            element it examines.

    Returns:
        One operation per selected element, highest index first.

    Raises:
        ValidationError, PatchConflictError: as :func:`select`; and an ``add``
            whose path ends at a query, or a ``move`` or ``from`` selecting more
            than one element (``PatchConflictError``).
    """
    where = f"$[{index}]"
    if operation["op"] == "add" and "?" in operation["path"].rpartition("/")[2]:
        raise ValidationError(
            [(f"{where}.path", "ends at a query: add into the selected element")]
        )
    moved: dict[str, str] = {}
    target = document
    if operation["op"] in ("move", "copy"):
        sources = select(document, operation["from"], schema, f"{where}.from", budget)
        if len(sources) != 1:
            raise PatchConflictError(
                [(f"{where}.from", f"selects {len(sources)} elements, not one")]
            )
        moved = {"from": sources[0]}
        if operation["op"] == "move" and "?" in operation["path"]:
            # RFC 6902 4.4: a move removes 'from', then adds at 'path', so the
            # path's filters select in the document without the moved value
            target = _without(document, sources[0], f"{where}.from")
    paths = select(target, operation["path"], schema, f"{where}.path", budget)
    if operation["op"] == "move" and len(paths) != 1:
        raise PatchConflictError(
            [(f"{where}.path", f"selects {len(paths)} elements, not one")]
        )
    if target is not document:
        # written as its two halves: the pointers are those of the document
        # after the removal, which a plain move would read as before it
        value = jsonpointer.resolve_pointer(document, sources[0])
        return [
            {"op": "remove", "path": sources[0]},
            {"op": "add", "path": paths[0], "value": value},
        ]
    return [{**operation, "path": path, **moved} for path in paths]


def _without(document: Any, pointer: str, where: str) -> Any:
    """``document`` without the value at ``pointer``, left unchanged.

    Only the objects and arrays on the way to the value are copied (shallowly); the
    rest is shared, so this costs the sizes of those containers, not the document's.

    Raises:
        PatchConflictError: nothing is at ``pointer``, or it is the root.
    """
    parts = jsonpointer.JsonPointer(pointer).parts
    result = _shallow(document)
    node = result
    try:
        if not parts:
            raise LookupError(pointer)
        for part in parts[:-1]:
            key = jsonpointer.JsonPointer.get_part(node, part)
            node[key] = _shallow(node[key])
            node = node[key]
        del node[jsonpointer.JsonPointer.get_part(node, parts[-1])]
    except (LookupError, TypeError, jsonpointer.JsonPointerException) as exc:
        message = f"cannot move '{pointer}': there is nothing there to move"
        raise PatchConflictError([(where, message)]) from exc
    return result


def _shallow(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value
