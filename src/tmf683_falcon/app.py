"""Compose the TMF683 Falcon application: routes, media handlers and error handling."""

from __future__ import annotations

from collections.abc import Iterable

import falcon

from tmf683 import (
    DEFAULT_BASE_PATH,
    V5_BASE_PATH,
    PartyInteractionServiceV5,
)
from tmf683_falcon.accept import RequireJsonAccept
from tmf683_falcon.auth import BearerAuth, protect
from tmf683_falcon.cors import Cors, parse_origins
from tmf683_falcon.errors import (
    V5_ERROR_TYPE,
    ErrorTypeMarker,
    add_error_handlers,
    serialize_http_error,
)
from tmf683_falcon.explorer import EXPLORER_NAME, add_contract_routes
from tmf683_falcon.forwarded import ForwardedOrigin, TrustedProxies
from tmf683_falcon.hub import HubCollection, HubItem
from tmf683_falcon.logs import AccessLog
from tmf683_falcon.media import (
    MAX_BODY_BYTES,
    MEDIA_TYPE,
    BodyLimit,
    HostGuard,
    json_handler,
)
from tmf683_falcon.methods import AllowListsOptions
from tmf683_falcon.metrics import METRICS_PATH, Metrics, MetricsResource
from tmf683_falcon.probes import (
    HEALTH_PATH,
    READY_PATH,
    READY_TIMEOUT,
    Health,
    Liveness,
    Ready,
)
from tmf683_falcon.resources import (
    PartyInteractionCollection,
    PartyInteractionItem,
    Service,
)


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
    return route_prefix(base_path)


def route_prefix(base_path: str) -> str:
    """Return a base path as a route prefix: one leading slash, none trailing.

    Args:
        base_path: e.g. ``"tmf-api/partyInteraction/v4/"``.

    Returns:
        e.g. ``"/tmf-api/partyInteraction/v4"``; ``""`` for ``"/"`` or ``""``.
    """
    stripped = base_path.strip("/")
    return "/" + stripped if stripped else ""


def mount(
    app: falcon.App[falcon.Request, falcon.Response],
    service: Service,
    *,
    base_path: str | None = None,
    base_url: str | None = None,
    partial_content: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    allowed_hosts: Iterable[str] | None = None,
    auth: BearerAuth | None = None,
    trusted_proxies: Iterable[str] = (),
    cors_origins: Iterable[str] = (),
    contract: bool = True,
    explorer: bool = True,
) -> None:
    """Add the TMF683 routes of one API version to an existing Falcon app.

    Adds ``{base_path}/partyInteraction``, ``{base_path}/partyInteraction/{id}``,
    ``{base_path}/hub`` and ``{base_path}/hub/{id}``
    and error handlers that give the routes' own errors (400, 404 for an unknown id,
    406 for an ``Accept`` without JSON, 409, 413, 415) TMF Error bodies. The version
    is the service's: a
    :class:`~tmf683.PartyInteractionService` serves v4, a
    :class:`~tmf683.PartyInteractionServiceV5` serves v5 (with ``"@type": "Error"``
    in its Error bodies); call ``mount`` once for each to serve both over one store.
    The host app keeps its own error serializer for falcon's 404 (unknown path) and
    405 (use :func:`create_app` for TMF bodies there too, or set
    :func:`tmf683_falcon.serialize_http_error`).

    Args:
        app: the host application (WSGI).
        service: the core service that answers every request, v4 or v5.
        base_path: path prefix of the API; slashes around it do not matter; default
            :data:`~tmf683._service.DEFAULT_BASE_PATH` for v4,
            :data:`~tmf683.versions.v5service.V5_BASE_PATH` for v5.
        base_url: scheme and host used in ``href``, e.g. ``"https://api.example.com"``;
            default: taken from each request.
        partial_content: answer a list page that does not hold every match with
            206 Partial Content (TMF630 Part 1) instead of 200; off by default, as
            the v4 swagger declares no 206.
        max_body_bytes: the largest request body of these routes, in bytes; a
            larger one gets a TMF 413 before it is parsed.
        allowed_hosts: without ``base_url``, the host names a request's ``Host``
            may carry (links are built from it); any other gets a 400 TMF Error.
            ``None``: not checked (``tmf683-server`` always gives a list).
        auth: require a bearer token on every route added (see
            :class:`~tmf683_falcon.BearerAuth`), except the contract and the
            explorer, which are public; default: none.
        trusted_proxies: IP addresses and networks (CIDR, e.g. ``"10.0.0.0/8"``)
            of reverse proxies whose ``Forwarded`` / ``X-Forwarded-Proto`` /
            ``-Host`` / ``-Prefix`` headers are believed for these routes (see
            :mod:`tmf683_falcon.forwarded`): links and the ``allowed_hosts`` check
            then use the client's scheme, host and prefix. ``base_url`` still wins
            for links. Default: none, the headers are ignored.
        cors_origins: origins (``"https://app.example.com"``) whose browser pages
            may call these routes, or ``["*"]`` for any (see
            :mod:`tmf683_falcon.cors`); a preflight needs no token. Default: none,
            no CORS headers.
        contract: serve the version's contract at ``{base_path}/openapi.json``
            (:mod:`tmf683_falcon.contract`; with ``auth``, it declares the bearer
            token).
        explorer: serve the API explorer (Swagger UI) at ``{base_path}/docs``
            (:mod:`tmf683_falcon.explorer`); needs ``contract``.

    Raises:
        ValueError: an entry of ``trusted_proxies`` or ``cors_origins`` is not of
            its form, or ``explorer`` without ``contract``.
    """
    if explorer and not contract:
        raise ValueError("the explorer reads the contract: give contract=True too")
    trusted = TrustedProxies(trusted_proxies)
    origins = parse_origins(cors_origins)
    v5 = isinstance(service, PartyInteractionServiceV5)
    default = V5_BASE_PATH if v5 else DEFAULT_BASE_PATH
    path = prepare_routes(app, default if base_path is None else base_path)
    if trusted:
        app.add_middleware(ForwardedOrigin(path, trusted))
    if origins:
        app.add_middleware(Cors(path, origins))
    app.add_middleware(ErrorTypeMarker(path, V5_ERROR_TYPE if v5 else None))
    app.add_middleware(BodyLimit(path, max_body_bytes))
    if base_url is None and allowed_hosts is not None:
        app.add_middleware(HostGuard(path, allowed_hosts))
    app.add_middleware(RequireJsonAccept(path, exempt=f"{path}/{EXPLORER_NAME}"))
    app.add_middleware(AllowListsOptions(path))
    routes = {
        f"{path}/partyInteraction": PartyInteractionCollection(
            service, base_url, path, partial_content
        ),
        f"{path}/partyInteraction/{{id}}": PartyInteractionItem(
            service, base_url, path
        ),
        f"{path}/hub": HubCollection(service, base_url, path),
        f"{path}/hub/{{id}}": HubItem(service, base_url, path),
    }
    for template, resource in routes.items():
        app.add_route(template, resource)
    hub = [routes[f"{path}/hub"], routes[f"{path}/hub/{{id}}"]]
    protect(app, auth, routes.values(), partyless=hub)
    if contract:
        version = "v5" if v5 else "v4"
        add_contract_routes(
            app, version, path, base_url, bearer=auth is not None, explorer=explorer
        )


def create_app(
    service: Service,
    *,
    base_path: str | None = None,
    base_url: str | None = None,
    partial_content: bool = False,
    v5: PartyInteractionServiceV5 | None = None,
    v5_base_path: str = V5_BASE_PATH,
    max_body_bytes: int = MAX_BODY_BYTES,
    allowed_hosts: Iterable[str] | None = None,
    auth: BearerAuth | None = None,
    trusted_proxies: Iterable[str] = (),
    cors_origins: Iterable[str] = (),
    contract: bool = True,
    explorer: bool = True,
    dispatcher: Liveness | None = None,
    metrics: bool = True,
    ready_timeout: float = READY_TIMEOUT,
) -> falcon.App[falcon.Request, falcon.Response]:
    """Create a WSGI Falcon app serving TMF683 v4, v5 or both.

    ``create_app(v4)`` serves v4, ``create_app(PartyInteractionServiceV5(v4))`` v5,
    and ``create_app(v4, v5=PartyInteractionServiceV5(v4))`` both over one store.

    Args:
        service: the core service that answers every request of its version (see
            :func:`mount`).
        base_path: path prefix of ``service``'s API; default the version's
            (the swagger's ``basePath`` for v4,
            :data:`~tmf683.versions.v5service.V5_BASE_PATH` for v5).
        base_url: scheme and host used in ``href``; default: from each request.
        partial_content: 206 for partial list pages (see :func:`mount`).
        v5: a v5 service to serve beside a v4 ``service``, usually
            ``PartyInteractionServiceV5(service)``.
        v5_base_path: path prefix of the ``v5`` API.
        max_body_bytes: the largest request body, in bytes (see :func:`mount`).
        allowed_hosts: the trusted ``Host`` names without ``base_url`` (see
            :func:`mount`).
        auth: require a bearer token on every route of both versions (see
            :class:`~tmf683_falcon.BearerAuth`) but the contract and the
            explorer; default: none.
        trusted_proxies: reverse proxies whose forwarded headers are believed
            (see :func:`mount`); default: none.
        cors_origins: origins allowed to call the API from a browser, or
            ``["*"]`` (see :func:`mount`); default: none.
        contract: serve each version's contract at ``{root}/openapi.json``.
        explorer: serve each version's API explorer at ``{root}/docs``.
        dispatcher: the event dispatcher this process runs (a
            :class:`~tmf683.Dispatcher`, or any object with ``is_alive() -> bool |
            None``, ``None`` meaning "no dispatcher here"): ``/ready`` fails while
            it is not alive, and ``/metrics`` counts its attempts. ``None``: the
            process runs none.
        metrics: serve ``/metrics`` (Prometheus text, no token; see
            ``tmf683_falcon.metrics``).
        ready_timeout: seconds the store check of ``/ready`` may take.

    Returns:
        A :class:`falcon.App`; serve it with any WSGI server (``tmf683-server`` uses
        waitress). Every error, falcon's own 404/405/415 included, has a TMF body
        (with ``@type`` under the v5 base path). ``GET /health`` is the liveness
        probe and ``GET /ready`` the readiness probe (``tmf683_falcon.probes``;
        no token); every request gets an ``X-Request-ID`` and an access log line
        (``tmf683_falcon.logs``).

    Raises:
        TypeError: ``v5`` given with a v5 ``service``.
        ValueError: a bad entry of ``trusted_proxies`` or ``cors_origins``, or
            ``explorer`` without ``contract``.
    """
    if v5 is not None and isinstance(service, PartyInteractionServiceV5):
        raise TypeError("give v5= beside a v4 service, not beside a v5 one")
    observers: list[AccessLog | Metrics] = [AccessLog()]
    measured = Metrics(service.store) if metrics else None
    if measured is not None:
        observers.append(measured)
        measured.watch(dispatcher)
    # first: their process_response runs last, with the final status
    app = falcon.App(media_type=MEDIA_TYPE, middleware=observers)
    handler = json_handler()
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = handler
    app.resp_options.media_handlers[MEDIA_TYPE] = handler
    app.req_options.strip_url_path_trailing_slash = True
    app.set_error_serializer(serialize_http_error)
    trusted_proxies, cors_origins = tuple(trusted_proxies), tuple(cors_origins)
    mounts: list[tuple[Service, str | None]] = [(service, base_path)]
    if v5 is not None:
        mounts.append((v5, v5_base_path))
    for served, path in mounts:
        mount(
            app,
            served,
            base_path=path,
            base_url=base_url,
            partial_content=partial_content,
            max_body_bytes=max_body_bytes,
            allowed_hosts=allowed_hosts,
            auth=auth,
            trusted_proxies=trusted_proxies,
            cors_origins=cors_origins,
            contract=contract,
            explorer=explorer,
        )
    app.add_route(HEALTH_PATH, Health())
    app.add_route(READY_PATH, Ready(service.store, dispatcher, ready_timeout))
    if measured is not None:
        app.add_route(METRICS_PATH, MetricsResource(measured))
    return app
