"""What a PartyInteraction must contain: the TMF683 v4 conformance profile.

The profile, not the swagger's ``required`` list, decides (``TMF630.md``, "What a create
must contain"): ``channel`` is a non-empty array whose items have ``id``; ``direction``
and ``reason`` are present; ``relatedParty[]`` items have ``id`` and ``@referredType``;
``interactionItem[].item`` has ``role``. ``id`` and ``href`` belong to the server.
"""

from __future__ import annotations

from typing import Any

from tmf683.errors import Problem, ValidationError
from tmf683.model import PartyInteraction
from tmf683.serialization import structure

__all__ = [
    "MAX_NESTING_DEPTH",
    "SERVER_ATTRIBUTES",
    "check_party_interaction",
    "validate_party_interaction",
]

SERVER_ATTRIBUTES = ("id", "href")
"""Attributes only the server sets; a client sending them on create gets a 400."""

MAX_NESTING_DEPTH = 64
"""Most levels of nested objects and arrays a document may have (the document itself
is level 1): deeper documents, possible only through extension attributes, are
refused so that every stored document can be written back as JSON."""


def _nesting_depth(value: object) -> int:
    """Levels of nested objects/arrays in a JSON value, counted without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children: list[object] = []
        if isinstance(current, dict):
            children = list(current.values())
        elif isinstance(current, list):
            children = current
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_party_interaction(interaction: PartyInteraction) -> list[Problem]:
    """List what the conformance profile misses in a structured interaction.

    Args:
        interaction: a model object, e.g. from :func:`tmf683.serialization.structure`.

    Returns:
        ``(json_path, message)`` findings; empty when the interaction conforms.
    """
    problems: list[Problem] = []
    if not interaction.channel:
        problems.append(("$.channel", "is required and must hold at least one channel"))
    else:
        problems += [
            (f"$.channel[{index}].id", "is required")
            for index, channel in enumerate(interaction.channel)
            if not channel.id
        ]
    if interaction.direction is None:
        problems.append(("$.direction", "is required"))
    if interaction.reason is None:
        problems.append(("$.reason", "is required"))
    for index, party in enumerate(interaction.related_party or []):
        if not party.id:
            problems.append((f"$.relatedParty[{index}].id", "is required"))
        if not party.referred_type:
            problems.append((f"$.relatedParty[{index}].@referredType", "is required"))
    for index, item in enumerate(interaction.interaction_item or []):
        if item.item is not None and not item.item.role:
            problems.append((f"$.interactionItem[{index}].item.role", "is required"))
    return problems


def validate_party_interaction(document: object) -> PartyInteraction:
    """Validate a PartyInteraction JSON document against the schema and the profile.

    Server attributes (``id``, ``href``) are not checked here: a create refuses them
    before calling this, and a patch keeps the stored ones.

    Args:
        document: the parsed JSON body.

    Returns:
        The structured interaction.

    Raises:
        ValidationError: every finding at once, schema findings first; or one
            finding when the document nests deeper than :data:`MAX_NESTING_DEPTH`.
    """
    if not isinstance(document, dict):
        raise ValidationError([("$", "must be a JSON object")])
    if _nesting_depth(document) > MAX_NESTING_DEPTH:
        raise ValidationError(
            [("$", f"nests objects and arrays deeper than {MAX_NESTING_DEPTH} levels")]
        )
    try:
        interaction = structure(document, PartyInteraction)
    except ValidationError as exc:
        schema_problems = list(exc.problems)
        profile_problems = _shallow_profile_problems(document, schema_problems)
        raise ValidationError(schema_problems + profile_problems) from exc
    problems = check_party_interaction(interaction)
    if problems:
        raise ValidationError(problems)
    return interaction


def _shallow_profile_problems(
    document: dict[str, Any], already: list[Problem]
) -> list[Problem]:
    """Missing mandatory top-level attributes, reported even when others are wrong."""
    reported = {path for path, _ in already}
    return [
        (f"$.{name}", "is required")
        for name in ("channel", "direction", "reason")
        if document.get(name) is None and f"$.{name}" not in reported
    ]
