"""The origin a client used, read from proxy headers sent by trusted proxies only.

Behind a reverse proxy (an ingress, an API gateway, a TLS terminator) the request
this server gets names the proxy's view of it: ``http``, an internal host, no
gateway prefix. The proxy says what the client used in ``Forwarded`` (RFC 7239)
or ``X-Forwarded-Proto`` / ``X-Forwarded-Host`` / ``X-Forwarded-Prefix`` (and
``X-Forwarded-For`` for the chain of hops). Anybody can send those headers, so they
are read only when the TCP peer (``REMOTE_ADDR``) is a trusted proxy, and only as
far along the chain as the hops are trusted:

- ``Forwarded``: walking its elements from the right, the rightmost one was added
  by the peer; each ``for=`` names the hop before it. The walk goes on while that
  hop is a trusted proxy; the last element reached (added by the outermost trusted
  proxy, so describing the request the client sent it) gives ``proto`` and
  ``host``. A header that is not valid RFC 7239 syntax is ignored as a whole: a
  lenient parser would let a client's unclosed quote swallow the element its proxy
  appended.
- otherwise ``X-Forwarded-*``: the number of trusted hops *n* is 1 (the peer) plus
  the trusted addresses at the right end of ``X-Forwarded-For``; each of
  ``X-Forwarded-Proto``, ``-Host`` and ``-Prefix`` gives its *n*-th value from the
  right (its first one when it holds fewer: a proxy that sets rather than appends).
  The same *n* is used for ``X-Forwarded-Prefix`` beside ``Forwarded`` (which has
  no prefix parameter).

A value that is not of its form (a scheme other than ``http``/``https``, a host
that is not ``HOST[:PORT]`` in the forms of :func:`tmf683.parse_host_port`, a
prefix that is not an absolute path) is ignored and the request's own value used:
a bad header never fails a request. This works under any WSGI server
(waitress's own ``trusted_proxy`` takes one address, not networks, and answers a
malformed header with 400).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping

import attrs
import falcon

from tmf683 import parse_host_port

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t !-~])*"'
_PAIR = re.compile(rf"[ \t]*({_TCHARS})=({_TCHARS}|{_QUOTED})[ \t]*")
_SPACE = re.compile(r"[ \t]*")
_ESCAPE = re.compile(r"\\([\t !-~])")
_PREFIX = re.compile(r"(?:/(?:[A-Za-z0-9._~!$&'()*+;=:@-]|%[0-9A-Fa-f]{2})+)*")

CONTEXT_KEY = "tmf683_forwarded"
"""Where :class:`ForwardedOrigin` leaves a request's :class:`Forwarding`."""


def parse_forwarded(value: str) -> list[dict[str, str]] | None:
    """Read a ``Forwarded`` header (RFC 7239, section 4).

    Args:
        value: the header's value (repeated header lines joined with ``,``).

    Returns:
        Its elements, left to right, each a dict of parameter name (lower case) ->
        value (quotes and escapes removed); empty elements are skipped. ``None``
        when ``value`` is not of the header's syntax, a parameter repeated in one
        element included. Never raises.
    """
    elements: list[dict[str, str]] = []
    current: dict[str, str] = {}
    pos = 0
    while True:
        pair = _PAIR.match(value, pos)
        if pair is not None:
            name, raw = pair.group(1).lower(), pair.group(2)
            if name in current:
                return None
            current[name] = _ESCAPE.sub(r"\1", raw[1:-1]) if raw[0] == '"' else raw
            pos = pair.end()
        else:
            space = _SPACE.match(value, pos)
            pos = space.end() if space is not None else pos
        if pos >= len(value):
            break
        if value[pos] == ",":
            if current:
                elements.append(current)
            current = {}
        elif value[pos] != ";":
            return None
        pos += 1
    if current:
        elements.append(current)
    return elements


def split_list(value: str | None) -> list[str]:
    """The comma-separated values of a header, stripped; ``[]`` for none."""
    if value is None:
        return []
    return [item.strip() for item in value.split(",")]


def node_address(node: str | None) -> Address | None:
    """The IP address of a hop as ``for=`` or ``X-Forwarded-For`` names it.

    Args:
        node: e.g. ``"192.0.2.7"``, ``"192.0.2.7:4711"``, ``"[2001:db8::1]:80"``,
            ``"2001:db8::1"``; ``"unknown"`` and obfuscated (``_hidden``) nodes
            have none.

    Returns:
        The address (an IPv4-mapped IPv6 one as IPv4), or None.
    """
    if not node:
        return None
    text = node.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        try:
            host, _ = parse_host_port(text)
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def parse_proxy(text: str) -> Network:
    """Read a trusted proxy: an IP address (``[IPv6]`` too) or a network (CIDR).

    Raises:
        ValueError: ``text`` is neither; the message says what is expected.
    """
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        stripped = stripped[1:-1]
    try:
        return ipaddress.ip_network(stripped, strict=False)
    except ValueError:
        raise ValueError(
            f"'{text}' is not an IP address or a network (CIDR, e.g. 10.0.0.0/8)"
        ) from None


class TrustedProxies:
    """The addresses whose proxy headers are believed.

    Args:
        proxies: IP addresses and networks (CIDR), see :func:`parse_proxy`.

    Raises:
        ValueError: an entry is neither.
    """

    def __init__(self, proxies: Iterable[str]) -> None:
        self.networks = tuple(parse_proxy(proxy) for proxy in proxies)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, node: str | None) -> bool:
        """Whether the hop ``node`` (see :func:`node_address`) is a trusted proxy."""
        address = node_address(node)
        return address is not None and any(
            address in network for network in self.networks
        )


@attrs.frozen
class Forwarding:
    """What trusted proxies say of a request; None where they say nothing usable.

    Attributes:
        scheme: ``"http"`` or ``"https"``.
        host: ``HOST[:PORT]``, host lower case, IPv6 in brackets.
        prefix: a path the proxy removed, e.g. ``"/crm"`` (no trailing slash;
            ``""`` for ``/``).
    """

    scheme: str | None = None
    host: str | None = None
    prefix: str | None = None


def _scheme(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    return text if text in ("http", "https") else None


def _host(value: str | None) -> str | None:
    if not value:
        return None
    try:
        host, port = parse_host_port(value.strip())
    except ValueError:
        return None
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _prefix(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().rstrip("/")
    return text if _PREFIX.fullmatch(text) else None


def _nth_from_right(values: list[str], hops: int) -> str | None:
    return values[-min(hops, len(values))] if values else None


def resolve(
    headers: Mapping[str, str], peer: str | None, trusted: TrustedProxies
) -> Forwarding:
    """Read what the trusted proxies in front of a request say of it.

    Args:
        headers: header name (lower case) -> value, for ``forwarded``,
            ``x-forwarded-for``, ``x-forwarded-proto``, ``x-forwarded-host`` and
            ``x-forwarded-prefix`` (absent: not sent).
        peer: the TCP peer's address (``REMOTE_ADDR``).
        trusted: the trusted proxies.

    Returns:
        The :class:`Forwarding`; all None when the peer is not trusted (see the
        module's description for the rules). Never raises.
    """
    if not trusted.trusts(peer):
        return Forwarding()
    elements = parse_forwarded(headers["forwarded"]) if "forwarded" in headers else None
    if elements:
        chosen, hops = elements[-1], 0
        for element in reversed(elements):
            chosen, hops = element, hops + 1
            if not trusted.trusts(element.get("for")):
                break
        scheme, host = _scheme(chosen.get("proto")), _host(chosen.get("host"))
    else:
        hops = 1
        for node in reversed(split_list(headers.get("x-forwarded-for"))):
            if not trusted.trusts(node):
                break
            hops += 1
        scheme = _scheme(
            _nth_from_right(split_list(headers.get("x-forwarded-proto")), hops)
        )
        host = _host(_nth_from_right(split_list(headers.get("x-forwarded-host")), hops))
    prefix = _prefix(
        _nth_from_right(split_list(headers.get("x-forwarded-prefix")), hops)
    )
    return Forwarding(scheme, host, prefix)


_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "X-Forwarded-Prefix",
)


class ForwardedOrigin:
    """Falcon middleware: read trusted proxy headers of requests under a path.

    Runs before the other middleware of a route (add it first): the Host check
    and every link built from the request use :func:`external_origin`.

    Args:
        base_path: the API's route prefix (``""`` for every path).
        trusted: the trusted proxies.
    """

    def __init__(self, base_path: str, trusted: TrustedProxies) -> None:
        self.base_path = base_path
        self.trusted = trusted

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Leave the request's :class:`Forwarding` on ``req.context``."""
        path = req.path.rstrip("/")
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return
        if getattr(req.context, CONTEXT_KEY, None) is not None:
            return
        get: Callable[[str], str | None] = req.get_header
        headers = {
            name.lower(): value for name in _HEADERS if (value := get(name)) is not None
        }
        # not req.remote_addr: falcon makes a missing REMOTE_ADDR 127.0.0.1
        forwarding = resolve(headers, req.env.get("REMOTE_ADDR"), self.trusted)
        setattr(req.context, CONTEXT_KEY, forwarding)


def external_origin(req: falcon.Request) -> tuple[str, str, str]:
    """The scheme, host and path prefix a client used for a request.

    What trusted proxies forwarded (see :class:`ForwardedOrigin`, set up by
    :func:`~tmf683_falcon.create_app` and :func:`~tmf683_falcon.mount` with
    ``trusted_proxies``), else the request's own. ``href``, ``Location``, ``Link``
    and the Host check use it unless a base URL is configured (which then wins).

    Args:
        req: the request.

    Returns:
        ``(scheme, host, prefix)``, e.g. ``("https", "api.example.com",
        "/crm")``: ``host`` is ``HOST[:PORT]`` as the client sent it (the ``Host``
        header), ``prefix`` the forwarded prefix then the app's mount point
        (``SCRIPT_NAME``), ``""`` for none. ``f"{scheme}://{host}{prefix}"`` is
        the server root as the client sees it.
    """
    forwarding: Forwarding = getattr(req.context, CONTEXT_KEY, None) or Forwarding()
    return (
        forwarding.scheme or req.scheme,
        forwarding.host or req.netloc,
        (forwarding.prefix or "") + req.root_path,
    )


def external_root(req: falcon.Request) -> str:
    """``scheme://host{prefix}`` of :func:`external_origin`, e.g. ``https://h/crm``."""
    scheme, host, prefix = external_origin(req)
    return f"{scheme}://{host}{prefix}"


def api_root(req: falcon.Request, base_url: str | None, base_path: str) -> str:
    """The API root as clients reach it, e.g. ``https://h/crm/tmf-api/.../v4``.

    The configured base URL (``--base-url``) when given, else
    :func:`external_root`; then ``base_path``. ``href``, ``Location``, the hub's
    stored root and the served contract's address are all built from it.
    """
    return (base_url or external_root(req)).rstrip("/") + base_path
