"""What the v4 and the v5 service share: ``with`` blocks and ``href``."""

from __future__ import annotations

from typing import Self


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
