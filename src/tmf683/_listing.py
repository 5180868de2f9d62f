"""List pages as one JSON body: what ``PartyInteractionService.list`` gives, encoded.

The body is what an adapter writing the page's items with :func:`encode_json` sends,
byte for byte; rows a store gives in that form already
(:mod:`tmf683.storage.encoded`) go out as they are, ``href`` spliced in after ``id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from tmf683.query.ast import Path
from tmf683.query.projection import project
from tmf683.storage.base import Document, Page
from tmf683.storage.encoded import WireRow, decode


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
        href: the ``href`` of an id.
        fields: the query's selection (``None``: every attribute).

    Returns:
        The bytes of ``[item,...]``: :func:`encode_json` of the list of
        ``project(output(document), fields)``.
    """
    if fields is not None:
        selection = tuple(fields)
        return encode_json(
            [
                project(
                    output(decode(item[1]) if isinstance(item, tuple) else item),
                    selection,
                )
                for item in items
            ]
        )
    documents = [item for item in items if not isinstance(item, tuple)]
    if len(documents) == len(items):  # all decoded (PostgreSQL's): one call
        return encode_json([output(document) for document in documents])
    parts: list[bytes] = []
    for item in items:
        if isinstance(item, tuple):
            id, text = item
            head = b'{"id":' + encode_json(id)
            after = len(head)
            if text.startswith(head) and text[after : after + 1] in (b",", b"}"):
                href_json = encode_json(href(id))
                parts.append(b"".join((head, b',"href":', href_json, text[after:])))
                continue
            item = decode(text)
        parts.append(encode_json(output(item)))
    return b"[" + b",".join(parts) + b"]"
