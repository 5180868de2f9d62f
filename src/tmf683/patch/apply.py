"""One entry for every PATCH format: (current view, patch, format) -> patched view."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from tmf683._errors import Problem, ValidationError
from tmf683.patch.budget import PatchBudget
from tmf683.patch.json_patch import Expand, Operation, apply_json_patch, read_operations
from tmf683.patch.merge import apply_merge_patch
from tmf683.patch.query import expand
from tmf683.query.schema import Schema


class PatchFormat(enum.StrEnum):
    """The PATCH formats of TMF630 Part 5, named by their media types."""

    MERGE = "application/merge-patch+json"
    """A JSON object, merged as RFC 7386 (JSON Merge Patch) says."""
    JSON_PATCH = "application/json-patch+json"
    """A JSON array of operations, applied as RFC 6902 (JSON Patch) says."""
    JSON_PATCH_QUERY = "application/json-patch-query+json"
    """A JSON Patch whose paths may select array elements by a TMF630 filter, e.g.
    ``/note?id=2/text``, as TMF630 Part 5 (JSON Patch Query) says; ``delete`` is
    taken for ``remove``."""


@attrs.frozen
class Patched:
    """What a patch did to a document.

    Attributes:
        document: the patched JSON object.
        written: the first-level names the patch writes, each mapped to the problem
            path that names where the patch writes it: ``"$.status"`` for a merge
            patch, ``"$[2].path"`` (the first operation writing it) for the JSON
            Patch formats. A name written back with its old value is in it too.
    """

    document: dict[str, Any]
    written: dict[str, str]


def check_patch(patch: object, patch_format: PatchFormat) -> Any:
    """Check the shape of a patch body before any document is read.

    Args:
        patch: the parsed body.
        patch_format: its format.

    Returns:
        The patch ready for :func:`apply_patch`: the object for a merge patch, the
        checked operations for the JSON Patch formats.

    Raises:
        ValueError: ``patch_format`` is not one of :class:`PatchFormat` (a media
            type text of one is taken).
        ValidationError: a merge patch that is not an object; see
            :func:`tmf683.patch.json_patch.read_operations` for the others.
    """
    patch_format = PatchFormat(patch_format)
    if patch_format is PatchFormat.MERGE:
        if not isinstance(patch, dict):
            raise ValidationError([("$", "must be a JSON object (a merge patch)")])
        return patch
    return read_operations(patch, aliases=patch_format is PatchFormat.JSON_PATCH_QUERY)


def apply_patch(
    document: dict[str, Any],
    patch: object,
    patch_format: PatchFormat = PatchFormat.MERGE,
    *,
    schema: Schema | None = None,
    budget: PatchBudget | None = None,
) -> Patched:
    """Apply a patch in any TMF630 Part 5 format to a JSON object, atomically.

    Args:
        document: the current view of the resource, as a client reads it (not
            modified).
        patch: the parsed body: an object (merge patch) or an array of operations.
        patch_format: which format ``patch`` is in.
        schema: the type of ``document``, which JSON Patch Query filters resolve
            against (e.g. :data:`~tmf683._schema.PARTY_INTERACTION_SCHEMA`);
            required for that format only.
        budget: what a JSON Patch may spend (steps, bytes written); ``None``: the
            defaults of :class:`~tmf683.patch.budget.PatchBudget`.

    Returns:
        The patched document and the names written; nothing is changed when an
        error is raised.

    Raises:
        ValueError: JSON Patch Query without a ``schema``.
        ValidationError: a malformed patch (every problem naming its operation,
            e.g. ``$[1].op``), one leaving something else than an object, one
            going past a limit of ``budget`` (naming the operation, ``$[3]``), or
            one leaving a document larger than 16 MiB of JSON.
        PatchConflictError: a well-formed patch that does not apply to this
            document: a failing ``test``, a path to nothing, a query selecting no
            element (naming the operation, e.g. ``$[2].path``).
    """
    patch_format = PatchFormat(patch_format)
    checked = check_patch(patch, patch_format)
    if patch_format is PatchFormat.MERGE:
        merged = apply_merge_patch(document, checked)
        return Patched(merged, {name: f"$.{name}" for name in checked})
    expansion: Expand | None = None
    if patch_format is PatchFormat.JSON_PATCH_QUERY:
        if schema is None:
            raise ValueError("JSON Patch Query needs the document's schema")
        known = schema

        def expansion(
            doc: Any, operation: Operation, index: int, budget: PatchBudget
        ) -> list[Operation]:
            return expand(doc, operation, index, known, budget)

    patched, written = apply_json_patch(document, checked, expansion, budget)
    if not isinstance(patched, dict):
        raise ValidationError([("$", "must leave a JSON object, not replace it")])
    return Patched(patched, written)


_ABSENT = object()


def refused_changes(
    view: dict[str, Any],
    patched: Patched,
    immutable: Iterable[str],
    update_schema: str = "PartyInteraction_Update",
) -> list[Problem]:
    """List what a patch may not do, whatever its format (TMF630 Part 5).

    Args:
        view: the document the patch applied to.
        patched: what :func:`apply_patch` returned.
        immutable: names the result must keep as they are (absent stays absent),
            e.g. ``("id", "href", "direction")``.
        update_schema: the API's name of the patchable type, for messages.

    Returns:
        One problem per changed immutable name, and one when ``creationDate`` is
        removed (it may change, not go); each at the place the patch writes it
        (``$.direction``, ``$[1].path``). Empty when the patch is allowed.
    """
    result, written = patched.document, patched.written
    refused: list[Problem] = []
    for name in immutable:
        if result.get(name, _ABSENT) != view.get(name, _ABSENT):
            refused.append(
                blame(written, name, f"cannot be changed (not in {update_schema})")
            )
    if "creationDate" in view and "creationDate" not in result:
        refused.append(
            blame(written, "creationDate", "cannot be removed, only changed")
        )
    return refused


def blame(written: dict[str, str], name: str, message: str) -> Problem:
    """The problem of a patch writing a first-level name it may not write.

    Args:
        written: :attr:`Patched.written`.
        name: the first-level name, e.g. ``"direction"``.
        message: what is wrong with writing it, e.g. ``"cannot be changed"``.

    Returns:
        ``("$.direction", message)`` for a merge patch; ``("$[1].path", "writes
        'direction', which " + message)`` for an operation of the JSON Patch formats.
    """
    where = written.get(name, f"$.{name}")
    if where == f"$.{name}":
        return where, message
    return where, f"writes '{name}', which {message}"
