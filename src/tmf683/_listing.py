"""List pages as one JSON body: what ``PartyInteractionService.list`` gives, encoded.

The body is what an adapter writing the page's items with :func:`encode_json` sends,
byte for byte; rows a store gives in that form already
(:mod:`tmf683.storage.encoded`) go out as they are, ``href`` spliced in after ``id``;
a ``fields=`` selection is written from the selected attributes' texts where the
store gives them (:func:`encode_selected`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from tmf683.query.ast import Path
from tmf683.query.projection import project
from tmf683.storage.base import Document, Page
from tmf683.storage.encoded import (
    SelectedRow,
    WireRow,
    decode,
    decode_stored,
    other_forms,
)


def encode_json(value: Any) -> bytes:
    """Write a JSON value as the API does: compact UTF-8, non-ASCII as is (orjson).

    Args:
        value: dicts with str keys, lists, str, int (64 bits), float, bool, None.

    Returns:
        The JSON text.

    Raises:
        TypeError: a value JSON cannot hold (``orjson.JSONEncodeError``).
    """
    import orjson  # on first use: importing tmf683 loads no encoder

    return orjson.dumps(value)


@attrs.frozen
class JsonPage:
    """One list page as a JSON array, ready to send.

    Attributes:
        body: the page's items as :func:`encode_json` writes the list
            :meth:`~tmf683.PartyInteractionService.list` returns (UTF-8 bytes).
        item_count: how many items the body holds (``X-Result-Count``).
        total_count: how many documents match in all (``X-Total-Count``).
        offset: how many matches precede this page.
        limit: the page size asked for, after the service's maximum.
    """

    body: bytes
    item_count: int
    total_count: int
    offset: int = 0
    limit: int | None = None

    @property
    def is_partial(self) -> bool:
        """Whether matches exist outside this page (HTTP 206 where enabled)."""
        return self.item_count < self.total_count

    def links(self) -> dict[str, tuple[int, int]]:
        """The neighbouring pages, as :meth:`tmf683.Page.links`."""
        return Page([], self.total_count, self.offset, self.limit).links()


def encode_items(
    items: Sequence[WireRow | Document],
    output: Callable[[Document], Document],
    href: Callable[[str], str],
    fields: Iterable[Path] | None,
) -> bytes:
    """The JSON array of a page's items, as the service shows them.

    Args:
        items: wire rows (``(id, text)``, the omitted keys out of the text) or
            decoded stored documents.
        output: the service's view of a stored document (``id``, ``href`` first).
        href: the ``href`` of an id, ``href("")`` followed by the id (the
            service's).
        fields: the query's selection (``None``: every attribute).

    Returns:
        The bytes of ``[item,...]``: :func:`encode_json` of the list of
        ``project(output(document), fields)``. A wire row whose text starts with
        ``{"id":"`` and an id without a backslash goes out as its text with
        ``"href":`` spliced in after the id, in one join of the page's pieces:
        that id's JSON is the id between quotes, and so is its ``href``'s (no
        other character of a JSON text's string needs escaping); other rows are
        decoded and written again.
    """
    if fields is not None:
        selection = tuple(fields)
        return encode_json(
            [project(output(_document(item)), selection) for item in items]
        )
    if not any(isinstance(item, tuple) for item in items):  # all decoded: one call
        return encode_json([output(_document(item)) for item in items])
    href_open = b',"href":' + encode_json(href(""))[:-1]  # without its closing '"'
    parts = [b"["]
    add = parts.extend
    for item in items:
        if isinstance(item, tuple):
            text = item[1]
            after = text.find(b'"', 7) + 1  # past the id's closing quote
            if (
                text[after : after + 1] in (b",", b"}")
                and text.startswith(b'{"id":"')
                and text.find(b"\\", 7, after) == -1
            ):  # the id's JSON is the id between quotes, and so is it in href
                add((text[:after], href_open, text[7:after], text[after:], b","))
                continue
            item = decode(text)
        add((encode_json(output(item)), b","))
    parts[-1] = b"]"  # instead of the last ","
    return b"".join(parts)


def _document(item: WireRow | Document) -> Document:
    """A page item as its decoded document."""
    return decode(item[1]) if isinstance(item, tuple) else item


def selected_names(
    fields: Iterable[Path], omit: Iterable[str]
) -> tuple[str, ...] | None:
    """The first-level names a selection reads, when written from their texts.

    Args:
        fields: the query's selection.
        omit: names the service never shows from a stored text (``id`` and
            ``href``, which it writes itself; the reserved v5 key).

    Returns:
        Each path's first name once, in order, without ``omit``; ``None`` when
        two or more of them are selected by dotted paths only: each such value
        is decoded alone, and for two of them that costs more than decoding the
        whole text (measured: ``channel.id,note.text`` took 14 ms per 1,000
        rows instead of 12.5; ``relatedParty.role`` alone 8 instead of 9.5).
    """
    selection = tuple(fields)
    left_out = set(omit)
    names = tuple(dict.fromkeys(p[0] for p in selection if p[0] not in left_out))
    partial = [name for name in names if (name,) not in selection]
    return names if len(partial) < 2 else None


def encode_selected(
    rows: Sequence[SelectedRow],
    fields: Iterable[Path],
    names: Sequence[str],
    output: Callable[[Document], Document],
    href: Callable[[str], str],
) -> bytes:
    """The JSON array of a page's items under a ``fields=`` selection, from texts.

    Each item is ``{"id":…,"href":…}`` and the selected attributes in the stored
    text's order, as ``project(output(document), fields)`` gives it: a value
    selected whole goes out as its text; one selected by dotted paths only is
    decoded alone, projected and written again. A row goes the decode path
    (its whole text decoded, projected, written) when a value may be written
    otherwise by orjson (:func:`~tmf683.storage.encoded.other_forms`) or when
    two or more selected attributes are present and a name's key (``"name":``)
    is in its text more than once, so that the key order cannot be read off the
    text.

    Args:
        rows: the store's rows, their values for ``names`` in that order.
        fields: the query's selection.
        names: :func:`selected_names` of ``fields``.
        output: the service's view of a stored document.
        href: the ``href`` of an id.

    Returns:
        The bytes of ``[item,...]``, those :func:`encode_items` writes.
    """
    selection = tuple(fields)
    keys = [encode_json(name) + b":" for name in names]
    partial = [
        None
        if (name,) in selection
        else tuple(path for path in selection if path[0] == name)
        for name in names
    ]
    checked = other_forms([value for _, _, values in rows for value in values if value])
    parts: list[bytes] = []
    for id, text, values in rows:
        part = None
        if not (checked and other_forms([value for value in values if value])):
            part = _item(id, text, values, keys, names, partial, href)
        if part is None:
            part = encode_json(project(output(decode_stored(text)), selection))
        parts.append(part)
    return b"[" + b",".join(parts) + b"]"


def _item(
    id: str,
    text: bytes,
    values: tuple[bytes | None, ...],
    keys: Sequence[bytes],
    names: Sequence[str],
    partial: Sequence[tuple[Path, ...] | None],
    href: Callable[[str], str],
) -> bytes | None:
    """One item from its values' texts, ``None`` when the key order is unsure."""
    members = []
    for at, value in enumerate(values):
        if value is None:
            continue
        paths = partial[at]
        if paths is not None:
            name = names[at]
            projected = project({name: decode(value)}, paths, always=())
            if name not in projected:
                continue
            value = encode_json(projected[name])
        members.append((text.find(keys[at]), at, value))
    if len(members) > 1:
        for found, at, _ in members:
            if text.find(keys[at], found + 1) != -1:
                return None
        members.sort()
    head = b'{"id":' + encode_json(id) + b',"href":' + encode_json(href(id))
    return b"".join(
        [head, *[b"," + keys[at] + value for _, at, value in members], b"}"]
    )
