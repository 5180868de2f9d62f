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

import waitress

from tmf683 import (
    DEFAULT_BASE_PATH,
    V5_BASE_PATH,
    PartyInteractionService,
    PartyInteractionServiceV5,
    StoreConfigurationError,
    add_delivery_options,
    callback_policy_from,
    dispatcher_from,
    open_store,
    safe_location,
)
from tmf683_falcon.app import create_app, route_prefix
from tmf683_falcon.media import MAX_BODY_BYTES

log = logging.getLogger("tmf683.server")

DEFAULT_DB = "./tmf683.db"
VERSIONS = ("v4", "v5")
"""The API versions the server can serve, in the order it logs them."""
DISPATCHER_STOP_SECONDS = 15.0
"""How long a stopping server waits for a delivery in flight (its timeout is 10 s)."""
WAITRESS_MAX_BODY_BYTES = 2 * MAX_BODY_BYTES
"""The body limit given to waitress (bytes); bodies up to it reach the app, which
answers a TMF 413 past ``MAX_BODY_BYTES``."""


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
        help="scheme and host used in href, e.g. https://api.example.com "
        "(default: from each request)",
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
    parser.add_argument(
        "--callback-host",
        action="append",
        metavar="HOST",
        help="allow hub callbacks to this host only; repeat for several "
        "(default: any host)",
    )
    add_delivery_options(parser)
    parser.add_argument(
        "--threads",
        type=_bounded_int(1, 1024),
        default=8,
        help="worker threads (default: %(default)s)",
    )
    return parser


def _bounded_int(low: int, high: int | None) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not a whole number"
            ) from None
        if value < low or (high is not None and value > high):
            upper = "" if high is None else f" and at most {high}"
            raise argparse.ArgumentTypeError(f"{value} must be at least {low}{upper}")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT or SIGTERM.

    Args:
        argv: command-line arguments without the program name; default
            ``sys.argv[1:]``.

    Returns:
        The exit status: 0 after a clean stop, 2 for bad arguments, a store that
        cannot be opened or an address that cannot be listened on.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = {"v4": args.v4_base_path, "v5": args.v5_base_path}
    prefixes = {version: route_prefix(paths[version]) for version in args.versions}
    if len(set(prefixes.values())) < len(prefixes):
        parser.error("--v4-base-path and --v5-base-path must differ")
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # waitress warns "Task queue depth is N" whenever every thread is busy: under
    # ordinary load that is a line per request, drowning the log.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        # a connection per request thread and per delivery worker, and a spare few
        store = open_store(args.db, max_connections=max(32, args.threads + 12))
    except (StoreConfigurationError, OSError) as exc:
        log.error("cannot open the store: %s", exc)
        return 2
    # h-events: every store of tmf683 has it (see OutboxStore)
    store.max_pending_per_callback = args.max_pending_per_callback  # type: ignore[attr-defined]
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
        app = create_app(
            v5 if only_v5 else service,
            base_path=paths["v5" if only_v5 else "v4"],
            v5=v5 if "v5" in args.versions and not only_v5 else None,
            v5_base_path=paths["v5"],
            base_url=args.base_url,
            partial_content=args.partial_content,
        )
        try:
            server = waitress.create_server(
                app,
                host=args.host,
                port=args.port,
                threads=args.threads,
                ident="tmf683",
                max_request_body_size=WAITRESS_MAX_BODY_BYTES,
            )
        except OSError as exc:
            log.error("cannot listen on %s port %s: %s", args.host, args.port, exc)
            return 2
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
        dispatcher = dispatcher_from(store, args)
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
