"""From parsed options to a running application: store, services, app, dispatcher.

``tmf683-server`` (waitress, :mod:`tmf683_falcon.__main__`) and
``tmf683_falcon.wsgi`` (gunicorn or any WSGI server) both build with
:func:`build`, so they serve the same application for the same options.
"""

from __future__ import annotations

import argparse
import logging
import threading
from dataclasses import dataclass, field

import falcon

from tmf683 import (
    DeliveryTokenError,
    Dispatcher,
    ElectedDispatcher,
    KeysUnavailableError,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PartyInteractionStore,
    StoreConfigurationError,
    TokenFile,
    bound_outbox,
    callback_policy_from,
    delivery_token_from,
    dispatcher_from,
    dispatcher_lock,
    open_store,
)
from tmf683_falcon.app import create_app
from tmf683_falcon.auth import BearerAuth
from tmf683_falcon.config import allowed_hosts, prefixes_of
from tmf683_falcon.jwks import is_url

log = logging.getLogger("tmf683.server")

DISPATCHER_STOP_SECONDS = 15.0
"""How long a stopping server waits for a delivery in flight (its timeout is 10 s)."""


class StartupError(Exception):
    """The options name something that cannot be used; the message says what.

    ``tmf683-server`` logs the message and exits with status 2.
    """


@dataclass
class Runtime:
    """What :func:`build` made from the options; :meth:`close` releases it all.

    Attributes:
        args: the parsed options.
        store: the open store.
        service: the v4 service (v5 wraps it).
        v5: the v5 service.
        app: the WSGI application serving the versions of ``--versions``.
        dispatcher: the hub event dispatcher, not started: a
            :class:`~tmf683.Dispatcher`, or with ``elected=True`` an
            :class:`~tmf683.ElectedDispatcher` (runs while this process holds the
            store's dispatcher lock).
        prefixes: the route prefix of each served version.
    """

    args: argparse.Namespace
    store: PartyInteractionStore
    service: PartyInteractionService
    v5: PartyInteractionServiceV5
    app: falcon.App[falcon.Request, falcon.Response]
    dispatcher: Dispatcher | ElectedDispatcher
    prefixes: dict[str, str]
    _closed: bool = field(default=False, repr=False)
    _closing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def close(self, timeout: float = DISPATCHER_STOP_SECONDS) -> None:
        """Stop the dispatcher (``timeout`` seconds at most), close services, store.

        Closing twice does nothing more.
        """
        with self._closing:
            if self._closed:
                return
            self._closed = True
        try:
            self.dispatcher.close(timeout)
            self.service.close()
        finally:
            self.store.close()


def bearer_auth(args: argparse.Namespace) -> BearerAuth | None:
    """The bearer check the options ask for, None for none.

    Raises:
        KeysUnavailableError: a ``--jwks`` file that cannot be read (a URL that
            cannot be fetched now is only logged, by the key set: it is fetched
            again at a request, at most every few seconds).
    """
    if args.jwks is None:
        return None
    auth = BearerAuth(
        args.jwks,
        issuer=args.issuer,
        audience=args.audience,
        read_scope=args.read_scope,
        write_scope=args.write_scope,
        party_claim=args.party_claim,
    )
    try:
        auth.load_keys()
    except KeysUnavailableError:
        if not is_url(args.jwks):
            raise
    log.info(
        "bearer tokens required: issuer %s, audience %s, keys from %s",
        args.issuer,
        args.audience,
        auth.jwks,
    )
    return auth


def build(args: argparse.Namespace, *, elected: bool = False) -> Runtime:
    """Open the store and build the services, the app and the dispatcher.

    Starts nothing: the caller starts ``dispatcher`` (unless ``--no-dispatcher``)
    and serves ``app``.

    Args:
        args: options parsed and checked by :func:`tmf683_falcon.config.parse`.
        elected: give an :class:`~tmf683.ElectedDispatcher` (for several processes
            on one store, e.g. gunicorn workers) instead of a plain dispatcher.

    Returns:
        The runtime; close it with :meth:`Runtime.close`.

    Raises:
        StartupError: a ``--jwks`` or ``--delivery-token-file`` that cannot be read,
            a store that cannot be opened.
    """
    try:
        auth = bearer_auth(args)
    except KeysUnavailableError as exc:
        raise StartupError(f"cannot read --jwks: {exc}") from exc
    try:
        token = delivery_token_from(args)
    except DeliveryTokenError as exc:
        raise StartupError(str(exc)) from exc
    try:
        # a connection per request thread and per delivery worker, and a spare few
        store = open_store(
            args.db,
            max_connections=max(32, args.threads + 12),
            sqlite_synchronous=args.sqlite_synchronous,
            query_timeout=args.query_timeout or None,
        )
    except (StoreConfigurationError, OSError) as exc:
        raise StartupError(f"cannot open the store: {exc}") from exc
    try:
        return _build_on(store, args, auth=auth, token=token, elected=elected)
    except BaseException:
        store.close()
        raise


def _build_on(
    store: PartyInteractionStore,
    args: argparse.Namespace,
    *,
    auth: BearerAuth | None,
    token: TokenFile | None,
    elected: bool,
) -> Runtime:
    # h-events: every store of tmf683 has it (see OutboxStore)
    store.max_pending_per_callback = args.max_pending_per_callback  # type: ignore[attr-defined]
    bound_outbox(store, args)  # issue 11: failed events kept per callback
    service = PartyInteractionService(
        store,
        max_page_size=args.max_page_size,
        callback_hosts=args.callback_host,
        callback_policy=callback_policy_from(args),  # h-events: SSRF
        max_subscriptions=args.max_subscriptions,  # h-events: bounded hub
    )
    v5 = PartyInteractionServiceV5(service)
    if "v5" in args.versions:
        v5.warm_up()  # the first v5 request does not compile the OAS
    dispatcher: Dispatcher | ElectedDispatcher
    if elected:
        dispatcher = ElectedDispatcher(
            lambda: dispatcher_from(store, args, token=token), dispatcher_lock(store)
        )
    else:
        dispatcher = dispatcher_from(store, args, token=token)
    paths = {"v4": args.v4_base_path, "v5": args.v5_base_path}
    only_v5 = args.versions == ("v5",)
    app = create_app(
        v5 if only_v5 else service,
        base_path=paths["v5" if only_v5 else "v4"],
        v5=v5 if "v5" in args.versions and not only_v5 else None,
        v5_base_path=paths["v5"],
        base_url=args.base_url,
        partial_content=args.partial_content,
        max_body_bytes=args.max_body_bytes,
        allowed_hosts=allowed_hosts(args),
        auth=auth,
        trusted_proxies=args.trusted_proxy,
        cors_origins=args.cors_origin,
        explorer=not args.no_explorer,
        dispatcher=None if args.no_dispatcher else dispatcher,
        metrics=not args.no_metrics,
    )
    return Runtime(
        args=args,
        store=store,
        service=service,
        v5=v5,
        app=app,
        dispatcher=dispatcher,
        prefixes=prefixes_of(args),
    )
