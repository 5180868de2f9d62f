"""The consumer side: receive TMF683 events in another Falcon app.

:func:`mount_listener` adds the four ``/listener/partyInteraction...Event`` routes of
the v4 swagger, or of the v5 OAS with ``version="v5"``. Each checks the envelope with
:func:`tmf683.validate_event` (a JSON object whose ``eventType`` is the route's, with
``eventId`` and an ``event.partyInteraction`` object) and hands it to your callable;
the publisher gets 201 under v4 and 204 under v5, as each contract says. Invalid
envelopes get a TMF Error 400 (with ``"@type": "Error"`` under v5), and your
callable's exceptions a 500 (so the publisher retries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from tmf683 import EVENT_TYPES, validate_event
from tmf683_falcon.app import prepare_routes
from tmf683_falcon.auth import BearerAuth, protect
from tmf683_falcon.errors import V5_ERROR_TYPE, ErrorTypeMarker
from tmf683_falcon.media import JSON_TYPES, read_body

EventHandler = Callable[[dict[str, Any]], object]
"""Your code, called with each valid event envelope."""


def _route(event_type: str) -> str:
    """``PartyInteractionCreateEvent`` -> ``partyInteractionCreateEvent``."""
    return event_type[0].lower() + event_type[1:]


class EventListener:
    """One ``/listener/...`` route: validate, then hand over."""

    def __init__(
        self, event_type: str, handler: EventHandler, status: str = falcon.HTTP_201
    ) -> None:
        self.event_type = event_type
        self.handler = handler
        self.status = status

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Receive one event; 201 (v4) or 204 (v5) once the handler returned."""
        envelope = validate_event(read_body(req, JSON_TYPES), self.event_type)
        self.handler(envelope)
        resp.status = self.status


def mount_listener(
    app: falcon.App[falcon.Request, falcon.Response],
    handler: EventHandler,
    *,
    base_path: str = "",
    version: str = "v4",
    auth: BearerAuth | None = None,
) -> None:
    """Add the four TMF683 listener routes to a Falcon app.

    Args:
        app: your application.
        handler: called with each valid envelope; make it idempotent on
            ``eventId``, since delivery is at least once.
        base_path: prefix of the routes, e.g.
            :data:`~tmf683._service.DEFAULT_BASE_PATH`; the routes are
            ``{base_path}/listener/partyInteractionCreateEvent`` and the three
            others.
        version: ``"v4"`` (answers 201) or ``"v5"`` (answers 204, Error bodies
            with ``@type``).
        auth: require a bearer token with ``auth``'s write scope on the four
            routes (the publisher sends it); default: none.

    Raises:
        ValueError: another ``version``.
    """
    if version not in ("v4", "v5"):
        raise ValueError(f"version must be v4 or v5, not {version!r}")
    path = prepare_routes(app, base_path)
    status = falcon.HTTP_204 if version == "v5" else falcon.HTTP_201
    if version == "v5":
        app.add_middleware(ErrorTypeMarker(path, V5_ERROR_TYPE))
    listeners = [EventListener(kind, handler, status) for kind in EVENT_TYPES]
    for listener in listeners:
        app.add_route(f"{path}/listener/{_route(listener.event_type)}", listener)
    protect(app, auth, listeners)
