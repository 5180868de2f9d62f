"""``tmf683-server``: the TMF683 v4 API on waitress, with a store chosen by ``--db``.

The only place that wires a real store, the app and the WSGI server together.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import waitress

from tmf683 import PartyInteractionService, StoreConfigurationError, open_store
from tmf683_falcon.app import DEFAULT_BASE_PATH, create_app
from tmf683_falcon.media import MAX_BODY_BYTES

__all__ = ["build_parser", "main"]

log = logging.getLogger("tmf683.server")

DEFAULT_DB = "./tmf683.db"
WAITRESS_MAX_BODY_BYTES = 2 * MAX_BODY_BYTES
"""waitress's own limit: bodies up to it reach the app, which answers a TMF 413."""


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``tmf683-server``."""
    parser = argparse.ArgumentParser(
        prog="tmf683-server",
        description="Serve the TMF683 Party Interaction Management API v4.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="TCP port; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("TMF683_DB") or DEFAULT_DB,
        help="store: a SQLite file path (created if missing), sqlite:///PATH, or "
        "memory: (default: $TMF683_DB, else %(default)s)",
    )
    parser.add_argument(
        "--base-url",
        help="scheme and host used in href, e.g. https://api.example.com "
        "(default: from each request)",
    )
    parser.add_argument(
        "--max-page-size",
        type=int,
        default=1000,
        help="most items one list returns (default: %(default)s)",
    )
    parser.add_argument(
        "--threads", type=int, default=8, help="worker threads (default: %(default)s)"
    )
    return parser


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT or SIGTERM.

    Args:
        argv: command-line arguments without the program name; default
            ``sys.argv[1:]``.

    Returns:
        The exit status: 0 after a clean stop, 2 for bad arguments.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.max_page_size < 1 or args.threads < 1:
        log.error("--max-page-size and --threads must be at least 1")
        return 2
    try:
        store = open_store(args.db)
    except (StoreConfigurationError, OSError) as exc:
        log.error("cannot open the store: %s", exc)
        return 2
    try:
        service = PartyInteractionService(store, max_page_size=args.max_page_size)
        app = create_app(service, base_url=args.base_url)
        server = waitress.create_server(
            app,
            host=args.host,
            port=args.port,
            threads=args.threads,
            ident="tmf683",
            max_request_body_size=WAITRESS_MAX_BODY_BYTES,
        )
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        host = f"[{args.host}]" if ":" in args.host else args.host
        log.info(
            "serving TMF683 v4 at http://%s:%s%s/ (store: %s)",
            host,
            server.effective_port,
            DEFAULT_BASE_PATH,
            args.db,
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        server.close()
        log.info("stopped")
    finally:
        store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
