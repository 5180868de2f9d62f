"""The leaf index of both SQL stores: one row per text or number in a document.

:data:`LEAF_TABLE` holds, for every stored document (its ``seq``), each distinct
``(path, value)`` of :func:`leaves`: every string and number at any depth,
extensions included, the path naming the attributes from the root with ``[]``
after each array crossed (``relatedParty[].name``). It answers a filter on any
path (:mod:`tmf683.storage._sql.compiler`): equality, ranges, ``ne``, the ORs,
and array conditions, whose same-element test stays on the candidates it gives.

- Only objects in arrays are crossed: the oracle tests an array condition on
  object elements only (:mod:`tmf683.query.evaluate`), so a row exists exactly
  where some element (or the document) has the value at the path.
- Texts longer than :data:`PREFIX` characters keep their first :data:`PREFIX`
  (a PostgreSQL B-tree entry holds at most ~2.7 kB); cutting keeps the order
  (``a <= b`` gives ``cut(a) <= cut(b)``), so the index still finds a superset and
  the exact test on the document is the recheck. A bound shorter than
  :data:`PREFIX` compares with cut texts exactly as with whole ones.
- Names holding a dot, ``[`` or a backslash are escaped, so two paths never meet.

This module computes the rows; each store's schema module writes them in the
write's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

LEAF_TABLE = "party_interaction_leaf"
"""One row ``(path, value, seq)`` per document and distinct leaf (see the module)."""

PREFIX = 500
"""The most characters of a text the index keeps (4 bytes each at most in UTF-8:
well under PostgreSQL's B-tree entry limit)."""

Leaf = str | int | float
"""A leaf value: a text (cut to :data:`PREFIX`) or a number (never a bool)."""


def escape(name: str) -> str:
    """An attribute name as a step of a leaf path (dot, ``[``, backslash escaped)."""
    if "." not in name and "[" not in name and "\\" not in name:
        return name
    return name.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[")


def leaf_path(path: Sequence[str], arrays: Sequence[int] = ()) -> str:
    """The leaf path of an attribute path crossing arrays at some steps.

    Args:
        path: attribute names from the document root.
        arrays: positions in ``path`` of the names that are arrays.

    Returns:
        e.g. ``"relatedParty[].name"`` for ``("relatedParty", "name")``, ``(0,)``.
    """
    return ".".join(
        escape(name) + ("[]" if n in arrays else "") for n, name in enumerate(path)
    )


def cut(text: str) -> str:
    """The part of a text the index keeps."""
    return text[:PREFIX]


def leaves(document: Mapping[str, Any]) -> set[tuple[str, Leaf]]:
    """The leaf rows of a document: ``(path, value)``, each once.

    Args:
        document: a JSON document.

    Returns:
        Pairs such as ``("relatedParty[].id", "P1")`` or ``("x-size", 3)``.
    """
    return {
        (path, cut(value) if isinstance(value, str) else value)
        for path, value in _walk(document, "")
    }


def leaves_and_texts(
    document: Mapping[str, Any],
) -> tuple[set[tuple[str, Leaf]], set[tuple[str, str]]]:
    """:func:`leaves` and :func:`leaf_texts` of a document, walked once."""
    found = list(_walk(document, ""))
    return (
        {(path, cut(v) if isinstance(v, str) else v) for path, v in found},
        {(path, v) for path, v in found if isinstance(v, str)},
    )


def leaf_texts(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The texts of a document's leaves, whole: ``(path, text)``, each once.

    Args:
        document: a JSON document.

    Returns:
        Pairs such as ``("note[].text", "Called back")``: the string leaves of
        :func:`leaves` before their cut.
    """
    return {
        (path, value) for path, value in _walk(document, "") if isinstance(value, str)
    }


def _walk(current: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Leaf]]:
    for name, value in current.items():
        path = prefix + escape(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            yield path, value
        elif isinstance(value, Mapping):
            yield from _walk(value, path + ".")
        elif isinstance(value, list):
            for element in value:
                if isinstance(element, Mapping):
                    yield from _walk(element, path + "[].")
