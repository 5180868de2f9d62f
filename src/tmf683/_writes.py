"""The v4 write rules: a create body made a stored document, a patch applied to one.

What :class:`~tmf683.PartyInteractionService` checks and completes on every write,
apart from storing it: the server's attributes (``id``, ``creationDate``,
``statusChangeDate``), the attributes a patch may not change, validation of the
result, the party restriction and the v5 data a v4 patch keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from tmf683._datetimes import format_datetime
from tmf683._errors import ValidationError
from tmf683._model import PartyInteraction
from tmf683._normalize import with_attribute
from tmf683._schema import PARTY_INTERACTION_SCHEMA
from tmf683._serialization import unstructure
from tmf683._validation import SERVER_ATTRIBUTES, party_interaction_document
from tmf683._visibility import check_party_write
from tmf683.patch.apply import PatchFormat, apply_patch, refused_changes
from tmf683.patch.budget import PatchBudget
from tmf683.storage.base import Document
from tmf683.versions.canonical import v4_part, with_v5_part
from tmf683.versions.v5 import traced_for_v4_patch, v5_part_after_v4_patch
from tmf683.versions.v5match import Trace

IMMUTABLE_ATTRIBUTES = ("id", "href", "direction")
"""Not in ``PartyInteraction_Update``: a patch may repeat, not change them."""


def new_document(
    document: object, clock: Callable[[], datetime], id_factory: Callable[[], str]
) -> Document:
    """Validate a create body and complete it with the server's attributes.

    Args:
        document: the JSON body (a mapping) or a model object.
        clock: the current time (an aware datetime), for ``creationDate`` unless
            given and ``statusChangeDate`` when ``status`` is given without it
            (written in UTC, ISO 8601).
        id_factory: the new document's id.

    Returns:
        The document to store: ``id`` first, then the body's v4 attributes.

    Raises:
        ValidationError: every problem of the body (TMF683 profile, JSON limits,
            server attributes given), each with its ``$.path``.
    """
    if isinstance(document, PartyInteraction):
        document = unstructure(document)
    if not isinstance(document, Mapping):
        raise ValidationError([("$", "must be a JSON object")])
    server_set = [
        (f"$.{name}", "is set by the server; leave it out")
        for name in SERVER_ATTRIBUTES
        if name in document
    ]
    body = {k: v for k, v in document.items() if k not in SERVER_ATTRIBUTES}
    try:
        normalised = party_interaction_document(body)
    except ValidationError as exc:
        raise ValidationError(server_set + list(exc.problems)) from exc
    if server_set:
        raise ValidationError(server_set)
    now = format_datetime(clock())
    if "creationDate" not in normalised:
        normalised = with_attribute(normalised, PartyInteraction, "creationDate", now)
    if "status" in normalised and "statusChangeDate" not in normalised:
        normalised = with_attribute(
            normalised, PartyInteraction, "statusChangeDate", now
        )
    return {"id": id_factory(), **v4_part(normalised)}


def patched_document(
    current: Document,
    view: Document,
    patch: object,
    patch_format: PatchFormat,
    *,
    timeout: float | None,
    clock: Callable[[], datetime],
    party: str | None,
) -> Document:
    """Apply a v4 patch (TMF630 Part 5) to a stored document; return the new one.

    Args:
        current: the stored (canonical) document, with ``id``.
        view: its v4 view (``id`` and ``href`` first), which the patch applies to.
        patch: the checked body (:func:`~tmf683.patch.apply.check_patch`).
        patch_format: its format.
        timeout: seconds a JSON Patch Query may spend selecting, or ``None``.
        clock: the current time, for ``statusChangeDate`` when ``status`` changes
            and the patch does not write it.
        party: the caller's party when restricted to one, else ``None``.

    Returns:
        The document to store, with the v5 data the patch keeps.

    Raises:
        ValidationError: a change of :data:`IMMUTABLE_ATTRIBUTES` or an invalid
            result.
        PatchConflictError: a JSON Patch that does not apply.
        PartyRestrictionError: the result brings in another party or drops
            ``party``.
    """
    trace = Trace()  # where each element goes, for the v5 data kept of it
    patched = apply_patch(
        traced_for_v4_patch(view, current, trace),
        patch,
        patch_format,
        schema=PARTY_INTERACTION_SCHEMA,
        budget=PatchBudget(timeout=timeout),
    )
    refused = refused_changes(view, patched, IMMUTABLE_ATTRIBUTES)
    if refused:
        raise ValidationError(refused)
    normalised = party_interaction_document(
        {k: v for k, v in patched.document.items() if k not in ("id", "href")}
    )
    status = normalised.get("status")
    if (
        status != current.get("status")
        and status is not None
        and "statusChangeDate" not in patched.written
    ):
        normalised = with_attribute(
            normalised,
            PartyInteraction,
            "statusChangeDate",
            format_datetime(clock()),
        )
    result = {"id": current["id"], **normalised}
    check_party_write(current, result, party)
    kept = v5_part_after_v4_patch(current, patched.document, result, trace)
    return with_v5_part(result, kept)
