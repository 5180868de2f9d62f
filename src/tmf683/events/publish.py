"""From changes to notifications: hub subscriptions, the outbox, in-process callbacks.

:class:`EventPublisher` belongs to a :class:`~tmf683._service.PartyInteractionService`.
For each change it builds the events (:mod:`tmf683.events.envelopes`) and,
inside the store's write transaction, one outbox
:class:`~tmf683.storage.base.Delivery` per event and matching hub
subscription: a change never commits without its deliveries, and a delivery
never exists for a change that rolled back. The dispatcher
(:mod:`tmf683.events.dispatch`) sends them. In-process subscribers (Python
callables) are called after the commit, by its
:class:`~tmf683.events.local.LocalSubscribers`; the hub subscriptions a write
matches come from its :class:`~tmf683.events.hub_reader.HubReader`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from tmf683._errors import NotFoundError, ValidationError
from tmf683._model import EventSubscriptionInput
from tmf683._serialization import structure
from tmf683._validation import json_problems
from tmf683.events.audiences import (
    HUB_NAMES,
    Audience,
    RaisedEvents,
    audience_of,
    payload,
    v4_shape,
)
from tmf683.events.callbacks import DEFAULT_POLICY, CallbackPolicy
from tmf683.events.envelopes import (
    V4_EVENTS,
    EventFormat,
    events_for_change,
    host_allowlist,
    validate_callback,
)
from tmf683.events.hub_reader import Hub as Hub
from tmf683.events.hub_reader import HubReader, parsed_selector
from tmf683.events.local import EventCallback as EventCallback
from tmf683.events.local import LocalSubscribers
from tmf683.events.subindex import SubscriptionIndex
from tmf683.storage.base import (
    SUBSCRIPTION,
    Delivery,
    Document,
    Outbox,
    PartyInteractionStore,
)


def _new_id() -> str:
    return str(uuid.uuid4())


class EventPublisher:
    """Raise the events of changes and hand them to subscribers (TMF683 ``/hub``).

    Constructing it starts no thread: the one thread that calls in-process
    subscribers starts with the first event they get, and :meth:`close` (or the end
    of a ``with`` block) stops it.

    Args:
        store: where subscriptions and the outbox live (the documents' store).
        clock: returns the current time, aware (``eventTime``).
        callback_hosts: host names hub callbacks may point to; ``None`` allows any.
        callback_policy: the addresses hub callbacks may reach, checked at
            registration (default: no link-local or metadata address).
        max_subscriptions: the most hub subscriptions (all versions) the store
            keeps; one more is refused with SubscriptionLimitError. ``None``: no
            limit (``tmf683-server``: 1000).
        id_factory: returns a new unique id, for event ids (``eventId``),
            deliveries and subscriptions; default: a random UUID as a string.
        formats: the event formats by version (``{"v4": V4_EVENTS, "v5":
            V5_EVENTS}``); a subscription of a version not given gets nothing.
            Default: v4 only.
    """

    def __init__(
        self,
        store: PartyInteractionStore,
        *,
        clock: Callable[[], datetime],
        callback_hosts: Collection[str] | None = None,
        callback_policy: CallbackPolicy = DEFAULT_POLICY,
        max_subscriptions: int | None = None,
        id_factory: Callable[[], str] = _new_id,
        formats: Mapping[str, EventFormat] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.callback_hosts = host_allowlist(callback_hosts)
        self.callback_policy = callback_policy
        self.max_subscriptions = max_subscriptions
        self.id_factory = id_factory
        self.formats = dict(formats or {"v4": V4_EVENTS})
        self._local = LocalSubscribers()
        self._hub = HubReader(store, self.formats)

    def outbox(
        self, output: Callable[[Document], Document], raised: RaisedEvents
    ) -> Outbox:
        """The outbox function for one write.

        Args:
            output: turns a stored document into what v4 clients see (adds ``href``).
            raised: collects every event envelope raised, with its audience, for
                :meth:`notify_local`.

        Returns:
            A function the store calls inside its transaction, once per document
            written; it looks the hub subscriptions up on its first call only, so
            one write of many documents (``create_many``) does so once, and reads
            them only when they changed since this publisher last did (the
            store's ``subscription_generation``). Each event is matched only against the
            subscriptions that can select it (:mod:`tmf683.events.subindex`). Each
            audience (a version and its API root) with a subscriber gets its own
            envelopes, built from that version's view of the change: a change only
            v5 shows (``externalIdentifier``) raises v5 events and no v4 ones. With
            no hub subscription and no in-process subscriber it builds no envelope
            (and takes no id from ``id_factory``).
        """
        read: list[Hub] = []  # the subscriptions, read once

        def deliveries(old: Document | None, new: Document | None) -> list[Delivery]:
            found: list[Delivery] = []
            if not read:
                read.append(self._hub.read())
            audiences: dict[Audience, SubscriptionIndex | None] = dict(read[0])
            for audience in self._local.audiences():
                audiences.setdefault(audience, None)
            now: datetime | None = None
            for (version, root), index in audiences.items():
                format = self.formats[version]
                view = payload(format, root, output)
                changes = events_for_change(
                    None if old is None else view(old),
                    None if new is None else view(new),
                    format.unchanged,
                )
                for event_type, document, field_path in changes:
                    now = self.clock() if now is None else now
                    envelope = format.make(
                        event_type,
                        document,
                        event_id=self.id_factory(),
                        event_time=now,
                        field_path=field_path,
                    )
                    raised.append(((version, root), envelope))
                    if index is None:
                        continue
                    for subscription, selector in index.candidates(envelope):
                        selected = selector.select(envelope)
                        if selected is not None:
                            found.append(
                                Delivery(
                                    id=self.id_factory(),
                                    subscription_id=subscription["id"],
                                    callback=subscription["callback"],
                                    event=selected,
                                )
                            )
            return found

        return deliveries

    def notify_local(self, raised: RaisedEvents) -> None:
        """Hand the events of a committed change to the in-process subscribers.

        They run on one background thread, in the order the changes committed; the
        change's caller does not wait for them. A subscriber that raises is logged
        and skipped. In-process subscriptions live in memory: events raised while
        the process is down, or still queued when it ends, are not kept (use a hub
        subscription for that); so are the events of changes made after
        :meth:`close`.
        """
        self._local.notify(raised)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until in-process subscribers have seen every event raised so far.

        Args:
            timeout: seconds to wait at most; ``None`` waits as long as it takes.

        Raises:
            TimeoutError: the subscribers are still busy after ``timeout``.
        """
        self._local.flush(timeout)

    def close(self) -> None:
        """Stop the thread of the in-process subscribers, after the events it holds.

        Waits until the subscribers have seen every event raised so far (a
        subscriber that never returns holds it up). Later changes still write their
        hub deliveries; only the in-process subscribers get nothing more. Closing
        twice does nothing more.
        """
        self._local.close()

    def __enter__(self) -> EventPublisher:
        """Return this publisher; the ``with`` block's end closes it."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the publisher (:meth:`close`)."""
        self.close()

    def register(self, body: object, *, api_root: str = "") -> Document:
        """Register a hub subscription (TMF683 ``registerListener``).

        Args:
            body: ``{"callback": URL, "query": "..."}``; ``query`` is optional.
            api_root: the v4 API root the subscription was registered at (e.g.
                ``"http://h:8080/tmf-api/partyInteraction/v4"``): the payloads'
                ``href`` start with it, whichever version or server wrote; default:
                the writer's own ``href``.

        Returns:
            ``{"id", "callback", "query"}`` as stored.

        Raises:
            ValidationError: not an object, unknown attributes, a callback that is
                not an absolute http(s) URL or not on an allowed host.
            InvalidQueryError: a query that does not parse (never a silent
                never-match).
        """
        if not isinstance(body, Mapping):
            raise ValidationError([("$", "must be a JSON object")])
        if found := json_problems(body):
            raise ValidationError(found)
        structure(dict(body), EventSubscriptionInput)
        stored = self.add_subscription(
            body.get("callback"), body.get("query"), api_root=api_root
        )
        return v4_shape(stored)

    def add_subscription(
        self,
        callback: object,
        query: object,
        *,
        version: str = "v4",
        api_root: str = "",
    ) -> Document:
        """Store a hub subscription of one version, its body already checked.

        Args:
            callback: the listener's URL (checked here: absolute http(s), an allowed
                host).
            query: the subscription query in the version's names, or ``None``.
            version: a key of ``formats``.
            api_root: the API root the payloads' ``href`` start with; ``""``: the
                writer's (v4 only).

        Returns:
            The stored subscription: ``{"id", "callback", "query"}``, plus
            ``"version"`` for any version other than v4 (absent means v4, as in
            every database written before v5) and ``"apiRoot"`` when given.

        Raises:
            ValidationError: the callback (its form, its host, or an address the
                callback policy refuses).
            InvalidQueryError: a query that does not parse.
            SubscriptionLimitError: ``max_subscriptions`` exist already.
        """
        url = validate_callback(callback, self.callback_hosts)
        if (reason := self.callback_policy.refusal(url)) is not None:
            raise ValidationError([("$.callback", f"is not allowed: {reason}")])
        text = query if isinstance(query, str) else ""
        parsed_selector(text, self.formats[version])
        subscription: Document = {"id": self.id_factory(), "callback": url}
        subscription["query"] = text
        if version != "v4":
            subscription["version"] = version
        if api_root:
            subscription["apiRoot"] = api_root.rstrip("/")
        self.store.add_subscription(subscription, limit=self.max_subscriptions)
        return subscription

    def retrieve(self, subscription_id: str, *, version: str = "v4") -> Document:
        """Read a hub subscription of one version.

        Returns:
            For v4 ``{"id", "callback", "query"}``; for another version the
            subscription as stored (see :meth:`add_subscription`).

        Raises:
            NotFoundError: no subscription of that version has that id (each
                version's hub sees its own subscriptions only).
        """
        try:
            subscription = self.store.get_subscription(subscription_id)
        except NotFoundError:
            subscription = {}
        if not subscription or audience_of(subscription)[0] != version:
            raise NotFoundError(HUB_NAMES.get(version, SUBSCRIPTION), subscription_id)
        return v4_shape(subscription) if version == "v4" else subscription

    def unregister(self, subscription_id: str, *, version: str = "v4") -> None:
        """Remove a hub subscription and its deliveries, pending or failed.

        TMF683 ``unregisterListener``.

        Raises:
            NotFoundError: no subscription of that version has that id.
        """
        self.retrieve(subscription_id, version=version)
        self.store.delete_subscription(subscription_id)

    def failed_deliveries(self) -> list[Delivery]:
        """Deliveries the dispatcher gave up on, oldest first."""
        return self.store.failed_deliveries()

    def subscribe(
        self,
        function: EventCallback,
        query: str = "",
        *,
        version: str = "v4",
        api_root: str = "",
    ) -> str:
        """Subscribe a Python callable in this process.

        Args:
            function: called with each selected event, after the change commits, on
                a background thread (see :meth:`notify_local`).
            query: as a hub subscription's query.
            version: the envelopes wanted, a key of ``formats``.
            api_root: for v5, the API root of the payloads' ``href``.

        Returns:
            The subscription id, for :meth:`unsubscribe`.

        Raises:
            InvalidQueryError: the query does not parse.
        """
        selector = parsed_selector(query, self.formats[version])
        subscription_id = self.id_factory()
        self._local.add(subscription_id, function, selector, (version, api_root))
        return subscription_id

    def unsubscribe(self, subscription_id: str) -> None:
        """Remove an in-process subscription.

        Raises:
            NotFoundError: no in-process subscription has that id.
        """
        if not self._local.remove(subscription_id):
            raise NotFoundError("in-process subscription", subscription_id)
