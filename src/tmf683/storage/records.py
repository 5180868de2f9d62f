"""What the storage port passes: documents, their versions, pages of a list query.

The values every store takes and gives back, beside the protocols of
:mod:`tmf683.storage.base`: a :data:`Document` is plain JSON; a stored one has a
version (:data:`FIRST_VERSION` when added, one more with every update), which reads
return (:class:`VersionedDocument`) and conditional writes check with
:func:`check_version`; a list query answers a :class:`Page`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import attrs

from tmf683._errors import PreconditionFailedError

RESOURCE = "PartyInteraction"
"""The resource name of the documents, as errors name it."""

SUBSCRIPTION = "EventSubscription"
"""The resource name of the hub subscriptions, as errors name it."""

Document = dict[str, Any]
"""A PartyInteraction as JSON, e.g. ``{"id": ..., "channel": [...], ...}``."""

DocumentChange = Callable[[Document], Document]
"""Computes the new state of a document from its current state; may raise."""

FIRST_VERSION = 1
"""The version of a document just added; each ``update`` adds one."""

ExpectedVersion = int | Collection[int] | None
"""The version a conditional write expects, one of several versions (an empty
collection never matches), or ``None`` for an unconditional write."""


class VersionedDocument(dict[str, Any]):
    """A document (a plain ``dict`` in every other way) with its stored version.

    Equality, ``repr`` and ``pprint`` show the contents only, as for any dict;
    copies made with ``dict(...)`` or ``{**...}`` are plain dicts without the
    version.

    Args:
        document: the contents.
        version: the version of the stored document these contents come from.

    Attributes:
        version: an integer that changes with every write of the document
            (:data:`FIRST_VERSION` when created); pass it as ``if_match`` (service)
            or ``expected_version`` (store) to write only if nobody wrote since.
    """

    def __init__(self, document: Mapping[str, Any], version: int) -> None:
        super().__init__(document)
        self.version = version


def check_version(
    resource: str, id: str, expected: ExpectedVersion, version: int
) -> None:
    """Raise unless a conditional write may go ahead: the one check of every store.

    Call it inside the write's transaction, with the version read there under the
    lock the write holds.

    Args:
        resource: the resource name, for the error.
        id: the document's id.
        expected: the ``expected_version`` the write was given.
        version: the version stored now.

    Raises:
        PreconditionFailedError: ``expected`` is not ``None`` and not (or does not
            hold) ``version``.
    """
    if expected is None:
        return
    if isinstance(expected, int):
        expected = (expected,)
    if version not in expected:
        raise PreconditionFailedError(resource, id, version)


DEFAULT_QUERY_TIMEOUT = 5.0
"""Default deadline of one list query, in seconds (tmf683-server
``--query-timeout``): past it the query stops with a 503 TMF Error."""

SCAN_BATCH = 500
"""Documents per batch of :meth:`~tmf683.storage.base.DocumentStore.scan`."""


@attrs.frozen
class Page:
    """One page of a list query.

    Attributes:
        items: the documents of this page, in order.
        total_count: how many documents match the filter in all (``X-Total-Count``).
        offset: how many matches precede this page.
        limit: the page size asked for, after the service's maximum; ``None`` from a
            store queried without a limit.
    """

    items: list[Document]
    total_count: int
    offset: int = 0
    limit: int | None = None

    @property
    def is_partial(self) -> bool:
        """Whether matches exist outside this page (HTTP 206 where enabled)."""
        return len(self.items) < self.total_count

    def links(self) -> dict[str, tuple[int, int]]:
        """The neighbouring pages (TMF630 Part 1, pagination; the ``Link`` header).

        Returns:
            ``{"first"|"prev"|"next"|"last": (offset, limit)}``, only the relations
            that exist; empty without a positive ``limit``. Pages step by ``limit``
            from this page's offset; ``last`` is the one holding the last match.
        """
        if not self.limit:
            return {}
        size, total = self.limit, self.total_count
        if total == 0:
            last = 0
        elif self.offset < total:
            last = self.offset + (total - 1 - self.offset) // size * size
        else:
            last = (total - 1) // size * size
        found = {"first": (0, size)}
        if self.offset > 0:
            found["prev"] = (max(0, min(self.offset, last + size) - size), size)
        if self.offset + size < total:
            found["next"] = (self.offset + size, size)
        found["last"] = (last, size)
        return found
