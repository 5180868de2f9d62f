"""Entity tags of one PartyInteraction: ``ETag`` out, ``If-Match`` in (RFC 9110).

The entity tag is the stored document's version in quotes, e.g. ``"7"``: a strong
validator. The v4 and the v5 URL of one interaction are two resources with the
same tag, as they show one record: a tag read through either version works in an
``If-Match`` through the other. ``If-Match`` is compared by the opaque tag, a
``W/`` prefix aside (a proxy that compresses may weaken a strong tag on the way
to the client); the tag names exactly one stored version, so this cannot let a
write through on a version the client has not seen.
"""

from __future__ import annotations

import re
from typing import Literal

import falcon

_TAG = r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"'
_LIST = re.compile(rf"[ \t]*(?:{_TAG}[ \t]*)?(?:,[ \t]*(?:{_TAG}[ \t]*)?)*")
_TAGS = re.compile(_TAG)
_VERSION = re.compile(r"[1-9][0-9]{0,18}")


class InvalidIfMatchError(falcon.HTTPBadRequest):
    """An ``If-Match`` that is neither ``*`` nor a list of entity tags (HTTP 400)."""

    def __init__(self) -> None:
        super().__init__(
            description=(
                "the If-Match header must be * or entity tags as the ETag header "
                'gives them, in double quotes, e.g. If-Match: "7"'
            )
        )


def etag(version: int) -> str:
    """The ``ETag`` header value of a document version, e.g. ``"7"`` (quotes in)."""
    return f'"{version}"'


def if_match(req: falcon.Request) -> frozenset[int] | Literal["*"] | None:
    """Read ``If-Match`` as a service's ``if_match``.

    Returns:
        ``None`` without the header; ``"*"``; else the versions its tags name
        (empty when none is a tag this server gave: the write is then refused
        with 412 as for any other version).

    Raises:
        InvalidIfMatchError: the header does not parse.
    """
    header = req.get_header("If-Match")
    if header is None:
        return None
    if header.strip() == "*":
        return "*"
    if not _TAGS.search(header) or not _LIST.fullmatch(header):
        raise InvalidIfMatchError()
    return frozenset(
        int(tag) for tag in _TAGS.findall(header) if _VERSION.fullmatch(tag)
    )
