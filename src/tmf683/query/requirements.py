"""Requirements on a text: AND/OR structures of literal substrings, and their test.

A :data:`Requirement` is what :func:`tmf683.query.literals.required` finds every
match of a pattern contains; :func:`satisfied` tells whether a text meets one (a
store's trigram index finds the candidates, and this rechecks them).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

_MAX_LITERALS = 16
"""Most literals in a structure; larger ones are weakened."""


@attrs.frozen
class Literal:
    """A substring every candidate text contains.

    Attributes:
        text: the substring (lowercased when ``nocase``).
        nocase: compare with ASCII case folding.
    """

    text: str
    nocase: bool = False


@attrs.frozen
class All:
    """Every part holds (an empty ``All`` always holds)."""

    parts: tuple[Requirement, ...]


@attrs.frozen
class Any:
    """At least one part holds (never empty)."""

    parts: tuple[Requirement, ...]


Requirement = Literal | All | Any
"""A condition on a text, over literals."""

ALWAYS = All(())
"""The requirement every text meets."""


def all_of(parts: Iterable[Requirement]) -> Requirement:
    """Every part holds: an ``All`` flattened, without repeats (one part: itself)."""
    flat: list[Requirement] = []
    for part in parts:
        items = part.parts if isinstance(part, All) else (part,)
        flat += [item for item in items if item not in flat]
    return flat[0] if len(flat) == 1 else All(tuple(flat))


def any_of(parts: Iterable[Requirement]) -> Requirement:
    """One part holds: an ``Any`` flattened, without repeats; ``ALWAYS`` absorbs it."""
    flat: list[Requirement] = []
    for part in parts:
        if part == ALWAYS:
            return ALWAYS
        items = part.parts if isinstance(part, Any) else (part,)
        flat += [item for item in items if item not in flat]
    return flat[0] if len(flat) == 1 else Any(tuple(flat))


def _size(requirement: Requirement) -> int:
    if isinstance(requirement, Literal):
        return 1
    return sum(_size(part) for part in requirement.parts)


def weaken(requirement: Requirement) -> Requirement:
    """At most ``_MAX_LITERALS`` literals (drop ``All`` parts, then give up)."""
    if _size(requirement) <= _MAX_LITERALS:
        return requirement
    if isinstance(requirement, All):
        kept: list[Requirement] = []
        for part in sorted(requirement.parts, key=_size):
            if _size(All((*kept, part))) <= _MAX_LITERALS:
                kept.append(part)
        return all_of(kept)
    return ALWAYS


def satisfied(requirement: Requirement, text: str) -> bool:
    """Whether ``text`` meets ``requirement`` (``nocase``: ASCII case folding).

    Args:
        requirement: from :func:`~tmf683.query.literals.required`.
        text: any text.

    Returns:
        ``True`` when it does.
    """
    if isinstance(requirement, Literal):
        if requirement.nocase:
            return requirement.text in _ascii_lower(text)
        return requirement.text in text
    if isinstance(requirement, All):
        return all(satisfied(part, text) for part in requirement.parts)
    return any(satisfied(part, text) for part in requirement.parts)


def _ascii_lower(text: str) -> str:
    return text.translate(_LOWER)


_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
