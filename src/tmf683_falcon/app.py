"""Compose the TMF683 Falcon application: routes, media handlers and error handling."""

from __future__ import annotations

import falcon

from tmf683 import PartyInteractionService, Tmf683Error
from tmf683_falcon.errors import (
    handle_core_error,
    handle_route_http_error,
    serialize_http_error,
)
from tmf683_falcon.hub import HubCollection, HubItem
from tmf683_falcon.media import (
    MEDIA_TYPE,
    BodyTooLargeError,
    UnsupportedMediaTypeError,
    json_handler,
)
from tmf683_falcon.resources import PartyInteractionCollection, PartyInteractionItem

__all__ = ["DEFAULT_BASE_PATH", "create_app", "mount"]

DEFAULT_BASE_PATH = "/tmf-api/partyInteraction/v4"
"""Where the API lives, as the v4 swagger's ``basePath`` says."""


def mount(
    app: falcon.App[falcon.Request, falcon.Response],
    service: PartyInteractionService,
    *,
    base_path: str = DEFAULT_BASE_PATH,
    base_url: str | None = None,
    partial_content: bool = False,
) -> None:
    """Add the TMF683 routes to an existing Falcon app.

    Adds ``{base_path}/partyInteraction``, ``{base_path}/partyInteraction/{id}``,
    ``{base_path}/hub`` and ``{base_path}/hub/{id}``
    and error handlers that give the routes' own errors (400, 404 for an unknown id,
    409, 413, 415) TMF Error bodies. The host app keeps its own error serializer for
    falcon's 404 (unknown path) and 405 (use :func:`create_app` for TMF bodies there
    too, or set :func:`tmf683_falcon.errors.serialize_http_error`).

    Args:
        app: the host application (WSGI).
        service: the core service that answers every request.
        base_path: path prefix of the API, without a trailing slash.
        base_url: scheme and host used in ``href``, e.g. ``"https://api.example.com"``;
            default: taken from each request.
        partial_content: answer a list page that does not hold every match with
            206 Partial Content (TMF630 Part 1) instead of 200; off by default, as
            the v4 swagger declares no 206.
    """
    path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    app.add_error_handler(Tmf683Error, handle_core_error)
    app.add_error_handler(UnsupportedMediaTypeError, handle_route_http_error)
    app.add_error_handler(BodyTooLargeError, handle_route_http_error)
    app.add_route(
        f"{path}/partyInteraction",
        PartyInteractionCollection(service, base_url, path, partial_content),
    )
    app.add_route(
        f"{path}/partyInteraction/{{id}}", PartyInteractionItem(service, base_url, path)
    )
    app.add_route(f"{path}/hub", HubCollection(service, base_url, path))
    app.add_route(f"{path}/hub/{{id}}", HubItem(service, base_url, path))


def create_app(
    service: PartyInteractionService,
    *,
    base_path: str = DEFAULT_BASE_PATH,
    base_url: str | None = None,
    partial_content: bool = False,
) -> falcon.App[falcon.Request, falcon.Response]:
    """Create a WSGI Falcon app serving the TMF683 v4 API.

    Args:
        service: the core service that answers every request.
        base_path: path prefix of the API (the swagger's ``basePath`` by default).
        base_url: scheme and host used in ``href``; default: from each request.
        partial_content: 206 for partial list pages (see :func:`mount`).

    Returns:
        A :class:`falcon.App`; serve it with any WSGI server (``tmf683-server`` uses
        waitress). Every error, falcon's own 404/405/415 included, has a TMF body.
    """
    app = falcon.App(media_type=MEDIA_TYPE)
    handler = json_handler()
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = handler
    app.resp_options.media_handlers[MEDIA_TYPE] = handler
    app.req_options.strip_url_path_trailing_slash = True
    app.set_error_serializer(serialize_http_error)
    mount(
        app,
        service,
        base_path=base_path,
        base_url=base_url,
        partial_content=partial_content,
    )
    return app
