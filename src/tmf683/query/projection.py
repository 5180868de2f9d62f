"""Attribute selection with ``fields=`` (TMF630 Part 1, attribute selection).

``id`` and ``href`` are always kept. A dotted path keeps that sub-attribute of an
object, or of every object in an array (``relatedParty.role`` keeps each party's
``role``). Names that a document does not have select nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tmf683.query.ast import Path

ALWAYS_SELECTED = ("id", "href")
"""Attributes every projection keeps."""


def _merge_into(
    target: dict[str, Any], source: Any, path: Path, kept: tuple[str, ...] = ()
) -> None:
    name, rest = path[0], path[1:]
    if name not in source:
        return
    value = source[name]
    if not rest:
        target[name] = value
        return
    if isinstance(value, Mapping):
        child = target.setdefault(name, {})
        if isinstance(child, dict):
            _keep(child, value, kept)
            _merge_into(child, value, rest, kept)
    elif isinstance(value, list):
        existing = target.get(name)
        items: list[Any] = (
            existing if isinstance(existing, list) else [{} for _ in value]
        )
        target[name] = items
        for selected, item in zip(items, value, strict=True):
            if isinstance(item, Mapping) and isinstance(selected, dict):
                _keep(selected, item, kept)
                _merge_into(selected, item, rest, kept)


def _keep(
    target: dict[str, Any], source: Mapping[str, Any], kept: tuple[str, ...]
) -> None:
    for name in kept:
        if name in source and name not in target:
            target[name] = source[name]


def project(
    document: Mapping[str, Any],
    fields: Iterable[Path] | None,
    always: Iterable[str] = ALWAYS_SELECTED,
    kept_on_the_way: Iterable[str] = (),
) -> dict[str, Any]:
    """Keep only the selected attributes of a document.

    Args:
        document: a JSON document (not modified).
        fields: the selection from :attr:`tmf683.query.ast.Query.fields`; ``None``
            keeps everything, an empty selection keeps only ``id`` and ``href``.
        always: first-level attributes every selection keeps.
        kept_on_the_way: attributes kept in every nested object a dotted path
            goes through (v5 keeps ``@type`` and ``id`` there, so that
            ``relatedChannel.channel.name`` still gives valid ``RelatedChannel``
            and ``ChannelRef`` objects); none by default, as TMF630 says for v4.

    Returns:
        A new dict in the document's attribute order.
    """
    if fields is None:
        return dict(document)
    selected: dict[str, Any] = {}
    kept = tuple(kept_on_the_way)
    for path in [(name,) for name in always] + list(fields):
        _merge_into(selected, document, path, kept)
    return {name: selected[name] for name in document if name in selected}
