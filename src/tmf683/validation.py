"""What a PartyInteraction must contain: the TMF683 v4 conformance profile.

The profile, not the swagger's ``required`` list, decides (``TMF630.md``, "What a create
must contain"): ``channel`` is a non-empty array whose items have ``id``; ``direction``
and ``reason`` are present; ``relatedParty[]`` items have ``id`` and ``@referredType``;
``interactionItem[].item`` has ``role``. ``id`` and ``href`` belong to the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tmf683.errors import Problem, ValidationError
from tmf683.model import PartyInteraction
from tmf683.serialization import structure

__all__ = [
    "MAX_NESTING_DEPTH",
    "SERVER_ATTRIBUTES",
    "profile_problems",
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


def _items(value: object) -> list[tuple[int, dict[str, Any]]]:
    """The object items of a JSON array with their indexes; nothing for a non-array."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def profile_problems(document: Mapping[str, Any]) -> list[Problem]:
    """List what the conformance profile misses in a PartyInteraction JSON document.

    Works on the raw JSON, so it reports missing attributes even where others have
    the wrong type; wrong types themselves are the schema's findings
    (:func:`tmf683.serialization.structure`).

    Args:
        document: the JSON object.

    Returns:
        ``(json_path, message)`` findings; empty when the document conforms.
    """
    problems: list[Problem] = []
    channel = document.get("channel")
    if channel is None or channel == []:
        problems.append(("$.channel", "is required and must hold at least one channel"))
    problems += [
        (f"$.channel[{index}].id", "is required")
        for index, item in _items(channel)
        if item.get("id") in (None, "")
    ]
    for name in ("direction", "reason"):
        if document.get(name) is None:
            problems.append((f"$.{name}", "is required"))
        elif document.get(name) == "":
            problems.append((f"$.{name}", "must not be empty"))
    for index, party in _items(document.get("relatedParty")):
        for name in ("id", "@referredType"):
            if party.get(name) in (None, ""):
                problems.append((f"$.relatedParty[{index}].{name}", "is required"))
    for index, item in _items(document.get("interactionItem")):
        entity = item.get("item")
        if isinstance(entity, dict) and entity.get("role") in (None, ""):
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
    schema_problems: list[Problem] = []
    try:
        interaction = structure(document, PartyInteraction)
    except ValidationError as exc:
        schema_problems = list(exc.problems)
    reported = {path for path, _ in schema_problems}
    problems = schema_problems + [
        problem for problem in profile_problems(document) if problem[0] not in reported
    ]
    if problems:
        raise ValidationError(problems)
    return interaction
