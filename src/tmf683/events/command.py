"""``tmf683-dispatcher``: deliver hub events from a store, as its own process.

``tmf683-server`` runs the same dispatcher in a thread unless ``--no-dispatcher``;
run this command instead when the servers should not deliver (or, with several
servers on one database, to deliver from one place).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable, Sequence

from tmf683._errors import DeliveryTokenError, StoreConfigurationError
from tmf683._hosts import parse_host
from tmf683._logging import add_log_options, configure_logging
from tmf683._signals import ignore_stop_signals, interrupt_on_signals
from tmf683.envconfig import EnvironmentParser, add_version_option
from tmf683.events.callbacks import CallbackPolicy, parse_allow_entry, parse_network
from tmf683.events.dispatch import Dispatcher
from tmf683.events.token import TokenFile
from tmf683.storage import open_store, safe_location
from tmf683.storage.base import PartyInteractionStore

log = logging.getLogger("tmf683.dispatcher")

DEFAULT_MAX_FAILED_PER_CALLBACK = 10_000
"""``--max-failed-per-callback`` unless given: failed events kept per callback."""


def _positive(kind: type[float] | type[int]) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{value} must be above 0")
        return value

    return convert


MAX_COUNT = 2**63 - 1
"""The largest count an option takes, which is the largest integer the stores hold
(SQLite ``INTEGER``, PostgreSQL ``bigint``)."""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{value} must be from 0 to {MAX_COUNT}")
    return value


def add_delivery_options(parser: argparse.ArgumentParser) -> None:
    """Add the delivery options shared by the server and the dispatcher command."""
    parser.add_argument(
        "--callback-host",
        action="append",
        type=_callback_host,
        metavar="HOST",
        help="accept and deliver hub callbacks to this host only (a host name or "
        "an IP address); repeat for several (default: any host)",
    )
    parser.add_argument(
        "--max-attempts",
        type=_positive(int),
        default=10,
        help="attempts before an event is kept as failed (default: %(default)s)",
    )
    parser.add_argument(
        "--retry-first-delay",
        type=_positive(float),
        default=3.0,
        metavar="SECONDS",
        help="delay before the first retry; each next one is 2.2 times longer "
        "(default: %(default)s, about 50 minutes over 10 attempts)",
    )
    # issue 11, bounded resources: a dead callback's failed events
    parser.add_argument(
        "--max-failed-per-callback",
        type=_count,
        default=DEFAULT_MAX_FAILED_PER_CALLBACK,
        metavar="N",
        help="most events kept as failed per callback; failing more deletes the "
        "oldest failed ones of that callback; 0 keeps none (default: %(default)s)",
    )
    parser.add_argument(
        "--delivery-token-file",
        metavar="PATH",
        help="send the bearer token this file holds (one line) with every event, "
        "for listeners that require one; the file is read again when it changes "
        "(default: no token)",
    )
    _add_callback_options(parser)


def _cidr(text: str) -> str:
    try:
        parse_network(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a CIDR") from None
    return text


def _callback_host(text: str) -> str:
    try:
        return parse_host(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a host name or an IP address: {exc}"
        ) from None


def _allow_entry(text: str) -> str:
    try:
        parse_allow_entry(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_callback_options(parser: argparse.ArgumentParser) -> None:
    # h-events (issue 11, SSRF-safe callbacks)
    parser.add_argument(
        "--callback-deny",
        action="append",
        type=_cidr,
        default=[],
        metavar="CIDR",
        help="refuse hub callbacks on addresses in this network, at registration "
        "and at every delivery; repeat for several (link-local and metadata "
        "addresses are always refused; loopback and private ranges are allowed "
        "unless denied here, e.g. 127.0.0.0/8, 10.0.0.0/8)",
    )
    parser.add_argument(
        "--callback-allow",
        action="append",
        type=_allow_entry,
        metavar="CIDR|HOST",
        help="allow only hub callbacks on this network (CIDR or IP address) or "
        "host name (no wildcard, port or URL); repeat for several (default: any "
        "address not refused)",
    )


def callback_policy_from(args: argparse.Namespace) -> CallbackPolicy:
    """The callback policy the parsed options describe."""
    return CallbackPolicy(
        deny=getattr(args, "callback_deny", None) or (),
        allow=getattr(args, "callback_allow", None),
    )


def bound_outbox(store: PartyInteractionStore, args: argparse.Namespace) -> None:
    """Set on the store the outbox limit the parsed delivery options give.

    Sets the store's ``max_failed_per_callback`` (see
    :class:`~tmf683.storage.base.OutboxStore`) from ``--max-failed-per-callback``;
    the server and the dispatcher command both call it, as a dispatcher's give-up
    and a server's pending limit both fail deliveries.

    Args:
        store: a store of tmf683 (they all have the attribute).
        args: options parsed by a parser given :func:`add_delivery_options`.
    """
    store.max_failed_per_callback = args.max_failed_per_callback  # type: ignore[attr-defined]


def delivery_token_from(args: argparse.Namespace) -> TokenFile | None:
    """The delivery token the parsed options name (``--delivery-token-file``).

    Read it at start-up, before serving, so a missing file stops the command. Logs
    a warning when no ``--callback-allow`` narrows the callbacks: the token then
    goes to every callback anyone registers.

    Returns:
        The token file, or None without the option.

    Raises:
        DeliveryTokenError: the file is missing, unreadable or holds no token.
    """
    path = getattr(args, "delivery_token_file", None)
    if path is None:
        return None
    token = TokenFile(path)
    log.info("sending the bearer token of %s with every event", token.path)
    if not getattr(args, "callback_allow", None):
        log.warning(
            "--delivery-token-file without --callback-allow: the delivery token "
            "is sent to every callback anyone registers; allow only your "
            "listeners with --callback-allow CIDR|HOST"
        )
    return token


def dispatcher_from(
    store: PartyInteractionStore,
    args: argparse.Namespace,
    *,
    token: TokenFile | None = None,
) -> Dispatcher:
    """Build the dispatcher the parsed options describe.

    Args:
        store: the store to deliver from.
        args: the parsed options of :func:`add_delivery_options` (and
            ``--callback-host``).
        token: the delivery token, from :func:`delivery_token_from`; default
            none.
    """
    return Dispatcher(
        store,
        max_attempts=args.max_attempts,
        first_delay=args.retry_first_delay,
        allowed_hosts=getattr(args, "callback_host", None),
        callback_policy=callback_policy_from(args),
        token=token,
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``tmf683-dispatcher``: ``--db`` and the delivery options.

    Every option also reads ``TMF683_<OPTION>`` from the environment (see
    :class:`~tmf683.envconfig.EnvironmentParser`); the command line wins.
    """
    parser = EnvironmentParser(
        prog="tmf683-dispatcher", description="Deliver TMF683 hub events."
    )
    add_version_option(parser)
    parser.add_argument(
        "--db",
        default="./tmf683.db",
        help="the store the servers write to: a SQLite file path, sqlite:///PATH or "
        "a PostgreSQL URL (default: $TMF683_DB, else ./tmf683.db)",
    )
    add_delivery_options(parser)
    add_log_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Deliver until SIGINT or SIGTERM.

    Returns:
        0 after a clean stop, 2 for bad arguments, a store that cannot be opened
        or a delivery token file without a token.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    try:
        token = delivery_token_from(args)
    except DeliveryTokenError as exc:
        log.error("%s", exc)
        return 2
    try:
        store = open_store(args.db)
    except (StoreConfigurationError, OSError) as exc:
        log.error("cannot open the store: %s", exc)
        return 2
    stop = threading.Event()
    bound_outbox(store, args)
    dispatcher = dispatcher_from(store, args, token=token)
    interrupt_on_signals()
    try:
        # the signals stop it from here on: the start line says it is ready for them
        log.info("delivering events from %s", safe_location(args.db))
        dispatcher.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        # a second signal must not cut the close short (tmf683._signals)
        ignore_stop_signals(log, "for a delivery in flight (up to its timeout)")
        dispatcher.close()
        store.close()
    log.info("stopped")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
