"""List pages as JSON text, for responses without a decode and encode of each document.

A list response is the page's documents, each with ``href`` after ``id``, in compact
JSON as :func:`tmf683.encode_json` (orjson) writes it. A store that can give a page's
documents in that form already (:class:`EncodedListStore`) saves the service parsing
every document only to write it again: SQLite keeps each document as the text
:func:`json.dumps` wrote (compact, non-ASCII as is), which is orjson's text for the
same value except for floats written with an exponent (``1e-07`` where orjson
writes ``1e-7``, ``1e+16`` for ``1e16``) and for values no document may hold
(integers beyond 64 bits, ``NaN``): :func:`wire_rows` passes the other texts on as
they are and decodes the few that hold one of those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs
import orjson

from tmf683.query.ast import Query
from tmf683.storage.base import Document

WireRow = tuple[str, str]
"""``(id, text)``: a document's ``id`` and its JSON text in the wire form
(:func:`tmf683.encode_json` of the document), the omitted keys left out."""

_EXPONENT = re.compile(r"[0-9]e[-+]")
"""Where :func:`json.dumps` writes a float otherwise than orjson: with an exponent
(``1e-07``; Python's float ``repr`` always signs it, orjson never writes ``+`` nor a
leading zero). It may also match inside a string: such texts are decoded, which is
slower, never wrong."""


def _constants(text: str) -> bool:
    """Whether the text may hold ``NaN`` or ``Infinity`` (orjson writes ``null``)."""
    return "NaN" in text or "Infinity" in text


def _exponent(text: str) -> bool:
    """Whether the text may hold a float :func:`json.dumps` writes with an exponent."""
    return ("e-" in text or "e+" in text) and _EXPONENT.search(text) is not None


@attrs.frozen
class EncodedRows:
    """A list query's page, as JSON text where the store has it in the wire form.

    Attributes:
        items: the page's documents in order, each a :data:`WireRow` or, where the
            store could not give the wire form, the decoded document (the omitted
            keys may still be in it).
        total_count: how many documents match the filter in all.
    """

    items: list[WireRow | Document]
    total_count: int


@runtime_checkable
class EncodedListStore(Protocol):
    """A store that answers list queries with JSON text (an optional role)."""

    def find_encoded(self, query: Query, omit: Sequence[str]) -> EncodedRows:
        """Answer a list query as :meth:`~tmf683.storage.base.DocumentStore.find`.

        Args:
            query: as for ``find``.
            omit: first-level keys to leave out of every document's text (for
                example the reserved v5 key and ``href``).

        Returns:
            The same documents in the same order, and the same count, as ``find``.
        """
        ...  # pragma: no cover - a protocol


def wire_rows(rows: Sequence[tuple[str, str]]) -> list[WireRow | Document]:
    """Pass on texts :func:`json.dumps` wrote, decoding those orjson writes otherwise.

    Integers need no check: no document holds one beyond 64 bits (validation
    refuses them, :data:`tmf683._validation.INTEGER_RANGE`, since before the first
    release), and both write the others alike; so do both write strings (compact,
    non-ASCII as is, the same escapes) and floats without an exponent (the
    shortest text that reads back as the float).

    Args:
        rows: ``(id, text)``, each text compact :func:`json.dumps` output with
            ``ensure_ascii=False`` (how SQLite stores documents, in every release).

    Returns:
        Each row as it is when orjson writes its value as the same text, else the
        decoded document: by orjson (floats read exactly), or by :func:`json.loads`
        where ``NaN`` or ``Infinity`` may be (as the store's ``find`` reads them).
    """
    items: list[WireRow | Document] = []
    for row in rows:
        text = row[1]
        if _constants(text):
            document: Document = json.loads(text)
            items.append(document)
        elif _exponent(text):
            items.append(decode(text))
        else:
            items.append(row)
    return items


def decode(text: str) -> Document:
    """Decode a text of 64-bit integers and JSON numbers only, as :func:`json.loads`.

    Args:
        text: a JSON object's text.

    Returns:
        The document (orjson, which reads every float exactly as Python does).
    """
    document: Document = orjson.loads(text)
    return document
