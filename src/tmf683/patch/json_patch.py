"""JSON Patch (RFC 6902), applied by the ``jsonpatch`` library one operation at a time.

Applying one operation at a time on a private copy of the document makes the patch
atomic (the caller stores the result, or nothing when an operation fails) and lets
every error name the operation's index, e.g. ``$[2].path``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonpatch
import jsonpointer

from tmf683._errors import PatchConflictError, Problem, ValidationError
from tmf683._validation import json_problems, json_size
from tmf683.patch.budget import PatchBudget
from tmf683.query.regex import guarded

Operation = dict[str, Any]
"""One RFC 6902 operation, e.g.
``{"op": "replace", "path": "/status", "value": "x"}``."""

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
"""The operation names of RFC 6902 section 4."""

MAX_OPERATIONS = 1000
"""The most operations one patch may hold (a store holds its write lock while a
patch applies)."""

ALIASES = {"delete": "remove"}
"""Other names JSON Patch Query takes (the TMF683 v5 OAS example writes ``delete``)."""

_NEEDS_VALUE = frozenset({"add", "replace", "test"})
_NEEDS_FROM = frozenset({"move", "copy"})
_WRITES = frozenset({"add", "remove", "replace", "move", "copy"})

_CONFLICT = {
    "add": "its parent does not exist, or the array index is past the end",
    "remove": "there is nothing there to remove",
    "replace": "there is nothing there to replace",
    "move": "there is nothing at 'from', or the target's parent does not exist",
    "copy": "there is nothing at 'from', or the target's parent does not exist",
}


def read_operations(patch: object, *, aliases: bool = False) -> list[Operation]:
    """Check the shape of a JSON Patch document (RFC 6902 section 3 and 4).

    Args:
        patch: the parsed body: a JSON array of operation objects.
        aliases: accept the names of :data:`ALIASES` (JSON Patch Query).

    Returns:
        The operations, each a new dict whose ``op`` is one of :data:`OPERATIONS`.

    Raises:
        ValidationError: not an array, more than :data:`MAX_OPERATIONS`, what no
            document may hold (too deep, NUL, an unpaired surrogate, see
            :func:`tmf683._validation.json_problems`), or operations without a
            known ``op``, a text ``path``, a ``value`` (add, replace, test) or a
            text ``from`` (move, copy); every problem names its operation, e.g.
            ``$[1].op``.
    """
    if not isinstance(patch, list):
        raise ValidationError([("$", "must be a JSON array of operations")])
    if len(patch) > MAX_OPERATIONS:
        raise ValidationError(
            [("$", f"holds {len(patch)} operations; at most {MAX_OPERATIONS}")]
        )
    if unsafe := json_problems(patch):
        raise ValidationError(unsafe)
    problems: list[Problem] = []
    operations: list[Operation] = []
    names = OPERATIONS + (tuple(ALIASES) if aliases else ())
    for index, operation in enumerate(patch):
        where = f"$[{index}]"
        if not isinstance(operation, dict):
            problems.append((where, "must be an object with 'op' and 'path'"))
            continue
        name = operation.get("op")
        if not isinstance(name, str) or name not in names:
            problems.append((f"{where}.op", f"must be one of {', '.join(names)}"))
            continue
        name = ALIASES.get(name, name)
        if not isinstance(operation.get("path"), str):
            problems.append((f"{where}.path", "is required: a JSON Pointer text"))
        if name in _NEEDS_VALUE and "value" not in operation:
            problems.append((f"{where}.value", f"is required for '{name}'"))
        if name in _NEEDS_FROM and not isinstance(operation.get("from"), str):
            problems.append((f"{where}.from", f"is required for '{name}'"))
        operations.append({**operation, "op": name})
    if problems:
        raise ValidationError(problems)
    return operations


def check_pointer(text: str, where: str) -> None:
    """Refuse a text that is not a JSON Pointer (RFC 6901 section 3).

    Args:
        text: e.g. ``"/note/0/text"``.
        where: the problem path, e.g. ``"$[0].path"``.

    Raises:
        ValidationError: ``text`` is not empty and does not start with ``/``, or
            holds a ``~`` not followed by ``0`` or ``1``.
    """
    try:
        jsonpointer.JsonPointer(text)
    except jsonpointer.JsonPointerException as exc:
        raise _not_a_pointer(where, exc) from exc


def _not_a_pointer(where: str, exc: Exception) -> ValidationError:
    return ValidationError([(where, f"is not a JSON Pointer: {exc}")])


def first_name(pointer: str) -> str | None:
    """Return the first member name of a JSON Pointer; ``None`` for the root ``""``.

    Args:
        pointer: a valid JSON Pointer, e.g. ``"/a~1b/0"`` (first name ``"a/b"``).
    """
    if not pointer:
        return None
    return pointer.split("/", 2)[1].replace("~1", "/").replace("~0", "~")


def apply_operation(document: Any, operation: Operation, index: int) -> Any:
    """Apply one RFC 6902 operation with ``jsonpatch``, changing ``document`` in place.

    Args:
        document: the JSON value being patched (a private copy: it is changed).
        operation: one checked operation (see :func:`read_operations`).
        index: its position in the patch, for error paths.

    Returns:
        The patched value (a new one when the operation replaces the root).

    Raises:
        ValidationError: a ``path`` or ``from`` that is not a JSON Pointer.
        PatchConflictError: a failing ``test`` (``$[index].value``), or a path or
            ``from`` leading nowhere in the document (``$[index].path``).
    """
    where = f"$[{index}]"
    if operation["op"] in _NEEDS_FROM:
        check_pointer(operation["from"], f"{where}.from")
    try:
        # the operation's class directly: a JsonPatch of one would check its
        # shape (done by read_operations) and parse its pointer twice
        step = jsonpatch.JsonPatch.operations[operation["op"]](operation)
    except jsonpointer.JsonPointerException as exc:
        raise _not_a_pointer(f"{where}.path", exc) from exc
    try:
        return step.apply(document)
    except jsonpatch.JsonPatchTestFailed as exc:
        message = f"test failed: '{operation['path']}' does not hold the value given"
        raise PatchConflictError([(f"{where}.value", message)]) from exc
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as exc:
        message = (
            f"cannot {operation['op']} at '{operation['path']}': "
            + _CONFLICT[operation["op"]]
        )
        raise PatchConflictError([(f"{where}.path", message)]) from exc
    except jsonpatch.InvalidJsonPatch as exc:  # pragma: no cover - shape checked
        raise ValidationError([(where, str(exc))]) from exc


Expand = Callable[[Any, Operation, int, PatchBudget], list[Operation]]
"""Turns one operation into plain RFC 6902 ones against the document as it is now
(JSON Patch Query); arguments ``(document, operation, index, budget)``, spending
from ``budget`` a step for every array element it examines."""


def apply_json_patch(
    document: Any,
    operations: list[Operation],
    expand: Expand | None = None,
    budget: PatchBudget | None = None,
) -> tuple[Any, dict[str, str]]:
    """Apply checked operations in order on a deep copy of ``document``.

    Args:
        document: the current JSON value (not modified).
        operations: from :func:`read_operations`.
        expand: for JSON Patch Query, turns each operation into plain ones just
            before it applies; ``None`` applies them as they are.
        budget: what the patch may spend; ``None``: a new
            :class:`~tmf683.patch.budget.PatchBudget` with the default limits.

    Returns:
        ``(patched, written)``: the new value, and the first-level member names the
        operations write (add, remove, replace, move, copy; ``test`` writes
        nothing), each mapped to the path of the first operation writing it, e.g.
        ``{"status": "$[0].path"}``. An operation on the root writes every name.

    Raises:
        ValidationError, PatchConflictError: as :func:`apply_operation` (and
            ``expand``) raise them; the first failing operation stops the patch.
        ValidationError: the patch goes past a limit of ``budget`` (naming the
            operation, ``$[index]``). The size of the result is the service's to
            check, on what it stores (a v5 view is larger than its document).
    """
    budget = budget or PatchBudget()
    patched = copy.deepcopy(document)
    written: dict[str, str] = {}
    whole: str | None = None
    for index, operation in enumerate(operations):
        where = f"$[{index}]"
        with guarded(budget.check_deadline):  # before each regex of its queries
            plain = (
                [operation]
                if expand is None
                else expand(patched, operation, index, budget)
            )
        budget.step(len(plain), where)
        if operation["op"] in ("add", "replace"):
            budget.write(json_size(operation["value"]) * len(plain), where)
        for concrete in plain:
            if concrete["op"] == "copy":
                budget.write(_copied(patched, concrete["from"]), where)
            patched = apply_operation(patched, concrete, index)
            if concrete["op"] not in _WRITES:
                continue
            sources = [concrete["path"]]
            if concrete["op"] == "move":
                sources.append(concrete["from"])
            for pointer in sources:
                name = first_name(pointer)
                if name is None:
                    whole = whole or f"{where}.path"
                else:
                    written.setdefault(name, f"{where}.path")
    if whole is not None:
        for name in [*_names(document), *_names(patched)]:
            written.setdefault(name, whole)
    return patched, written


def _copied(document: Any, pointer: str) -> int:
    """The bytes of JSON a ``copy`` from ``pointer`` writes.

    0 when nothing is there: the operation fails when it applies.
    """
    try:
        return json_size(jsonpointer.resolve_pointer(document, pointer))
    except jsonpointer.JsonPointerException:
        return 0


def _names(value: Any) -> list[str]:
    return list(value) if isinstance(value, dict) else []
