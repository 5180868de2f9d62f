"""attrs classes for the resources of the TMF683 v4.0.0 swagger.

Python attribute names are snake_case; their JSON names are the swagger's, derived by
:func:`tmf683._serialization.json_name` (``creation_date`` -> ``creationDate``,
``type`` -> ``@type``, ``schema_location`` -> ``@schemaLocation``). Every attribute is
optional in the model, as in the swagger's ``PartyInteraction`` definition; what a
create must contain is checked by :mod:`tmf683._validation` (the conformance profile).

Classes that carry ``@type`` also carry ``extensions``: attributes outside the schema
that a client may add when it declares a subclass through ``@type`` or
``@schemaLocation`` (TMF630 Part 1, polymorphism and extension). ``extensions`` has no
JSON name of its own: its items are written beside the schema attributes.

The shared attributes live in private base classes (``_Polymorphic``:
``@baseType``, ``@schemaLocation``, ``@type``; ``_Extensible``: and ``extensions``;
``_Reference``: and ``id``, ``href``; ``_EntityRef``: the swagger's ``*Ref`` shape).
Inheritance puts base attributes first, so the JSON order is not the attrs order:
:func:`tmf683._serialization.json_fields` fixes it as the class's own attributes
(after an inherited ``id`` and ``href``), then ``@baseType``, ``@schemaLocation``,
``@type``, ``@referredType``, as the swagger lists them.

Date-times are timezone-aware :class:`datetime.datetime` values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


@attrs.define(kw_only=True)
class TimePeriod:
    """A period of time, either as a deadline (end only) or a start only, or both.

    Attributes:
        start_date_time: ``startDateTime``, aware date-time.
        end_date_time: ``endDateTime``, aware date-time.
    """

    start_date_time: datetime | None = None
    end_date_time: datetime | None = None


@attrs.define(kw_only=True)
class Quantity:
    """An amount in a given unit, e.g. the size of an attachment.

    Attributes:
        amount: numeric value in ``units``.
        units: unit of measure, e.g. ``"MB"``.
    """

    amount: float | None = None
    units: str | None = None


@attrs.define(kw_only=True)
class _Polymorphic:
    """The TMF630 polymorphism attributes, on every class that may be subclassed.

    Attributes:
        base_type: ``@baseType``, the class the declared ``@type`` extends.
        schema_location: ``@schemaLocation``, URL of the schema of ``@type``.
        type: ``@type``, the class of the object, e.g. ``"PartyInteraction"``.
    """

    base_type: str | None = None
    schema_location: str | None = None
    type: str | None = None


@attrs.define(kw_only=True)
class _Extensible(_Polymorphic):
    """A polymorphic class that keeps attributes outside the schema (``extensions``)."""

    extensions: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class _Reference(_Extensible):
    """An extensible object that starts with the identity attributes.

    Attributes:
        id: identifier.
        href: URL of the resource.
    """

    id: str | None = None
    href: str | None = None


@attrs.define(kw_only=True)
class _EntityRef(_Reference):
    """A reference to an entity in a role (the swagger's ``*Ref`` shape).

    Attributes:
        name: name of the entity.
        role: role the entity plays.
        referred_type: ``@referredType``, the class of the referred entity.
    """

    name: str | None = None
    role: str | None = None
    referred_type: str | None = None


@attrs.define(kw_only=True)
class RelatedChannel(_EntityRef):
    """A channel through which the interaction happened (``channel[]``).

    Attributes:
        id: identifier of the channel; the conformance profile requires it.
        href: reference of the channel.
        name: name of the channel, e.g. ``"email"``.
        role: role the channel plays in the interaction.
    """


@attrs.define(kw_only=True)
class RelatedParty(_EntityRef):
    """A party involved in the interaction and its role (``relatedParty[]``).

    Attributes:
        id: identifier of the party; required on create.
        href: reference of the party.
        name: name of the party.
        role: role of the party, e.g. ``"customer"``.
        referred_type: ``@referredType``, the party's class, e.g. ``"Individual"``;
            required on create.
    """


@attrs.define(kw_only=True)
class AttachmentRefOrValue(_Reference):
    """An attachment, given by reference (``id``/``href``) or by value (``content``).

    Attributes:
        attachment_type: e.g. ``"video"``, ``"picture"``.
        content: the content, base64 encoded for binary data.
        mime_type: e.g. ``"image/png"``.
        size: the size, e.g. ``Quantity(amount=3, units="MB")``.
        url: where the content can be read.
        valid_for: when the attachment is valid.
    """

    attachment_type: str | None = None
    content: str | None = None
    description: str | None = None
    mime_type: str | None = None
    name: str | None = None
    url: str | None = None
    size: Quantity | None = None
    valid_for: TimePeriod | None = None
    referred_type: str | None = None


@attrs.define(kw_only=True)
class Note(_Extensible):
    """A free-text note on the interaction (``note[]``).

    Attributes:
        id: identifier of the note within the interaction.
        author: who wrote it.
        date: when it was written, aware date-time.
        text: the note itself.
    """

    id: str | None = None
    author: str | None = None
    date: datetime | None = None
    text: str | None = None


@attrs.define(kw_only=True)
class RelatedEntityRefOrValue(_EntityRef):
    """The entity an interaction item is about (``interactionItem[].item``).

    Attributes:
        role: the role of the entity in the item; required on create.
        referred_type: ``@referredType``, the entity's class, e.g. ``"TroubleTicket"``.
    """


@attrs.define(kw_only=True)
class InteractionItem(_Extensible):
    """One item of an interaction: what was dealt with, e.g. a ticket or an order.

    Attributes:
        creation_date: when the item was created, aware date-time.
        item: the entity the item is about.
        item_date: the period the item covers.
    """

    id: str | None = None
    creation_date: datetime | None = None
    reason: str | None = None
    resolution: str | None = None
    attachment: list[AttachmentRefOrValue] | None = None
    channel: list[RelatedChannel] | None = None
    item: RelatedEntityRefOrValue | None = None
    item_date: TimePeriod | None = None
    note: list[Note] | None = None
    related_party: list[RelatedParty] | None = None


@attrs.define(kw_only=True)
class InteractionRelationship(_Reference):
    """A relationship to another party interaction (``interactionRelationship[]``).

    Attributes:
        id: the related interaction's id.
        relationship_type: e.g. ``"dependency"``, ``"follow-up"``.
    """

    relationship_type: str | None = None


@attrs.define(kw_only=True)
class PartyInteraction(_Reference):
    """One contact between a party and the service provider (TMF683 v4).

    ``id`` and ``href`` are assigned by the server; ``creation_date`` and
    ``status_change_date`` by the server unless given.

    Attributes:
        id: server-assigned identifier.
        href: server-built URL of the resource.
        creation_date: ``creationDate``, aware date-time.
        description: free text.
        direction: e.g. ``"inbound"`` or ``"outbound"`` (a free string).
        reason: why the interaction happened.
        status: e.g. ``"open"``, ``"completed"`` (a free string).
        status_change_date: ``statusChangeDate``, when ``status`` last changed.
        attachment: attachments, by reference or value.
        channel: the channels used.
        interaction_date: ``interactionDate``, when it happened.
        interaction_item: the items dealt with.
        interaction_relationship: related interactions.
        note: notes.
        related_party: the parties involved and their roles.
        extensions: attributes outside the schema (see the module docstring).
    """

    creation_date: datetime | None = None
    description: str | None = None
    direction: str | None = None
    reason: str | None = None
    status: str | None = None
    status_change_date: datetime | None = None
    attachment: list[AttachmentRefOrValue] | None = None
    channel: list[RelatedChannel] | None = None
    interaction_date: TimePeriod | None = None
    interaction_item: list[InteractionItem] | None = None
    interaction_relationship: list[InteractionRelationship] | None = None
    note: list[Note] | None = None
    related_party: list[RelatedParty] | None = None


@attrs.define(kw_only=True)
class PartyInteractionEventPayload:
    """The ``event`` of a notification: the interaction it is about.

    Attributes:
        party_interaction: the interaction's state after the change (before it, for
            a delete).
    """

    party_interaction: PartyInteraction | None = None


@attrs.define(kw_only=True)
class PartyInteractionEvent:
    """A TMF683 notification envelope, any of the four event types of the swagger.

    Attributes:
        event_id: unique id of the event; consumers deduplicate on it.
        event_time: when the change happened, aware date-time.
        event_type: e.g. ``"PartyInteractionCreateEvent"``.
        field_path: for attribute value changes, the changed attributes.
        event: the payload.
    """

    id: str | None = None
    href: str | None = None
    event_id: str | None = None
    event_time: datetime | None = None
    event_type: str | None = None
    correlation_id: str | None = None
    domain: str | None = None
    title: str | None = None
    description: str | None = None
    priority: str | None = None
    time_ocurred: datetime | None = None
    field_path: str | None = None
    event: PartyInteractionEventPayload | None = None


@attrs.define(kw_only=True)
class EventSubscriptionInput:
    """The body of ``POST /hub``: where to send events and which ones.

    Attributes:
        callback: absolute URL events are POSTed to.
        query: TMF630 filter selecting the events; empty means all.
    """

    callback: str | None = None
    query: str | None = None


@attrs.define(kw_only=True)
class EventSubscription:
    """A registered hub subscription.

    Attributes:
        id: server-assigned identifier.
        callback: absolute URL events are POSTed to.
        query: TMF630 filter selecting the events; empty means all.
    """

    id: str | None = None
    callback: str | None = None
    query: str | None = None


@attrs.define(kw_only=True)
class ErrorBody(_Polymorphic):
    """The TMF Error body (TMF630 Part 1, error handling).

    Attributes:
        code: application error code, e.g. ``"invalidBody"``.
        reason: short explanation, e.g. ``"Invalid request body"``.
        message: what is wrong and how to fix it, naming the attribute or parameter.
        status: the HTTP status as a string, e.g. ``"400"``.
        reference_error: URL with more about the error.
    """

    code: str
    reason: str
    message: str | None = None
    status: str | None = None
    reference_error: str | None = None
