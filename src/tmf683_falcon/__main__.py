"""``tmf683-server``: TMF683 v4 and v5 on waitress, over a store chosen by ``--db``.

The only place that wires a real store, the app and the WSGI server together.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from urllib.parse import urlsplit

import waitress

from tmf683 import (
    DEFAULT_BASE_PATH,
    DEFAULT_QUERY_TIMEOUT,
    MAX_COUNT,
    V5_BASE_PATH,
    DeliveryTokenError,
    KeysUnavailableError,
    PartyInteractionService,
    PartyInteractionServiceV5,
    StoreConfigurationError,
    add_delivery_options,
    bound_outbox,
    callback_policy_from,
    delivery_token_from,
    dispatcher_from,
    open_store,
    parse_host_port,
    safe_location,
)
from tmf683_falcon import serving
from tmf683_falcon.app import create_app, route_prefix
from tmf683_falcon.auth import DEFAULT_READ_SCOPE, DEFAULT_WRITE_SCOPE, BearerAuth
from tmf683_falcon.errors import V5_ERROR_TYPE
from tmf683_falcon.jwks import is_url
from tmf683_falcon.logs import add_log_options, configure_logging
from tmf683_falcon.media import MAX_BODY_BYTES
from tmf683_falcon.metrics import add_metrics_options

log = logging.getLogger("tmf683.server")

DEFAULT_DB = "./tmf683.db"
VERSIONS = ("v4", "v5")
"""The API versions the server can serve, in the order it logs them."""
DISPATCHER_STOP_SECONDS = 15.0
"""How long a stopping server waits for a delivery in flight (its timeout is 10 s)."""


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``tmf683-server``."""
    parser = argparse.ArgumentParser(
        prog="tmf683-server",
        description="Serve the TMF683 Party Interaction Management API, v4 and v5 "
        "over one store.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_bounded_int(0, 65535),
        default=8080,
        help="TCP port; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("TMF683_DB") or DEFAULT_DB,
        help="store: a SQLite file path (created if missing), sqlite:///PATH, "
        "memory:, or a PostgreSQL URL postgresql://USER@HOST:PORT/DBNAME "
        f"(default: $TMF683_DB, else {DEFAULT_DB})",
    )
    parser.add_argument(
        "--versions",
        type=_versions,
        default=VERSIONS,
        metavar="LIST",
        help="API versions to serve, comma-separated: v4, v5 or v4,v5 (default: v4,v5)",
    )
    parser.add_argument(
        "--v4-base-path",
        default=DEFAULT_BASE_PATH,
        metavar="PATH",
        help="path prefix of the v4 API (default: %(default)s)",
    )
    parser.add_argument(
        "--v5-base-path",
        default=V5_BASE_PATH,
        metavar="PATH",
        help="path prefix of the v5 API (default: %(default)s)",
    )
    parser.add_argument(
        "--base-url",
        type=_base_url,
        metavar="URL",
        help="scheme, host and optional path prefix used in href, e.g. "
        "https://api.example.com (default: from each request)",
    )
    parser.add_argument(
        "--max-page-size",
        type=_bounded_int(1, None),
        default=1000,
        help="most items one list returns (default: %(default)s)",
    )
    parser.add_argument(
        "--partial-content",
        action="store_true",
        help="answer 206 for list pages that do not hold every match (TMF630); "
        "default 200, as the v4 swagger declares",
    )
    # h-events (issue 11, bounded hub)
    parser.add_argument(
        "--max-subscriptions",
        type=_bounded_int(1, None),
        default=1000,
        metavar="N",
        help="most hub subscriptions, v4 and v5 together; one more gets a 409 "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-pending-per-callback",
        type=_bounded_int(1, None),
        default=10_000,
        metavar="N",
        help="most undelivered events per callback; a change queueing more marks "
        "the oldest failed (default: %(default)s)",
    )
    parser.add_argument(
        "--no-dispatcher",
        action="store_true",
        help="do not deliver hub events from this process (run tmf683-dispatcher)",
    )
    add_delivery_options(parser)
    _add_limit_options(parser)
    add_log_options(parser)  # issue 12, h-observe
    add_metrics_options(parser)  # issue 12, h-observe
    # Authentication (issue 11, h-auth): bearer tokens, off unless --jwks is given.
    auth = parser.add_argument_group("authentication (OAuth2 bearer tokens)")
    auth.add_argument(
        "--jwks",
        metavar="PATH_OR_URL",
        help="require a bearer JWT signed by a key of this JWKS (a file, or the "
        "issuer's jwks_uri); needs --issuer and --audience (default: no tokens)",
    )
    auth.add_argument("--issuer", metavar="ISS", help="the iss tokens must carry")
    auth.add_argument("--audience", metavar="AUD", help="the aud tokens must name")
    auth.add_argument(
        "--read-scope",
        default=DEFAULT_READ_SCOPE,
        metavar="SCOPE",
        help="scope GET and HEAD need (default: %(default)s)",
    )
    auth.add_argument(
        "--write-scope",
        default=DEFAULT_WRITE_SCOPE,
        metavar="SCOPE",
        help="scope POST, PATCH and DELETE need, /hub too (default: %(default)s)",
    )
    auth.add_argument(
        "--party-claim",
        metavar="NAME",
        help="a token whose claim NAME holds a party id sees only the interactions "
        "whose relatedParty holds that party, others are 404, and may create or "
        "patch none naming another party (403) (default: off)",
    )
    parser.add_argument(
        "--threads",
        type=_bounded_int(1, 1024),
        default=8,
        help="worker threads (default: %(default)s)",
    )
    return parser


def waitress_body_limit(max_body_bytes: int) -> int:
    """The ``max_request_body_size`` given to waitress for a body limit.

    waitress counts a chunked body with its framing, so it gets room for that
    (twice the limit, and 64 KiB); the app enforces the limit itself, exactly, on
    the bytes of the body. A body past waitress's limit is refused by waitress from
    its ``Content-Length`` (or as its chunks arrive), before it is buffered, with
    the same TMF 413 (:mod:`tmf683_falcon.serving`).
    """
    return 2 * max_body_bytes + 64 * 1024


def _add_limit_options(parser: argparse.ArgumentParser) -> None:
    # Bounded resources and trusted server facts (issue 11, part h-limits).
    parser.add_argument(
        "--max-body-bytes",
        type=_bounded_int(1, None),
        default=MAX_BODY_BYTES,
        metavar="BYTES",
        help="largest request body; a larger one gets 413 before it is parsed "
        "(default: %(default)s, 1 MiB)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        type=_allowed_host,
        default=[],
        metavar="HOST[:PORT]",
        help="without --base-url, a Host name links may be built from, besides "
        "the listening address, localhost, 127.0.0.1 and ::1 (a port is accepted "
        "and not compared); repeat for several; a request with another Host "
        "gets 400",
    )
    parser.add_argument(
        "--sqlite-synchronous",
        choices=("full", "normal"),
        default="full",
        help="SQLite durability: full survives a power loss; normal is faster and "
        "survives a crash of the process only (default: %(default)s)",
    )
    parser.add_argument(
        "--query-timeout",
        type=_seconds,
        default=DEFAULT_QUERY_TIMEOUT,
        metavar="SECONDS",
        help="deadline of one list query on SQLite or PostgreSQL; past it the "
        "query stops with 503; 0 for none (default: %(default)s)",
    )
    parser.add_argument(
        "--connection-limit",
        type=_bounded_int(1, 100_000),
        default=1000,
        metavar="N",
        help="most open client connections; past it new ones wait in the listen "
        "backlog (default: %(default)s; keep it below the open-file limit)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_bounded_int(1, None),
        default=30,
        metavar="SECONDS",
        help="close a connection that sent nothing for this long, a half-sent "
        "request included (default: %(default)s)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_bounded_int(0, None),
        default=30,
        metavar="SECONDS",
        help="close a connection whose request (line, headers and body) takes "
        "longer than this to arrive, however slowly it trickles; 0 for none "
        "(default: %(default)s)",
    )


def allowed_hosts(args: argparse.Namespace) -> list[str]:
    """The Host names links may be built from: the defaults and ``--allowed-host``."""
    hosts = [args.host, "localhost", "127.0.0.1", "::1", *args.allowed_host]
    if args.base_url:
        hosts.append(urlsplit(args.base_url).hostname or "")
    return [host for host in hosts if host]


def _allowed_host(text: str) -> str:
    """``--allowed-host``: the host of ``HOST[:PORT]``, as the Host check compares."""
    try:
        host, _ = parse_host_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a host name or an IP address with an optional port "
            f"(HOST, HOST:PORT, [IPv6]:PORT): {exc}"
        ) from None
    return host


def _base_url(text: str) -> str:
    """``--base-url``: an absolute http(s) URL, without its trailing slash."""
    try:
        return _read_base_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an absolute http or https URL with a host and an "
            f"optional path (e.g. https://api.example.com/gateway): {exc}"
        ) from None


def _read_base_url(text: str) -> str:
    """The base URL ``text`` stands for, without its trailing slash.

    Raises:
        ValueError: it is not one; the message says why.
    """
    if not text.isascii() or any(ch.isspace() for ch in text):
        raise ValueError("it holds a space or a character that is not ASCII")
    parts = urlsplit(text)
    scheme = parts.scheme
    if scheme not in ("http", "https") or not text.lower().startswith(f"{scheme}://"):
        raise ValueError("it does not start with http:// or https://")
    if "?" in text or "#" in text:
        raise ValueError("it has a query or a fragment")
    if "@" in parts.netloc:
        raise ValueError("it carries user information (user@)")
    if not parts.netloc:
        raise ValueError("it has no host")
    parse_host_port(parts.netloc)
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more seconds")
    return value


def _bounded_int(low: int, high: int | None) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not a whole number"
            ) from None
        # no option takes more than a store's integer holds (2**63 - 1)
        top = MAX_COUNT if high is None else high
        if not low <= value <= top:
            raise argparse.ArgumentTypeError(
                f"{value} must be at least {low} and at most {top}"
            )
        return value

    return convert


def _versions(text: str) -> tuple[str, ...]:
    names = {name.strip().lower() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(VERSIONS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a list of versions among {', '.join(VERSIONS)}"
        )
    return tuple(name for name in VERSIONS if name in names)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _bearer_auth(args: argparse.Namespace) -> BearerAuth | None:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT or SIGTERM.

    Args:
        argv: command-line arguments without the program name; default
            ``sys.argv[1:]``.

    Returns:
        The exit status: 0 after a clean stop, 2 for bad arguments, a store that
        cannot be opened, an address that cannot be listened on or a
        ``--delivery-token-file`` without a token.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = {"v4": args.v4_base_path, "v5": args.v5_base_path}
    prefixes = {version: route_prefix(paths[version]) for version in args.versions}
    if len(set(prefixes.values())) < len(prefixes):
        parser.error("--v4-base-path and --v5-base-path must differ")
    if (args.jwks, args.issuer, args.audience).count(None) not in (0, 3):
        parser.error("--jwks, --issuer and --audience go together")
    if args.party_claim is not None and args.jwks is None:
        parser.error("--party-claim needs --jwks")
    configure_logging(args.log_level, args.log_format)  # waitress.queue kept quiet
    try:
        auth = _bearer_auth(args)
    except KeysUnavailableError as exc:
        log.error("cannot read --jwks: %s", exc)
        return 2
    try:
        token = delivery_token_from(args)
    except DeliveryTokenError as exc:
        log.error("%s", exc)
        return 2
    try:
        # a connection per request thread and per delivery worker, and a spare few
        store = open_store(
            args.db,
            max_connections=max(32, args.threads + 12),
            sqlite_synchronous=args.sqlite_synchronous,
            query_timeout=args.query_timeout or None,
        )
    except (StoreConfigurationError, OSError) as exc:
        log.error("cannot open the store: %s", exc)
        return 2
    # h-events: every store of tmf683 has it (see OutboxStore)
    store.max_pending_per_callback = args.max_pending_per_callback  # type: ignore[attr-defined]
    bound_outbox(store, args)  # issue 11: failed events kept per callback
    try:
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
        only_v5 = args.versions == ("v5",)
        dispatcher = dispatcher_from(store, args, token=token)
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
            dispatcher=None if args.no_dispatcher else dispatcher,
            metrics=not args.no_metrics,
        )
        try:
            server = waitress.create_server(
                app,
                host=args.host,
                port=args.port,
                threads=args.threads,
                ident="tmf683",
                max_request_body_size=waitress_body_limit(args.max_body_bytes),
                connection_limit=args.connection_limit,
                channel_timeout=args.idle_timeout,
                cleanup_interval=max(1, min(30, args.idle_timeout // 2)),
                asyncore_use_poll=True,  # select() fails past 1024 descriptors
            )
        except OSError as exc:
            log.error("cannot listen on %s port %s: %s", args.host, args.port, exc)
            return 2
        v5_prefix = prefixes.get("v5")
        serving.install(
            server,
            error_type_of=lambda path: (
                V5_ERROR_TYPE
                if v5_prefix is not None
                and (path == v5_prefix or path.startswith(v5_prefix + "/"))
                else None
            ),
            max_body_bytes=args.max_body_bytes,
            read_deadline=args.request_timeout,
        )
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        host = f"[{args.host}]" if ":" in args.host else args.host
        for version, prefix in prefixes.items():
            log.info(
                "serving TMF683 %s at http://%s:%s%s/ (store: %s)",
                version,
                host,
                server.effective_port,
                prefix,
                safe_location(args.db),
            )
        try:
            if not args.no_dispatcher:
                dispatcher.start()
            with contextlib.suppress(KeyboardInterrupt):
                server.run()
            server.close()
        finally:
            dispatcher.close(DISPATCHER_STOP_SECONDS)
            service.close()
        log.info("stopped")
    finally:
        store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
