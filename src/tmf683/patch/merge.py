"""JSON Merge Patch (RFC 7386), the mandatory PATCH format of TMF630 Part 5."""

from __future__ import annotations

from typing import Any


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """Apply a merge patch to a JSON value, as RFC 7386 section 2 defines.

    ``null`` in the patch removes the member; an object merges recursively; anything
    else (arrays included) replaces the target's value.

    Args:
        target: the current JSON value (not modified).
        patch: the merge patch.

    Returns:
        The patched value, sharing unchanged sub-values with ``target``.
    """
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = apply_merge_patch(result.get(name), value)
    return result


def make_merge_patch(source: Any, target: Any) -> Any:
    """The merge patch (RFC 7386) that turns ``source`` into ``target``.

    Members that differ are set (objects recursively), members ``target`` lacks
    become ``null``. ``apply_merge_patch(source, make_merge_patch(source, target))``
    equals ``target`` for JSON values without ``null`` members (a merge patch cannot
    set a member to ``null``).

    Args:
        source: the JSON value before.
        target: the JSON value after.

    Returns:
        The patch: an object when both are objects, else ``target`` itself.
    """
    if not isinstance(source, dict) or not isinstance(target, dict):
        return target
    patch: dict[str, Any] = {name: None for name in source if name not in target}
    for name, value in target.items():
        if name not in source:
            patch[name] = value
        elif source[name] != value:
            patch[name] = make_merge_patch(source[name], value)
    return patch
