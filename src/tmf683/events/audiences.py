"""Who an event is shaped for: a hub subscription's API version and root.

One change raises one envelope per *audience* (version and API root) that has a
subscriber; :mod:`tmf683.events.publish` groups the subscriptions by audience. A
subscription stored before v5 has neither key: it is v4, and its payloads carry the
writer's own ``href``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tmf683.events.envelopes import EventFormat
from tmf683.storage.base import SUBSCRIPTION, Document

Audience = tuple[str, str]
"""Who an envelope is shaped for, the API version and its root (``""`` for a v4
subscription without one, whose payload is the writer's output)."""

RaisedEvents = list[tuple[Audience, Document]]
"""The envelopes one write raised, each with its audience, for
:meth:`tmf683.events.publish.EventPublisher.notify_local`."""


def payload(
    format: EventFormat, root: str, output: Callable[[Document], Document]
) -> Callable[[Document], Document]:
    """What an envelope of ``format`` for ``root`` carries for a stored document."""
    shape = format.view
    if shape is not None:
        return lambda document: shape(document, root)
    if not root:
        return output
    return lambda document: {
        **output(document),
        "href": f"{root}/partyInteraction/{document['id']}",
    }


HUB_NAMES = {"v4": SUBSCRIPTION, "v5": "Hub"}
"""What each version calls a hub subscription, in 404 messages."""


def v4_shape(subscription: Document) -> Document:
    """A v4 subscription as the swagger's ``EventSubscription``."""
    return {
        k: subscription[k] for k in ("id", "callback", "query") if k in subscription
    }


def audience_of(subscription: Mapping[str, object]) -> Audience:
    """The audience of a stored subscription (v4 and the writer's root by default)."""
    return (
        str(subscription.get("version", "v4")),
        str(subscription.get("apiRoot", "")),
    )
