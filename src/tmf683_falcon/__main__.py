"""``tmf683-server``: TMF683 v4 and v5 on waitress, over a store chosen by ``--db``.

The options are those of :func:`tmf683_falcon.config.build_parser` (each also read
from its ``TMF683_...`` environment variable); the store, the services, the app and
the dispatcher are built by :func:`tmf683_falcon.runtime.build`, as for
``tmf683_falcon.wsgi``. This module wires them to waitress.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Sequence

import waitress

from tmf683 import (
    configure_logging,
    ignore_stop_signals,
    interrupt_on_signals,
    safe_location,
)
from tmf683_falcon import serving
from tmf683_falcon.config import build_parser as build_parser  # re-exported
from tmf683_falcon.config import check
from tmf683_falcon.errors import V5_ERROR_TYPE
from tmf683_falcon.runtime import DISPATCHER_STOP_SECONDS, StartupError, build

log = logging.getLogger("tmf683.server")


def waitress_body_limit(max_body_bytes: int) -> int:
    """The ``max_request_body_size`` given to waitress for a body limit.

    waitress counts a chunked body with its framing, so it gets room for that
    (twice the limit, and 64 KiB); the app enforces the limit itself, exactly, on
    the bytes of the body. A body past waitress's limit is refused by waitress from
    its ``Content-Length`` (or as its chunks arrive), before it is buffered, with
    the same TMF 413 (:mod:`tmf683_falcon.serving`).
    """
    return 2 * max_body_bytes + 64 * 1024


def _waiting(no_dispatcher: bool) -> str:
    if no_dispatcher:
        return "for the store to close"
    return f"up to {DISPATCHER_STOP_SECONDS:g} s for a delivery in flight"


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
    check(parser, args)
    configure_logging(args.log_level, args.log_format)  # waitress.queue kept quiet
    try:
        runtime = build(args)
    except StartupError as exc:
        log.error("%s", exc)
        return 2
    try:
        try:
            server = waitress.create_server(
                runtime.app,
                host=args.host,
                port=args.port,
                threads=args.threads,
                ident="tmf683",
                max_request_body_size=waitress_body_limit(args.max_body_bytes),
                connection_limit=args.connection_limit,
                channel_timeout=args.idle_timeout,
                cleanup_interval=max(1, min(30, args.idle_timeout // 2)),
                asyncore_use_poll=True,  # select() fails past 1024 descriptors
                # waitress drops X-Forwarded-*/Forwarded; the app weighs them itself
                clear_untrusted_proxy_headers=not args.trusted_proxy,
            )
        except OSError as exc:
            log.error("cannot listen on %s port %s: %s", args.host, args.port, exc)
            return 2
        v5_prefix = runtime.prefixes.get("v5")
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
        try:
            with contextlib.suppress(KeyboardInterrupt):
                if not args.no_dispatcher:
                    runtime.dispatcher.start()
                # the signals stop it from here on: the URL lines say it is ready
                interrupt_on_signals()
                host = f"[{args.host}]" if ":" in args.host else args.host
                for version, prefix in runtime.prefixes.items():
                    log.info(
                        "serving TMF683 %s at http://%s:%s%s/ (store: %s)",
                        version,
                        host,
                        server.effective_port,
                        prefix,
                        safe_location(args.db),
                    )
                server.run()
        finally:
            # a second signal must not cut the close short (tmf683._signals)
            ignore_stop_signals(log, _waiting(args.no_dispatcher))
            server.close()
            runtime.close(DISPATCHER_STOP_SECONDS)
        log.info("stopped")
    finally:
        runtime.close(DISPATCHER_STOP_SECONDS)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
