"""What a v5 write stores: a body or a patched view, checked and made canonical.

The v5 contract's rules for writes (the reserved first-level ``_v5``, the attributes
a patch may not change, ``PartyInteraction_MVO`` for what a patch writes and
``PartyInteraction_FVO`` for the result) and the mapping of the checked v5 document
to the canonical one (:func:`~tmf683.versions.v5.from_v5`), normalised and measured
by the v4 model. :class:`~tmf683.versions.v5service.PartyInteractionServiceV5` calls
these inside its writes; nothing here reads or writes a store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tmf683._datetimes import format_datetime
from tmf683._errors import Problem, ValidationError
from tmf683._validation import (
    MAX_DOCUMENT_BYTES,
    json_size,
    party_interaction_document,
)
from tmf683.patch.apply import PatchFormat, apply_patch, blame, refused_changes
from tmf683.patch.budget import PatchBudget
from tmf683.storage.base import Document
from tmf683.versions import v5contract
from tmf683.versions.canonical import V5_KEY, v4_part
from tmf683.versions.v5 import from_v5, pairs_after_normalising, traced_for_v5_patch
from tmf683.versions.v5match import Trace
from tmf683.versions.v5query import V5_PARTY_INTERACTION_SCHEMA

V5_IMMUTABLE_ATTRIBUTES = (
    "id",
    "href",
    "direction",
    "creationDate",
    "statusChangeDate",
)
"""Not in ``PartyInteraction_MVO``: a patch may repeat, not change them (the server
sets ``statusChangeDate`` when ``status`` changes)."""


def _without_nulls(patch: Any) -> Any:
    """A merge patch without its removals (``null`` members): what MVO describes."""
    if not isinstance(patch, dict):
        return patch
    return {k: _without_nulls(v) for k, v in patch.items() if v is not None}


RESERVED = f"is not a TMF683 attribute (the name {V5_KEY} is reserved)"
"""Why a v5 body or patch may not name :data:`~.canonical.V5_KEY` at first level:
the store keeps the v5-only data there (v4 refuses it the same way)."""


def reserved_problems(written: dict[str, str]) -> list[Problem]:
    """The problem of a body or patch that writes the reserved first-level name.

    Args:
        written: the first-level names written, each with where, as
            :attr:`tmf683.patch.apply.Patched.written` (``{"_v5": "$._v5"}``).

    Returns:
        One problem when ``_v5`` is among them (a removal too), else none.
    """
    return [blame(written, V5_KEY, RESERVED)] if V5_KEY in written else []


def _first_name(path: str) -> str:
    """The first attribute a ``$.path`` names: ``$.note[0].id`` -> ``note``."""
    return path[2:].split(".")[0].split("[")[0]


def check_new_body(document: object) -> None:
    """Check a v5 create body: no first-level ``_v5``, and a ``PartyInteraction_FVO``.

    Raises:
        ValidationError: alone, a first-level ``_v5`` (reserved); else every
            problem of the body against the OAS, each with its ``$.path``.
    """
    if isinstance(document, Mapping) and (
        found := reserved_problems({name: f"$.{name}" for name in document})
    ):
        raise ValidationError(found)
    v5contract.check_new(
        dict(document) if isinstance(document, Mapping) else document,
        "PartyInteraction_FVO",
    )


def canonical_of(
    view: Mapping[str, Any],
    previous: Document | None,
    now: str,
    trace: Trace | None = None,
) -> Document:
    """Map a v5 body to canonical, checked and normalised by the v4 model.

    ``now`` (UTC ISO 8601) becomes ``lastUpdate``: the write's one clock reading,
    so ``lastUpdate`` equals ``creationDate`` on create and ``statusChangeDate``
    on a status change.
    ``trace``: for a patch, its traces (see
    :func:`~tmf683.versions.v5.from_v5`).

    What no document may hold (NUL, an unpaired surrogate, an integer beyond 64
    bits...) was refused before, for the whole v5 body (what goes under ``_v5``
    too), by :func:`~tmf683.versions.v5contract.schema_problems`, which every
    body and every patched attribute goes through.
    """
    document = from_v5(view, previous, trace)
    body = {k: v for k, v in v4_part(document).items() if k != "id"}
    normalised = party_interaction_document(body)
    if "id" in document:
        normalised = {"id": document["id"], **normalised}
    stored = pairs_after_normalising(document, normalised)
    extra = stored.get(V5_KEY) or {}
    attributes = {**extra.get("attributes", {})}
    attributes["lastUpdate"] = now
    canonical = {**stored, V5_KEY: {**extra, "attributes": attributes}}
    # the v4 model measured the v4 part; what only v5 says counts too
    if (size := json_size(canonical)) > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            [("$", f"is {size} bytes of JSON, larger than {MAX_DOCUMENT_BYTES}")]
        )
    return canonical


def patched_document(
    current: Document,
    view: Document,
    patch: object,
    patch_format: PatchFormat,
    *,
    query_timeout: float | None,
    clock: Callable[[], datetime],
) -> Document:
    """The canonical document a v5 patch of ``view`` stores in place of ``current``.

    Args:
        current: the stored (canonical) document.
        view: its v5 view, ``href`` under the caller's API root.
        patch: the patch in v5 names, checked already by
            :func:`~tmf683.patch.apply.check_patch`.
        patch_format: its format.
        query_timeout: seconds the patch may take (its filters), as the store's.
        clock: the time now (an aware datetime); read once, after the checks,
            for ``lastUpdate`` (and ``statusChangeDate`` when ``status`` changes).

    Returns:
        The canonical document to store: what v4 holds and v5 does not show kept.

    Raises:
        ValidationError: an immutable attribute or the reserved ``_v5`` written, a
            change that is not a ``PartyInteraction_MVO``, or a result that is not a
            valid PartyInteraction (only the attributes the patch wrote judged).
        PatchConflictError: a JSON Patch that does not apply to ``view``.
        QueryTimeoutError: its filters ran past ``query_timeout``.
    """
    trace = Trace()  # where each element goes, for what only v4 holds of it
    patched = apply_patch(
        traced_for_v5_patch(view, trace),
        patch,
        patch_format,
        schema=V5_PARTY_INTERACTION_SCHEMA,
        budget=PatchBudget(timeout=query_timeout),
    )
    refused = refused_changes(
        view, patched, V5_IMMUTABLE_ATTRIBUTES, "PartyInteraction_MVO"
    ) + reserved_problems(patched.written)
    if refused:
        raise ValidationError(refused)
    merged = patched.document
    changes = {
        name: merged[name]
        for name in patched.written
        if name in merged and name not in V5_IMMUTABLE_ATTRIBUTES
    }
    kind = {"@type": view["@type"]} | {  # a subclass: with its schema
        name: merged[name]
        for name in ("@baseType", "@schemaLocation")
        if name in merged
    }
    problems = v5contract.schema_problems(
        {**kind, **_without_nulls(changes)}, "PartyInteraction_MVO"
    )
    result = {k: v for k, v in merged.items() if k not in ("id", "href")}
    problems += [  # what the patch did not touch is not judged again
        (path, message)
        for path, message in v5contract.schema_problems(result, "PartyInteraction_FVO")
        if _first_name(path) in patched.written
    ]
    if problems:
        raise ValidationError(sorted(set(problems)))
    now = format_datetime(clock())
    stored = canonical_of(merged, current, now, trace)
    if stored.get("status") != current.get("status") and "status" in stored:
        stored["statusChangeDate"] = now
    return stored
