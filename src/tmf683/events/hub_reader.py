"""The hub subscriptions a write matches its events against, read and indexed.

:class:`HubReader` belongs to an :class:`~tmf683.events.publish.EventPublisher`:
inside a write's transaction it gives the stored hub subscriptions by audience,
each audience's indexed for its events (:mod:`tmf683.events.subindex`), and reads
them again only when the store's subscription generation moved.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from functools import lru_cache

from tmf683._errors import InvalidQueryError
from tmf683.events.audiences import Audience, audience_of
from tmf683.events.envelopes import EventFormat, EventSelector
from tmf683.events.subindex import Entry, SubscriptionIndex
from tmf683.query.ast import Query
from tmf683.storage.base import Document, PartyInteractionStore

log = logging.getLogger("tmf683.events.publish")  # the name its records had

Hub = dict[Audience, SubscriptionIndex]
"""The hub subscriptions each audience's events are matched against, indexed."""


@lru_cache(maxsize=16384)
def parsed_selector(query: str, format: EventFormat) -> EventSelector:
    """The selector of a subscription query, parsed once per query and format.

    Raises:
        InvalidQueryError: the query does not parse.
    """
    return EventSelector.parse(query, format)


class HubReader:
    """The stored hub subscriptions by audience, indexed, cached by generation.

    Args:
        store: where the subscriptions live.
        formats: the event formats by version; subscriptions of another version
            are left out.
    """

    def __init__(
        self, store: PartyInteractionStore, formats: Mapping[str, EventFormat]
    ) -> None:
        self.store = store
        self.formats = formats
        self._lock = threading.Lock()
        self._unparseable: set[tuple[str, str]] = set()
        self._hub: tuple[int, Hub] | None = None

    def read(self) -> Hub:
        """The hub subscriptions by audience, indexed; read again when they changed.

        Called inside a write's transaction: the store's subscription generation
        (moved by every register and unregister, from any process sharing the
        store) is read first, and the subscriptions themselves only when it differs
        from the one this publisher indexed last, so a write reads one number
        rather than every subscription. Subscriptions of a version without a format
        here, or whose stored query no longer parses, are left out (they get
        nothing).
        """
        generation = self.store.subscription_generation()
        with self._lock:
            cached = self._hub
        if cached is not None and cached[0] == generation:
            return cached[1]
        groups: dict[Audience, list[tuple[Entry, Query]]] = {}
        for subscription in self.store.subscriptions():
            audience = audience_of(subscription)
            format = self.formats.get(audience[0])
            if format is None:
                continue
            entries = groups.setdefault(audience, [])
            selector = self._stored_selector(subscription, format)
            if selector is not None:
                entries.append(((subscription, selector), selector.query))
        hub = {audience: SubscriptionIndex(e) for audience, e in groups.items()}
        with self._lock:
            self._hub = (generation, hub)
        return hub

    def _stored_selector(
        self, subscription: Document, format: EventFormat
    ) -> EventSelector | None:
        """The selector of a stored subscription, or ``None`` if its query fails.

        A stored query may no longer parse (stored by an older release with other
        rules, or written straight into the store). Such a subscription gets
        nothing, and is logged once per publisher with its id and the reason,
        rather than failing every write that raises an event.
        """
        query = subscription.get("query") or ""
        try:
            return parsed_selector(query, format)
        except InvalidQueryError as error:
            key = (subscription["id"], query)
            with self._lock:
                first = key not in self._unparseable
                self._unparseable.add(key)
            if first:
                log.error(
                    "hub subscription %s gets no events: its stored query %r does "
                    "not parse (%s); delete it and register it again",
                    subscription["id"],
                    query,
                    error,
                )
            return None
