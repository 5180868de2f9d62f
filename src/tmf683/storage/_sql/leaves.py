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
- A PostgreSQL B-tree entry holds at most ~2.7 kB (2704 bytes, after
  compression, which random texts escape), so the index keeps a text's
  :func:`cut` (at most :data:`PREFIX` characters and about :data:`CUT_BYTES`
  UTF-8 bytes) and no row at all for a path longer than :data:`PATH_BYTES` bytes
  (:func:`indexed`): the compiler tests the documents for such a path. Both
  stores keep the same rows, so one compiler serves both.
- Cutting keeps the order (``a <= b`` gives ``cut(a) <= cut(b)``), so the index
  still finds a superset and the exact test on the document is the recheck. A
  bound the cut leaves whole with room to spare (:func:`compares_whole`) compares
  with cut texts exactly as with whole ones.
- Names holding a dot, ``[`` or a backslash are escaped, so two paths never meet.

This module computes the rows; each store's schema module writes them in the
write's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LEAF_TABLE = "party_interaction_leaf"
"""One row ``(path, value, seq)`` per document and distinct leaf (see the module)."""

PREFIX = 500
"""The most characters of a text the index keeps (see :func:`cut`)."""

CUT_BYTES = 1500
"""A text's cut ends with the first character that brings its UTF-8 length to this
many bytes or more (so at most 3 bytes more; see :func:`cut`)."""

PATH_BYTES = 1000
"""The longest leaf path (UTF-8 bytes) the index keeps rows for. With the longest
cut text (``CUT_BYTES + 3``), or the widest ``numeric`` of a valid number (~400
bytes: a float's exact decimal, an integer of 64 bits), and ~24 bytes of headers
and ``seq``, an entry stays under PostgreSQL's 2704 bytes."""

Leaf = str | int | float
"""A leaf value: a text (its :func:`cut`) or a number (never a bool)."""


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


def _utf8(text: str) -> bytes:
    """UTF-8, an unpaired surrogate (a filter bound may hold one) as 3 bytes."""
    return text.encode("utf-8", "surrogatepass")


def cut(text: str) -> str:
    """The part of a text the index keeps.

    Its shortest prefix of :data:`PREFIX` characters or of :data:`CUT_BYTES`
    UTF-8 bytes or more, else the whole text (so at most ``CUT_BYTES + 3`` bytes).
    Where it stops depends only on the characters before the stop, so the order is
    kept: ``a <= b`` gives ``cut(a) <= cut(b)`` (where they first differ, either
    both are cut before, alike, or both keep that character). Cutting by whole
    characters at a byte count instead (the longest prefix within a limit) would
    not keep it: ``p + "a"`` would keep its ``a`` where ``p + "😀"`` drops its 😀.
    """
    if len(text) * 4 < CUT_BYTES:
        return text[:PREFIX]  # cannot reach CUT_BYTES
    head = text[:PREFIX]
    encoded = _utf8(head)
    if len(encoded) <= CUT_BYTES:
        return head
    end = CUT_BYTES  # then the rest of the character that reaches it:
    while end < len(encoded) and encoded[end] & 0xC0 == 0x80:
        end += 1
    return encoded[:end].decode("utf-8", "surrogatepass")


def compares_whole(bound: str) -> bool:
    """Whether any text ``s`` compares with ``bound`` as ``cut(s)`` does.

    True when ``bound`` has fewer than :data:`PREFIX` characters and fewer than
    :data:`CUT_BYTES` bytes: a cut then never stops inside ``bound``'s length.
    """
    return len(bound) < PREFIX and (
        len(bound) * 4 < CUT_BYTES or len(_utf8(bound)) < CUT_BYTES
    )


def indexed(path: str) -> bool:
    """Whether the index keeps rows at a leaf path (:data:`PATH_BYTES` at most)."""
    return len(path) * 4 <= PATH_BYTES or len(_utf8(path)) <= PATH_BYTES


def leaves(document: Mapping[str, Any]) -> set[tuple[str, Leaf]]:
    """The leaf rows of a document: ``(path, value)``, each once.

    Args:
        document: a JSON document.

    Returns:
        Pairs such as ``("relatedParty[].id", "P1")`` or ``("x-size", 3)``.
    """
    return leaves_and_texts(document)[0]


def leaves_and_texts(
    document: Mapping[str, Any],
) -> tuple[set[tuple[str, Leaf]], set[tuple[str, str]]]:
    """:func:`leaves` and :func:`leaf_texts` of a document, walked once."""
    rows: set[tuple[str, Leaf]] = set()
    texts: set[tuple[str, str]] = set()
    for path, value in _walk(document):
        if not indexed(path):
            continue
        if isinstance(value, str):
            texts.add((path, value))
            rows.add((path, cut(value)))
        else:
            rows.add((path, value))
    return rows, texts


def leaf_texts(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The texts of a document's leaves, whole: ``(path, text)``, each once.

    Args:
        document: a JSON document.

    Returns:
        Pairs such as ``("note[].text", "Called back")``: the string leaves of
        :func:`leaves` before their cut (none at a path it leaves out).
    """
    return leaves_and_texts(document)[1]


def _walk(document: Mapping[str, Any]) -> list[tuple[str, Leaf]]:
    """Every text and number of a document with its leaf path (see the module).

    A loop over a stack rather than nested generators: this runs on every write
    (about 30 leaves a document), and each generator level cost a resumption per
    leaf below it.
    """
    found: list[tuple[str, Leaf]] = []
    stack: list[tuple[Mapping[str, Any], str]] = [(document, "")]
    while stack:
        current, prefix = stack.pop()
        for name, value in current.items():
            path = prefix + escape(name)
            if isinstance(value, str):
                found.append((path, value))
            elif isinstance(value, int | float):
                if not isinstance(value, bool):
                    found.append((path, value))
            elif isinstance(value, Mapping):
                stack.append((value, path + "."))
            elif isinstance(value, list):
                inner = path + "[]."
                stack.extend(
                    (element, inner)
                    for element in value
                    if isinstance(element, Mapping)
                )
    return found
