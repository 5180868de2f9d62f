"""What the v4 and the v5 service share: ``with`` blocks, ``href``, ``if_match``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Self

from tmf683.storage.base import ExpectedVersion

IfMatch = int | Iterable[int] | Literal["*"] | None
"""The ``if_match`` of a conditional patch or delete: the version the caller read
(``VersionedDocument.version``), any of several, ``"*"`` (any existing document:
the same as ``None``, as the document must exist anyway) or ``None`` (unconditional).
"""


def expected_version(if_match: IfMatch) -> ExpectedVersion:
    """Return the store's ``expected_version`` for a service's ``if_match``.

    Raises:
        TypeError: ``if_match`` is none of the forms of :data:`IfMatch`.
    """
    if if_match is None or if_match == "*":
        return None
    if isinstance(if_match, int) and not isinstance(if_match, bool):
        return if_match
    if not isinstance(if_match, str | bytes) and isinstance(if_match, Iterable):
        versions = frozenset(if_match)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in versions):
            return versions
    raise TypeError(
        f"if_match takes a version (int), several, '*' or None, not {if_match!r}"
    )


class ServiceBase:
    """The lifecycle and ``href`` of a PartyInteraction service of one API version.

    Subclasses set ``base_url`` (the API root, no trailing slash) and define
    :meth:`close`.
    """

    base_url: str

    def close(self) -> None:
        """Release what the service owns; idempotent."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        """Return this service; the ``with`` block's end closes it (:meth:`close`)."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the service (:meth:`close`)."""
        self.close()

    def href(self, id: str, *, base_url: str | None = None) -> str:
        """Return the URL of one PartyInteraction in this service's version.

        Args:
            id: its id.
            base_url: the API root; default: the service's.

        Returns:
            ``{base_url}/partyInteraction/{id}``.
        """
        root = self.base_url if base_url is None else base_url.rstrip("/")
        return f"{root}/partyInteraction/{id}"
