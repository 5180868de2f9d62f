"""The options of ``tmf683-server`` and of ``tmf683_falcon.wsgi``, and their checks.

:func:`build_parser` defines every option (each also read from its ``TMF683_...``
environment variable); :func:`parse` parses and checks what options cannot check
one by one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from tmf683 import (
    DEFAULT_BASE_PATH,
    DEFAULT_QUERY_TIMEOUT,
    MAX_COUNT,
    V5_BASE_PATH,
    EnvironmentParser,
    add_delivery_options,
    add_log_options,
    add_version_option,
    parse_host_port,
)
from tmf683_falcon.app import route_prefix
from tmf683_falcon.auth import DEFAULT_READ_SCOPE, DEFAULT_WRITE_SCOPE
from tmf683_falcon.explorer import add_explorer_options
from tmf683_falcon.media import MAX_BODY_BYTES
from tmf683_falcon.metrics import add_metrics_options
from tmf683_falcon.proxy_options import add_proxy_options

DEFAULT_DB = "./tmf683.db"
VERSIONS = ("v4", "v5")
"""The API versions the server can serve, in the order it logs them."""


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``tmf683-server``.

    Every option also reads ``TMF683_<OPTION>`` from the environment (see
    :class:`~tmf683.EnvironmentParser`); the command line wins.
    """
    parser = EnvironmentParser(
        prog="tmf683-server",
        description="Serve the TMF683 Party Interaction Management API, v4 and v5 "
        "over one store.",
    )
    add_version_option(parser)
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
        default=DEFAULT_DB,
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
    add_proxy_options(parser)  # issue 12: --trusted-proxy, --cors-origin
    add_explorer_options(parser)  # issue 12: --no-explorer
    add_log_options(parser)  # issue 12: --log-level, --log-format
    add_metrics_options(parser)  # issue 12: --no-metrics
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


def prefixes_of(args: argparse.Namespace) -> dict[str, str]:
    """The route prefix of each served version, e.g. ``{"v4": "/tmf-api/..."}``."""
    paths = {"v4": args.v4_base_path, "v5": args.v5_base_path}
    return {version: route_prefix(paths[version]) for version in args.versions}


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse option combinations that cannot work (exits 2 via ``parser.error``)."""
    prefixes = prefixes_of(args)
    if len(set(prefixes.values())) < len(prefixes):
        parser.error("--v4-base-path and --v5-base-path must differ")
    if (args.jwks, args.issuer, args.audience).count(None) not in (0, 3):
        parser.error("--jwks, --issuer and --audience go together")
    if args.party_claim is not None and args.jwks is None:
        parser.error("--party-claim needs --jwks")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the options of ``tmf683-server``.

    Args:
        argv: the arguments without the program name; default ``sys.argv[1:]``;
            ``[]`` for the environment and the defaults only.

    Returns:
        The options, environment variables applied.

    Raises:
        SystemExit: status 2 after one error line, for a bad option or variable.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    check(parser, args)
    return args
