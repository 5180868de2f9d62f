"""Compose the TMF683 Falcon application: routes, media handlers and error handling."""

from __future__ import annotations

import falcon

from tmf683 import DEFAULT_BASE_PATH, PartyInteractionService
from tmf683_falcon.errors import add_error_handlers, serialize_http_error
from tmf683_falcon.hub import HubCollection, HubItem
from tmf683_falcon.media import MEDIA_TYPE, json_handler
from tmf683_falcon.resources import PartyInteractionCollection, PartyInteractionItem


def prepare_routes(
    app: falcon.App[falcon.Request, falcon.Response], base_path: str
) -> str:
    """Add the error handlers every TMF683 route needs; return the route prefix.

    Args:
        app: the host application.
        base_path: the path prefix as given, e.g. ``"tmf-api/partyInteraction/v4/"``.

    Returns:
        The prefix with one leading and no trailing slash, e.g.
        ``"/tmf-api/partyInteraction/v4"``; ``""`` for ``"/"`` or ``""``.
    """
    add_error_handlers(app)
    stripped = base_path.strip("/")
    return "/" + stripped if stripped else ""


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
    too, or set :func:`tmf683_falcon.serialize_http_error`).

    Args:
        app: the host application (WSGI).
        service: the core service that answers every request.
        base_path: path prefix of the API; slashes around it do not matter.
        base_url: scheme and host used in ``href``, e.g. ``"https://api.example.com"``;
            default: taken from each request.
        partial_content: answer a list page that does not hold every match with
            206 Partial Content (TMF630 Part 1) instead of 200; off by default, as
            the v4 swagger declares no 206.
    """
    path = prepare_routes(app, base_path)
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
