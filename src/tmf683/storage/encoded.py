"""List pages as JSON text, for responses without a decode and encode of each document.

A list response is the page's documents, each with ``href`` after ``id``, in compact
JSON as :func:`tmf683.encode_json` (orjson) writes it. A store that can give a page's
documents in that form already (:class:`EncodedListStore`) saves the service parsing
every document only to write it again: SQLite keeps each document as orjson's
text (since issue 13's third round; ``json.dumps``'s, compact, non-ASCII as is,
before it and for what orjson refuses), and ``json.dumps``'s is orjson's text for
the same value except for floats ``json.dumps`` writes with an exponent (``1e-07``
and ``-2.5e-05`` where orjson 3.13 writes ``1e-7`` and ``-0.000025``) and for
values no document may hold
(integers beyond 64 bits, ``NaN``): :func:`wire_rows` passes the other texts on as
they are and decodes the few that hold one of those.

A store may also answer a ``fields=`` selection with each selected first-level
attribute's value as the text holds it (:class:`SelectingListStore`): SQLite's
``document -> '$."name"'`` gives that sub-text as written, PostgreSQL's ``->`` on a
``json`` column (not ``jsonb``) does too. :mod:`tmf683._listing` writes the items
from those texts.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs
import re2

from tmf683.query.ast import Query
from tmf683.storage.base import Document

WireRow = tuple[str, bytes]
"""``(id, text)``: a document's ``id`` and its UTF-8 JSON text in the wire form
(:func:`tmf683.encode_json` of the document), the omitted keys left out."""

_CONSTANTS = rb"NaN|Infinity"
"""Values ``json.dumps`` writes (``NaN``, ``Infinity``, ``-Infinity``) that are
not JSON, and that orjson writes as ``null``."""
_EXPONENT = rb"[:,\[]-?[0-9]+(?:\.[0-9]+)?e[-+]"
"""A float ``json.dumps`` writes with an exponent (``1e-07``, ``1e+16``;
Python's float ``repr`` always signs it), after what comes before a number in
compact JSON (``:``, ``,``, ``[``); orjson picks other forms for some (``1e-7``,
``-0.000025`` for ``-2.5e-05``), so every such text is decoded. (``4e-`` in a UUID
is no number.)"""


_CONSTANTS_FOUND = re2.compile(_CONSTANTS)
_OTHER_FORMS_FOUND = re2.compile(b"|".join((_CONSTANTS, _EXPONENT)))


@functools.cache
def _looked_for(omit: tuple[str, ...], wire: bool) -> re2._Regexp[bytes] | None:
    """One RE2 pattern for every text that may need decoding (one pass, ~1 GB/s).

    ``None`` when no text can: wire texts (``wire``) and nothing to omit.
    """
    keys = [
        re2.escape((json.dumps(key, ensure_ascii=False) + ":").encode()) for key in omit
    ]
    parts = keys if wire else [_CONSTANTS, _EXPONENT, *keys]
    return re2.compile(b"|".join(parts)) if parts else None


_CONSTANT_SCREENS = (re2.compile(b"NaN"), re2.compile(b"Infinity"))
_EXPONENT_SCREENS = tuple(
    re2.compile(sign + rb"[0-9]{2,3}(?:[,}\]\n]|$)") for sign in (rb"-", rb"\+")
)
"""What every text :data:`_CONSTANTS` or :data:`_EXPONENT` finds also holds: a
constant; an exponent's sign, its two or three digits (Python's float ``repr``)
and what ends a number in compact JSON (``,``, ``}``, ``]``; a line's end or the
text's between the texts looked through). Each pattern starts with one byte, rare
in documents (``N``, ``I``, ``-``, ``+``), which RE2 skips to with ``memchr``:
with the key below, the five take 0.2 ms per MB of benchmark documents where
:func:`_looked_for`'s one pass takes 1.5 (a step of its DFA per byte)."""


@functools.cache
def _screens(omit: tuple[str, ...], wire: bool) -> tuple[re2._Regexp[bytes], ...]:
    """Patterns of which one matches wherever :func:`_looked_for`'s does.

    The keys are looked for without their opening quote (``_v5":``), so that the
    search skips to their first character.
    """
    keys = tuple(
        re2.compile(
            re2.escape((json.dumps(key, ensure_ascii=False)[1:] + ":").encode())
        )
        for key in omit
    )
    return keys if wire else (*_CONSTANT_SCREENS, *_EXPONENT_SCREENS, *keys)


def _may_match(texts: bytes, omit: tuple[str, ...], wire: bool) -> bool:
    """Whether :func:`_looked_for`'s pattern may find something in ``texts``."""
    return any(screen.search(texts) is not None for screen in _screens(omit, wire))


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


SelectedRow = tuple[str, bytes, tuple[bytes | None, ...]]
"""``(id, text, values)``: a document's ``id``, its whole stored text (UTF-8
``json.dumps`` output, as for :func:`wire_rows`) and, for each name asked for, the
text of that first-level attribute's value as the stored text writes it
(``None`` when the document has no such attribute)."""


@attrs.frozen
class SelectedRows:
    """A list query's page, as the selected attributes' texts.

    Attributes:
        items: the page's rows in order (:data:`SelectedRow`).
        total_count: how many documents match the filter in all.
    """

    items: list[SelectedRow]
    total_count: int


@runtime_checkable
class SelectingListStore(Protocol):
    """A store that answers list queries with first-level values as text (a role).

    SQLite implements it; a store whose documents are kept as text as written
    (PostgreSQL's ``json``) implements it by selecting ``column -> name`` for each
    name.
    """

    def find_selected(self, query: Query, names: Sequence[str]) -> SelectedRows:
        """Answer a list query as ``find``, with the values of ``names`` as text.

        Args:
            query: as for ``find``.
            names: first-level attribute names (none holds ``"`` or a control
                character: the query parser refuses them).

        Returns:
            The same documents in the same order, and the same count, as ``find``.
        """
        ...  # pragma: no cover - a protocol


def other_forms(texts: Sequence[bytes]) -> bool:
    """Whether orjson may write any of these JSON values otherwise than they are.

    Args:
        texts: JSON values' texts (``json.dumps`` output, as for :func:`wire_rows`).

    Returns:
        ``True`` when one may hold ``NaN``/``Infinity`` or a float with an
        exponent (looked for as text, in one RE2 pass: a string holding one
        counts too, which is slower, never wrong).
    """
    joined = b":" + b"\n:".join(texts)
    if not _may_match(joined, (), False):
        return False
    return _OTHER_FORMS_FOUND.search(joined) is not None


def decode_stored(text: bytes) -> Document:
    """Decode a stored text as :func:`wire_rows` does.

    Args:
        text: a stored JSON object's text.

    Returns:
        The document: by ``json.loads`` where ``NaN`` or ``Infinity`` may be, by
        orjson otherwise (floats read exactly).
    """
    if _CONSTANTS_FOUND.search(text) is not None:
        document: Document = json.loads(text)
        return document
    return decode(text)


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


def wire_rows(
    rows: Sequence[tuple[str, bytes]], omit: Sequence[str] = (), *, wire: bool = False
) -> list[WireRow | Document]:
    """Pass on texts ``json.dumps`` wrote, decoding those orjson writes otherwise.

    A text goes on as it is unless it holds ``NaN`` or ``Infinity``, a float with
    an exponent, or an ``omit`` key (each looked for as text, so a string holding
    one is decoded too: slower, never wrong); a few searches that skip to rare
    bytes come first (``_EXPONENT_SCREENS``), and a page where none finds
    anything goes on without the pass over every byte. Integers need no check:
    no document holds one beyond 64 bits (validation refuses them,
    :data:`tmf683._validation.INTEGER_RANGE`, since before the first release),
    and both write the others alike; so do both write strings (compact,
    non-ASCII as is, the same escapes) and floats without an exponent (the
    shortest text that reads back as the float).

    Args:
        rows: ``(id, text)``, each text compact ``json.dumps`` output with
            ``ensure_ascii=False`` or orjson's, in UTF-8 (how SQLite stores
            documents, in every release).
        omit: first-level keys the caller wants left out of the texts.
        wire: the texts are :func:`tmf683.encode_json`'s already (PostgreSQL's
            ``document_text``): only the ``omit`` keys are looked for.

    Returns:
        Each row when it goes on as it is, else the decoded document: by
        ``json.loads`` where ``NaN`` or ``Infinity`` may be (as the store's
        ``find`` reads them), by orjson otherwise (floats read exactly).
    """
    keys = tuple(omit)
    pattern = _looked_for(keys, wire)
    if pattern is None:
        return list(rows)
    joined = b"\n".join([text for _, text in rows])  # no compact JSON text holds one
    if not _may_match(joined, keys, wire):
        return list(rows)
    starts = []
    at = 0
    for _, text in rows:
        starts.append(at)
        at += len(text) + 1
    constants: set[int] = set()
    decoded: set[int] = set()
    for found in pattern.finditer(joined):
        at = found.start()
        index = bisect.bisect_right(starts, at) - 1
        if joined[at] in b"NI":
            constants.add(index)
        else:  # a number with an exponent, an omitted key
            decoded.add(index)
    if not constants and not decoded:
        return list(rows)
    items: list[WireRow | Document] = []
    for index, row in enumerate(rows):
        if index in constants:
            document: Document = json.loads(row[1])
            items.append(document)
        elif index in decoded:
            items.append(decode(row[1]))
        else:
            items.append(row)
    return items


def decode(text: bytes | str) -> Document:
    """Decode a text of 64-bit integers and JSON numbers only, as ``json.loads``.

    Args:
        text: a JSON object's text.

    Returns:
        The document (orjson, which reads every float exactly as Python does).
    """
    import orjson  # on first use: importing tmf683 loads no decoder

    document: Document = orjson.loads(text)
    return document
