"""The trigram index of the stored documents' texts, a prefilter for ``regex``.

PostgreSQL keeps one row ``(seq, path, text)`` per document and distinct string
leaf (:func:`texts`): ``path`` joins the attribute names from the document root
with dots, array positions left out (``note.text`` for the text of every note),
indexed with ``pg_trgm`` (a GIN index that ``LIKE``/``ILIKE`` use). SQLite keeps
each distinct ``(path, text)`` of the leaf index's texts once, whole, at its leaf
path (:func:`tmf683.storage._sql.leaves.leaf_texts`), indexed with FTS5's
``trigram`` tokenizer; the leaf index gives the documents that hold a matching
text (through its cut, for a long one), so a write adds no row per document.
SQLite's new texts wait for the FTS5 index and go in by batches
(:mod:`tmf683.storage.sqlite._index`); until then they are candidates too.
A ``regex`` whose pattern requires literals of 3 or more characters
(:func:`tmf683.query.literals.required`) first reads the documents with such a
text at its path; RE2 then runs on those only, so the results are
RE2's. Two keys joined into the same dotted path (``{"a.b": ...}`` and ``{"a":
{"b": ...}}``) only add candidates, never lose one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tmf683.query.ast import Path
from tmf683.query.literals import MIN_LENGTH, All, Literal, Requirement, required
from tmf683.query.literals import Any as AnyOf
from tmf683.storage._sql.tables import UNSTORABLE

TEXT_TABLE = "party_interaction_text"
"""PostgreSQL: one row ``(seq, path, text)`` per document and distinct string leaf;
SQLite: one row ``(id, path, text, leaf)`` per distinct leaf path and text."""

TRIGRAM_TABLE = "party_interaction_trigram"
"""SQLite's FTS5 ``trigram`` index over :data:`TEXT_TABLE` (external content)."""


def text_path(path: Path) -> str:
    """The ``path`` column of the texts at a filter's path (from the root)."""
    return ".".join(path)


def texts(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The rows of a document: ``(path, text)`` for each distinct string leaf.

    Args:
        document: a JSON document (objects, arrays, scalars).

    Returns:
        An iterator of pairs such as ``("note.text", "Called back")``.
    """
    seen: set[tuple[str, str]] = set()
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if (path, value) not in seen:
                seen.add((path, value))
                yield path, value
        elif isinstance(value, dict):
            prefix = path + "." if path else ""
            stack += [(prefix + str(key), item) for key, item in value.items()]
        elif isinstance(value, list):
            stack += [(path, item) for item in value]


def requirement(patterns: Sequence[str]) -> Requirement | None:
    """What a text matching one of ``patterns`` (ORed) contains, or ``None`` (scan).

    Args:
        patterns: RE2 patterns (valid ones).

    Returns:
        The OR of each pattern's requirement; ``None`` when one has none.
    """
    needs = [_bindable(required(pattern)) for pattern in patterns]
    if not needs or any(need is None for need in needs):
        return None
    found = [need for need in needs if need is not None]
    return found[0] if len(found) == 1 else AnyOf(tuple(found))


def _bindable(need: Requirement | None) -> Requirement | None:
    """``need`` with literals split where neither engine can take a character.

    NUL and unpaired surrogates cannot be bound (PostgreSQL, sqlite3); a weaker
    requirement (the pieces of 3 or more characters) stays correct.
    """
    if need is None:
        return None
    if isinstance(need, Literal):
        pieces = [
            Literal(piece, need.nocase)
            for piece in UNSTORABLE.split(need.text)
            if len(piece) >= MIN_LENGTH
        ]
        if not pieces:
            return None
        return pieces[0] if len(pieces) == 1 else All(tuple(pieces))
    parts = [_bindable(part) for part in need.parts]
    if isinstance(need, All):
        kept = tuple(part for part in parts if part is not None)
        return All(kept) if kept else None
    if any(part is None for part in parts):
        return None
    return AnyOf(tuple(part for part in parts if part is not None))
