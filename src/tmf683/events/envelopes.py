"""TMF683 event notifications: the envelopes, the hub subscriptions and their queries.

A change raises events (TMF683 v4 notification types):

- ``PartyInteractionCreateEvent`` on create;
- ``PartyInteractionAttributeValueChangeEvent`` on a patch that changes values, with
  ``fieldPath`` naming the changed first-level attributes (comma-separated);
- ``PartyInteractionStatusChangeEvent`` in addition when ``status`` changed;
- ``PartyInteractionDeleteEvent`` on delete, carrying the last state.

A listener checks what it receives with :func:`validate_event`. A subscription's
``query`` selects events with the TMF630 grammar applied to the
envelope (``eventType=...``, ``event.partyInteraction.status=completed``); its
``fields=`` trims the payload. An empty query selects every event.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import attrs

from tmf683._datetimes import format_datetime
from tmf683._errors import InvalidQueryError, Problem, ValidationError
from tmf683._hosts import host_key
from tmf683._schema import EVENT_SCHEMA
from tmf683.query.ast import AnyOf, Condition, Operator, Path, Query
from tmf683.query.evaluate import matches
from tmf683.query.parse import parse_query
from tmf683.query.projection import project
from tmf683.query.schema import Schema

CREATE = "PartyInteractionCreateEvent"
ATTRIBUTE_VALUE_CHANGE = "PartyInteractionAttributeValueChangeEvent"
STATUS_CHANGE = "PartyInteractionStatusChangeEvent"
DELETE = "PartyInteractionDeleteEvent"
EVENT_TYPES = (CREATE, ATTRIBUTE_VALUE_CHANGE, STATUS_CHANGE, DELETE)
"""The four notification types of the TMF683 v4 swagger."""

MAX_CALLBACK_LENGTH = 2048
"""Longest callback URL accepted, in characters."""

NEVER_SET = frozenset(
    {
        "href",
        "correlationId",
        "domain",
        "title",
        "description",
        "priority",
        "timeOcurred",
    }
)
"""The envelope attributes of the swagger that this server never sets; a filter on
them could never match, so it is refused."""

ENVELOPE_KEPT = ("id", "eventId", "eventTime", "eventType", "fieldPath")
"""Envelope attributes a subscription's ``fields=`` never removes."""


def make_event(
    event_type: str,
    interaction: Mapping[str, Any],
    *,
    event_id: str,
    event_time: datetime,
    field_path: str | None = None,
) -> dict[str, Any]:
    """Build one notification envelope.

    Args:
        event_type: one of :data:`EVENT_TYPES`.
        interaction: the PartyInteraction document, with ``id`` and ``href``.
        event_id: a unique id.
        event_time: when the change happened (aware).
        field_path: the changed attributes, for attribute value changes.

    Returns:
        ``{["id"], "eventId", "eventTime", "eventType", ["fieldPath"], "event":
        {"partyInteraction": {...}}}``; ``eventTime`` in UTC. ``id`` (the event's
        own id, equal to ``eventId``) is there for the types whose swagger
        definition has it: create, status change and delete.
    """
    envelope: dict[str, Any] = (
        {} if event_type == ATTRIBUTE_VALUE_CHANGE else {"id": event_id}
    )
    envelope |= {
        "eventId": event_id,
        "eventTime": format_datetime(event_time),
        "eventType": event_type,
    }
    if field_path:
        envelope["fieldPath"] = field_path
    envelope["event"] = {"partyInteraction": dict(interaction)}
    return envelope


def validate_event(body: object, event_type: str) -> dict[str, Any]:
    """Check an event envelope as a listener receives it (the consumer side).

    Args:
        body: the parsed JSON body POSTed to a ``/listener/...`` route.
        event_type: the route's type, one of :data:`EVENT_TYPES`.

    Returns:
        ``body``, unchanged: a JSON object with that ``eventType``, a non-empty
        ``eventId`` and an ``event.partyInteraction`` object.

    Raises:
        ValidationError: naming ``$`` (not an object) or every attribute at fault
            (``$.eventType``, ``$.eventId``, ``$.event.partyInteraction``).
    """
    if not isinstance(body, dict):
        raise ValidationError([("$", "must be a JSON object")])
    problems: list[Problem] = []
    if body.get("eventType") != event_type:
        problems.append(("$.eventType", f"must be {event_type} on this route"))
    if not isinstance(body.get("eventId"), str) or not body["eventId"]:
        problems.append(("$.eventId", "is required"))
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(
        event.get("partyInteraction"), dict
    ):
        problems.append(("$.event.partyInteraction", "must be a JSON object"))
    if problems:
        raise ValidationError(problems)
    return body


def events_for_change(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    unchanged: Collection[str] = (),
) -> list[tuple[str, Mapping[str, Any], str | None]]:
    """Which events a change raises.

    Args:
        old: the document before (``None`` for a create).
        new: the document after (``None`` for a delete).
        unchanged: first-level attributes whose change is not an attribute value
            change (v5's ``lastUpdate``, which every v5 write moves).

    Returns:
        ``(event_type, document, field_path)`` triples in the order they are raised;
        empty for a patch that changed nothing.
    """
    if old is None and new is not None:
        return [(CREATE, new, None)]
    if new is None and old is not None:
        return [(DELETE, old, None)]
    if old is None or new is None:
        return []
    changed = [
        name
        for name in dict.fromkeys([*old, *new])
        if old.get(name) != new.get(name) and name not in unchanged
    ]
    if not changed:
        return []
    raised: list[tuple[str, Mapping[str, Any], str | None]] = [
        (ATTRIBUTE_VALUE_CHANGE, new, ",".join(changed))
    ]
    if old.get("status") != new.get("status"):
        raised.append((STATUS_CHANGE, new, None))
    return raised


@attrs.frozen
class EventSelector:
    """A subscription's query, parsed once: which events, trimmed how.

    Attributes:
        query: the parsed TMF630 query over the envelope.
    """

    query: Query
    format: EventFormat

    @classmethod
    def parse(
        cls, text: str | None, format: EventFormat | None = None
    ) -> EventSelector:
        """Parse a subscription query.

        Args:
            text: e.g. ``"eventType=PartyInteractionCreateEvent&fields=event.
                partyInteraction.status"``; empty or ``None`` selects every event.
            format: the API version's events the query is written for (its names);
                default :data:`V4_EVENTS`.

        Returns:
            The selector.

        Raises:
            InvalidQueryError: the query does not parse, or uses paging or sorting,
                which mean nothing for single events.
        """
        format = V4_EVENTS if format is None else format
        query = parse_query(text or "", schema=format.schema)
        if query.sort or query.offset or query.limit is not None:
            raise InvalidQueryError(
                "query", "selects events with filters and fields= only"
            )
        for clause in query.conditions:
            inner = clause.conditions if isinstance(clause, AnyOf) else (clause,)
            for condition in inner:
                _check_envelope_condition(condition, format.never_set)
        return cls(query, format)

    def select(self, envelope: Mapping[str, Any]) -> dict[str, Any] | None:
        """Return the envelope as delivered, or ``None`` when it is not selected.

        Args:
            envelope: an event of the selector's format (e.g. from
                :func:`make_event`).

        Returns:
            The envelope trimmed by ``fields=`` (the envelope's own attributes are
            always kept), or ``None``.
        """
        if not matches(envelope, self.query.conditions):
            return None
        fields = self.query.fields
        if fields is not None:
            fields = (*fields, *self.format.interaction_kept)
        return project(
            envelope, fields, self.format.envelope_kept, self.format.kept_on_the_way
        )


INTERACTION_KEPT = (
    ("event", "partyInteraction", "id"),
    ("event", "partyInteraction", "href"),
)
"""The interaction's ``id`` and ``href`` stay in every trimmed event (TMF630)."""


def _check_envelope_condition(condition: Condition, never_set: Collection[str]) -> None:
    name = condition.path[0]
    if len(condition.path) == 1 and name in never_set:
        raise InvalidQueryError(
            condition.parameter, f"names {name}, which this server never sets"
        )
    if condition.path == ("eventType",) and condition.operator in (
        Operator.EQ,
        Operator.NE,
    ):
        unknown = [v for v in condition.values if v not in EVENT_TYPES]
        if unknown:
            raise InvalidQueryError(
                condition.parameter,
                f"names no event type ({', '.join(map(str, unknown))}); the types "
                f"are {', '.join(EVENT_TYPES)}",
            )


EventBuilder = Callable[..., dict[str, Any]]
"""Builds one envelope, called as :func:`make_event` is (``event_type``,
``interaction``, and ``event_id``, ``event_time``, ``field_path`` by name)."""


@attrs.frozen
class EventFormat:
    """How one API version shapes its notifications, and what its hub queries name.

    Args:
        version: ``"v4"`` or ``"v5"``; stored with each hub subscription.
        schema: the envelope's schema, which hub queries filter on.
        make: builds one envelope (see :data:`EventBuilder`).
        never_set: envelope attributes never set: a filter on them is refused.
        envelope_kept: envelope attributes ``fields=`` never removes.
        interaction_kept: paths into the payload ``fields=`` never removes.
        kept_on_the_way: attributes a dotted ``fields=`` path keeps in each
            nested object it goes through (see
            :func:`~tmf683.query.projection.project`).
        unchanged: payload attributes whose change alone raises no event.
        view: turns a stored (canonical) document and the API root (e.g.
            ``"https://h/tmf-api/partyInteractionManagement/v5"``) into the payload;
            ``None`` for v4, whose payload is the writer's own output.
    """

    version: str
    schema: Schema
    make: EventBuilder
    never_set: frozenset[str]
    envelope_kept: tuple[str, ...]
    interaction_kept: tuple[Path, ...]
    unchanged: frozenset[str] = frozenset()
    kept_on_the_way: tuple[str, ...] = ()
    view: Callable[[Mapping[str, Any], str], dict[str, Any]] | None = None


V4_EVENTS = EventFormat(
    "v4", EVENT_SCHEMA, make_event, NEVER_SET, ENVELOPE_KEPT, INTERACTION_KEPT
)
"""The TMF683 v4 notifications (the swagger's envelopes)."""


def host_allowlist(hosts: Collection[str] | None) -> frozenset[str] | None:
    """The callback hosts allowed, in the form :func:`validate_callback` compares.

    Args:
        hosts: host names (``--callback-host``); ``None`` allows any.

    Returns:
        The names in the form they are compared in (lower case, no trailing dot,
        addresses canonical: ``tmf683._hosts.host_key``); ``None`` for ``None``.
    """
    return None if hosts is None else frozenset(host_key(h) for h in hosts)


def validate_callback(url: object, allowed_hosts: frozenset[str] | None = None) -> str:
    """Check a hub callback: an absolute http(s) URL, on an allowed host.

    Args:
        url: the ``callback`` of ``POST /hub``.
        allowed_hosts: host names callbacks may point to; ``None`` allows any.

    Returns:
        The URL, unchanged (events are POSTed to it as given).

    Raises:
        ValidationError: naming ``$.callback``.
    """
    if not isinstance(url, str) or not url:
        raise ValidationError([("$.callback", "is required: an absolute http(s) URL")])
    if len(url) > MAX_CALLBACK_LENGTH:
        raise ValidationError(
            [("$.callback", f"is longer than {MAX_CALLBACK_LENGTH} characters")]
        )
    if not url.isascii() or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise ValidationError(
            [("$.callback", "must be ASCII without spaces (percent-encode the rest)")]
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError([("$.callback", f"is not a valid URL: {exc}")]) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            [("$.callback", "must be an absolute http or https URL with a host")]
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            [("$.callback", "must not carry user information (user:password@)")]
        )
    if port == 0:
        raise ValidationError([("$.callback", "has port 0")])
    if allowed_hosts is not None and host_key(parts.hostname) not in allowed_hosts:
        raise ValidationError(
            [("$.callback", f"host '{parts.hostname}' is not allowed on this server")]
        )
    return url
