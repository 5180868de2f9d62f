"""``tmf683-server`` options of the proxy in front and of browser callers.

``--trusted-proxy`` (see :mod:`tmf683_falcon.forwarded`) and ``--cors-origin`` (see
:mod:`tmf683_falcon.cors`); both repeatable and comma lists, both off by default.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tmf683_falcon.cors import parse_origin, parse_origins
from tmf683_falcon.forwarded import parse_proxy


def _proxies(text: str) -> list[str]:
    """``--trusted-proxy``: a comma list of addresses and networks (CIDR)."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"'{text}' names no address or network")
    for item in items:
        try:
            parse_proxy(item)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return items


def _origins(text: str) -> list[str]:
    """``--cors-origin``: a comma list of origins, or ``*``."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"'{text}' names no origin")
    try:
        return [parse_origin(item) for item in items]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc} (expected scheme://host[:port], e.g. https://app.example.com, or *)"
        ) from None


class _OriginList(argparse.Action):
    """Extend the list of origins; a usage error when ``*`` comes with others."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        items = [*(getattr(namespace, self.dest, None) or []), *(values or [])]
        try:
            parse_origins(items)
        except ValueError as exc:
            parser.error(f"{option_string}: {exc}")
        setattr(namespace, self.dest, items)


def add_proxy_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--trusted-proxy`` and ``--cors-origin`` to ``parser``.

    They give ``args.trusted_proxy`` (addresses and CIDRs, strings) and
    ``args.cors_origin`` (origins as browsers send them, or ``["*"]``), both
    ``[]`` by default: the ``trusted_proxies`` and ``cors_origins`` of
    :func:`~tmf683_falcon.create_app` (``*`` with other origins is a usage
    error).
    """
    group = parser.add_argument_group("behind a proxy, called from browsers")
    group.add_argument(
        "--trusted-proxy",
        action="extend",
        type=_proxies,
        default=[],
        metavar="ADDRESS|CIDR[,...]",
        help="believe Forwarded and X-Forwarded-Proto/-Host/-Prefix/-For from "
        "these TCP peers (reverse proxies) for href, Location, Link and the Host "
        "check; repeat or give a comma list (default: none, the headers are "
        "ignored; --base-url still wins for links)",
    )
    group.add_argument(
        "--cors-origin",
        action=_OriginList,
        type=_origins,
        default=[],
        metavar="ORIGIN[,...]",
        help="let browser pages of this origin (scheme://host[:port]) call the "
        "API, or * for any; repeat or give a comma list (default: none, no CORS "
        "headers)",
    )
