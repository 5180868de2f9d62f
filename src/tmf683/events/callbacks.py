"""Which addresses hub callbacks may reach (SSRF protection).

A :class:`CallbackPolicy` says whether an IP address may be connected to for a hub
callback. By default it refuses link-local and metadata addresses (``169.254.0.0/16``,
``fe80::/10``, their IPv4-mapped forms, ``0.0.0.0`` and ``::``); loopback and private
ranges stay allowed (subscribers in a cluster live there). ``deny`` adds networks;
``allow`` (networks or host names), when given, is the only thing let through.

The check runs at registration (:meth:`CallbackPolicy.refusal`, on the literal
address or the addresses the name resolves to now) and again at every delivery on
every address the name resolves to then (:func:`tmf683.events.transport.post_json`
connects to a checked address only, and follows no redirect).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from tmf683._hosts import host_key, parse_host

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALWAYS_DENIED: tuple[Network, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "169.254.0.0/16",  # IPv4 link-local, cloud metadata (169.254.169.254)
        "fe80::/10",  # IPv6 link-local
        "0.0.0.0/32",  # "this host": reaches local services on many systems
        "::/128",
        "fd00:ec2::254/128",  # AWS metadata over IPv6
    )
)
"""Refused whatever the options say (IPv4-mapped IPv6 forms are checked as IPv4)."""


_EMBEDDING_IPV4 = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "64:ff9b::/96",  # NAT64 (RFC 6052): a NAT64 gateway connects to the IPv4
        "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
        "::/96",  # IPv4-compatible (deprecated, RFC 4291)
    )
)


def _plain(address: Address) -> Address:
    """The IPv4 address an IPv6 one embedding it stands for (else ``address``).

    IPv4-mapped (``::ffff:a.b.c.d``), 6to4 (``2002:AABB:CCDD::``), NAT64
    (``64:ff9b::a.b.c.d``), IPv4-translated and IPv4-compatible forms.
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.is_loopback or address.is_unspecified:
        return address
    if any(address in network for network in _EMBEDDING_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def parse_network(text: str) -> Network:
    """A CIDR (or a single address) as a network; ``ValueError`` when it is not."""
    return ipaddress.ip_network(text.strip(), strict=False)


def parse_allow_entry(text: str) -> Network | str:
    """Read an entry of an allow list (``--callback-allow``).

    Args:
        text: a network (``"10.20.0.0/16"``), an IP address (``"10.0.0.7"``,
            ``"::1"``, ``"[::1]"``) or a host name (``"crm.example.com"``; the
            forms of :mod:`tmf683._hosts`: no wildcard, no port, no URL).

    Returns:
        The network (an address: its ``/32`` or ``/128``), or the name in the form
        it is compared in (lower case, no trailing dot).

    Raises:
        ValueError: ``text`` is neither; the message holds it and what is expected,
            e.g. ``'http://x/' is not a network (CIDR) or a host name: it is a URL;
            give the host alone``.
    """
    try:
        return parse_network(text)
    except ValueError:
        pass
    try:
        if "/" in text and "://" not in text:
            raise ValueError("it is not a valid CIDR (ADDRESS/BITS, e.g. 10.0.0.0/8)")
        host = parse_host(text)
    except ValueError as exc:
        raise ValueError(
            f"'{text}' is not a network (CIDR) or a host name: {exc}"
        ) from None
    return host if _literal(host) is None else parse_network(host)


class CallbackPolicy:
    """The addresses hub callbacks may reach.

    Args:
        deny: more networks (CIDR) refused, beside :data:`ALWAYS_DENIED`.
        allow: when given, only callbacks whose host is one of these names, or whose
            every address is in one of these networks, are let through (the default
            refusals still hold).

    Raises:
        ValueError: an entry of ``deny`` is not a CIDR, or one of ``allow`` is not
            read by :func:`parse_allow_entry`.
    """

    def __init__(
        self, deny: Iterable[str] = (), allow: Iterable[str] | None = None
    ) -> None:
        self.deny: tuple[Network, ...] = ALWAYS_DENIED + tuple(
            parse_network(cidr) for cidr in deny
        )
        self.allow_networks: tuple[Network, ...] | None = None
        self.allow_hosts: frozenset[str] = frozenset()
        if allow is not None:
            networks: list[Network] = []
            hosts: set[str] = set()
            for entry in allow:
                parsed = parse_allow_entry(entry)
                if isinstance(parsed, str):
                    hosts.add(parsed)
                else:
                    networks.append(parsed)
            self.allow_networks = tuple(networks)
            self.allow_hosts = frozenset(hosts)

    def address_refusal(self, host: str, address: Address) -> str | None:
        """Why ``address`` (of callback host ``host``) may not be reached, or None."""
        plain = _plain(address)
        for network in self.deny:
            if plain in network or address in network:
                return f"address {address} is in a denied range ({network})"
        if self.allow_networks is not None:
            if host_key(host) in self.allow_hosts:
                return None
            if not any(plain in n or address in n for n in self.allow_networks):
                return f"address {address} is not on the callback allow list"
        return None

    def resolve(self, host: str, port: int) -> list[Address]:
        """The addresses ``host`` stands for now (a literal address: itself).

        Raises:
            OSError: the name does not resolve.
        """
        literal = _literal(host)
        if literal is not None:
            return [literal]
        found: list[Address] = []
        for *_, sockaddr in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        ):
            address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
            if address not in found:
                found.append(address)
        return found

    def checked_addresses(self, host: str, port: int) -> list[Address]:
        """Every address of ``host``, each checked.

        Raises:
            PermissionError: one of them is refused (its reason as the message).
            OSError: the name does not resolve, or to nothing.
        """
        addresses = self.resolve(host, port)
        if not addresses:
            raise OSError(f"{host} resolves to no address")
        for address in addresses:
            reason = self.address_refusal(host, address)
            if reason is not None:
                raise PermissionError(f"callback host {host}: {reason}")
        return addresses

    def literal_refusal(self, url: str) -> str | None:
        """Why a callback whose host is a literal address is refused, or None."""
        host = urlsplit(url).hostname or ""
        literal = _literal(host)
        if literal is None:
            return None
        return self.address_refusal(host, literal)

    def refusal(self, url: str) -> str | None:
        """Why a callback may not be registered, or None (at registration).

        A name that does not resolve now is accepted: it is checked at each
        delivery, on the addresses it resolves to then.
        """
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            self.checked_addresses(host, port)
        except PermissionError as exc:
            return str(exc)
        except (OSError, UnicodeError, ValueError):
            named = host_key(host) in self.allow_hosts
            if self.allow_networks is not None and not named:
                return f"callback host {host} does not resolve to an allowed address"
            return None
        return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return None


DEFAULT_POLICY = CallbackPolicy()
"""Link-local and metadata addresses refused; everything else allowed."""
