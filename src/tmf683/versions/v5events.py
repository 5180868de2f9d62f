"""TMF683 v5 notifications: the v5 ``Event`` envelope and what v5 hub queries name.

A v5 subscriber gets, for every change whichever version made it, the envelope of the
v5 OAS: ``@type`` (the event's schema name), ``id`` and ``eventId`` (equal),
``eventTime`` and ``timeOccurred`` (the same instant, UTC ISO 8601), ``eventType``,
``fieldPath`` for an attribute value change, and ``event.partyInteraction``: the v5
view of the interaction (:func:`~tmf683.versions.v5.to_v5`), ``href`` under the API
root the subscription was registered at. The change is judged on the v5 views, so a
change only v5 shows (``externalIdentifier``) reaches v5 subscribers only, and the
``lastUpdate`` every v5 write moves is never an attribute value change by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tmf683.events.envelopes import (
    ATTRIBUTE_VALUE_CHANGE,
    CREATE,
    DELETE,
    STATUS_CHANGE,
    EventFormat,
    make_event,
)
from tmf683.query.schema import AttributeKind, Schema, SchemaAttribute
from tmf683.versions.v5 import to_v5
from tmf683.versions.v5query import V5_KEPT_ON_THE_WAY, V5_PARTY_INTERACTION_SCHEMA

V5_EVENT_SCHEMAS = {
    CREATE: "PartyInteractionCreateEvent",
    ATTRIBUTE_VALUE_CHANGE: "PartyInteractionAttributeValueChangeEvent",
    STATUS_CHANGE: "PartyInteractionStatusChange",
    DELETE: "PartyInteractionDeleteEvent",
}
"""Each event type's schema in the v5 OAS, which is also the envelope's ``@type``
(the status change's schema has no ``Event`` suffix; its ``eventType`` does)."""

_S = AttributeKind.STRING

V5_EVENT_SCHEMA = Schema(
    "Event",
    (
        *(SchemaAttribute(n, _S) for n in ("id", "eventId", "eventType", "fieldPath")),
        SchemaAttribute("@type", _S),
        SchemaAttribute("eventTime", AttributeKind.DATE_TIME),
        SchemaAttribute("timeOccurred", AttributeKind.DATE_TIME),
        SchemaAttribute(
            "event",
            AttributeKind.OBJECT,
            schema=Schema(
                "PartyInteractionEventPayload",
                (
                    SchemaAttribute(
                        "partyInteraction",
                        AttributeKind.OBJECT,
                        schema=V5_PARTY_INTERACTION_SCHEMA,
                    ),
                ),
            ),
        ),
    ),
)
"""The v5 envelope as v5 hub queries see it, e.g.
``eventType=PartyInteractionCreateEvent&event.partyInteraction.relatedChannel.channel.id=555``."""

V5_NEVER_SET = frozenset(
    {
        "href",
        "correlationId",
        "domain",
        "title",
        "description",
        "priority",
        "source",
        "reportingSystem",
        "relatedParty",
        "analyticCharacteristic",
    }
)
"""The v5 envelope attributes this server never sets; a filter on them is refused."""


def make_v5_event(
    event_type: str,
    interaction: Mapping[str, Any],
    *,
    event_id: str,
    event_time: datetime,
    field_path: str | None = None,
) -> dict[str, Any]:
    """Build one v5 notification envelope.

    Args:
        event_type: one of :data:`~tmf683.events.envelopes.EVENT_TYPES`.
        interaction: the v5 PartyInteraction, with ``id``, ``href`` and ``@type``.
        event_id: a unique id.
        event_time: when the change happened (aware).
        field_path: the changed attributes, for attribute value changes.

    Returns:
        The v4 envelope of :func:`~tmf683.events.envelopes.make_event` with
        ``@type`` and ``id`` first and ``timeOccurred`` (equal to ``eventTime``)
        last, valid against the event's schema of the v5 OAS
        (:data:`V5_EVENT_SCHEMAS`).
    """
    envelope = make_event(
        event_type,
        interaction,
        event_id=event_id,
        event_time=event_time,
        field_path=field_path,
    )
    return {
        "@type": V5_EVENT_SCHEMAS[event_type],
        "id": event_id,
        **envelope,
        "timeOccurred": envelope["eventTime"],
    }


def _v5_payload(document: Mapping[str, Any], root: str) -> dict[str, Any]:
    return to_v5(
        dict(document), f"{root.rstrip('/')}/partyInteraction/{document['id']}"
    )


V5_EVENTS = EventFormat(
    "v5",
    V5_EVENT_SCHEMA,
    make_v5_event,
    V5_NEVER_SET,
    ("@type", "id", "eventId", "eventTime", "timeOccurred", "eventType", "fieldPath"),
    (
        ("event", "partyInteraction", "id"),
        ("event", "partyInteraction", "href"),
        ("event", "partyInteraction", "@type"),
        ("event", "partyInteraction", "@baseType"),
        ("event", "partyInteraction", "@schemaLocation"),
    ),
    unchanged=frozenset({"lastUpdate"}),
    kept_on_the_way=V5_KEPT_ON_THE_WAY,
    view=_v5_payload,
)
"""The TMF683 v5 notifications, for :class:`~tmf683.events.publish.EventPublisher`."""
