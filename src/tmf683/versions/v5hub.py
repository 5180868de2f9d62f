"""The TMF683 v5 hub: ``Hub_FVO`` in, the ``Hub`` entity out, v5 envelopes delivered.

:class:`HubV5` is the ``events`` of a
:class:`~tmf683.versions.v5service.PartyInteractionServiceV5`. Its subscriptions live
in the same store as v4 ones, marked ``"version": "v5"``, and go through the same
outbox and dispatcher; each version's hub sees only its own subscriptions (a v4
``GET /hub/{id}`` of a v5 subscription is a 404, and back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tmf683._errors import ValidationError
from tmf683.events.publish import EventCallback, EventPublisher
from tmf683.storage.base import Document
from tmf683.versions import v5contract

HUB_TYPE = "Hub"
"""The ``@type`` of the v5 hub entity."""


class HubV5:
    """Register, read and remove v5 hub subscriptions (v5 OAS ``/hub``).

    Args:
        publisher: the event publisher of the v4 service over the same store.
        base_url: the default v5 API root, e.g.
            ``"/tmf-api/partyInteractionManagement/v5"``: the ``href`` of hub
            entities and of the payloads delivered start with it.
    """

    def __init__(self, publisher: EventPublisher, base_url: str) -> None:
        self.publisher = publisher
        self.base_url = base_url.rstrip("/")

    def _root(self, base_url: str | None) -> str:
        return self.base_url if base_url is None else base_url.rstrip("/")

    def _entity(self, stored: Mapping[str, Any], base_url: str | None) -> Document:
        return {
            "id": stored["id"],
            "href": f"{self._root(base_url)}/hub/{stored['id']}",
            "callback": stored["callback"],
            "query": stored.get("query") or "",
            "@type": HUB_TYPE,
        }

    def register(self, body: object, *, base_url: str | None = None) -> Document:
        """Register a v5 subscription (v5 OAS ``createHub``).

        Args:
            body: a ``Hub_FVO``: ``{"callback": URL, "query": "...", "@type":
                "Hub"}``; ``callback`` and ``@type`` are required (``Hub_FVO``
                extends ``Extensible``, which requires ``@type``), ``query`` in v5
                names (``event.partyInteraction.relatedChannel.channel.id=555``).
            base_url: the v5 API root of this request; default the hub's.

        Returns:
            The ``Hub`` entity: ``{"id", "href", "callback", "query", "@type"}``.

        Raises:
            ValidationError: not an object, a body against ``Hub_FVO``, a callback
                that is not an absolute http(s) URL on an allowed host, each naming
                its ``$.path``.
            InvalidQueryError: a query that does not parse.
        """
        if not isinstance(body, Mapping):
            raise ValidationError([("$", "must be a JSON object")])
        v5contract.check_new(dict(body), "Hub_FVO")
        stored = self.publisher.add_subscription(
            body.get("callback"),
            body.get("query"),
            version="v5",
            api_root=self._root(base_url),
        )
        return self._entity(stored, base_url)

    def retrieve(
        self, subscription_id: str, *, base_url: str | None = None
    ) -> Document:
        """Read a v5 subscription as the ``Hub`` entity.

        Raises:
            NotFoundError: no v5 subscription has that id.
        """
        stored = self.publisher.retrieve(subscription_id, version="v5")
        return self._entity(stored, base_url)

    def unregister(self, subscription_id: str) -> None:
        """Remove a v5 subscription and its deliveries (v5 OAS ``hubDelete``).

        Raises:
            NotFoundError: no v5 subscription has that id.
        """
        self.publisher.unregister(subscription_id, version="v5")

    def subscribe(
        self, function: EventCallback, query: str = "", *, base_url: str | None = None
    ) -> str:
        """Call a Python function with each selected v5 envelope, in this process.

        Args:
            function: called after each change commits, on a background thread.
            query: a subscription query in v5 names.
            base_url: the v5 API root of the payloads' ``href``; default the hub's.

        Returns:
            The id for :meth:`unsubscribe`.

        Raises:
            InvalidQueryError: the query does not parse.
        """
        return self.publisher.subscribe(
            function, query, version="v5", api_root=self._root(base_url)
        )

    def unsubscribe(self, subscription_id: str) -> None:
        """Remove an in-process subscription.

        Raises:
            NotFoundError: no in-process subscription has that id.
        """
        self.publisher.unsubscribe(subscription_id)
