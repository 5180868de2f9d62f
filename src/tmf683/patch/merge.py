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
