"""Host names, IP addresses and ``HOST:PORT`` values, read one way everywhere.

Every option and list that names a host (``--callback-host``, ``--callback-allow``,
``--allowed-host``, ``--base-url``) reads it here:

- a DNS host name: dot-separated labels of ASCII letters, digits and ``-``, each 1
  to 63 characters, neither starting nor ending with ``-`` (RFC 1123, section 2.1),
  at most 253 characters in all, the last label not all digits (``10.1`` is neither
  a name nor an address). An internationalised name is written in its ASCII
  (``xn--``, punycode) form, as it appears in URLs. One trailing dot (the absolute
  form of the same name) is accepted and dropped. Names compare case-insensitively.
- an IP address: IPv4 in dotted-quad form, or IPv6 (in ``[...]`` brackets when a
  port may follow). Addresses compare in their canonical form (``0:0::1`` is
  ``::1``).

Wildcards (``*.example.com``) are not host names: no list here matches by pattern.
"""

from __future__ import annotations

import ipaddress
import re

MAX_NAME_LENGTH = 253
"""The longest host name, in characters, without its trailing dot (RFC 1035)."""

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
"""One label of a host name (RFC 1123, section 2.1)."""


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address ``text`` is (IPv6 with or without brackets), else None."""
    bracketed = text.startswith("[") and text.endswith("]")
    try:
        address = ipaddress.ip_address(text[1:-1] if bracketed else text)
    except ValueError:
        return None
    if bracketed and address.version != 6:
        return None
    return address


def host_key(host: str) -> str:
    """Return the form a host is compared in.

    Args:
        host: a host name or an IP address, as an option gives it or as
            ``urllib.parse.urlsplit`` reads it from a URL (``hostname``).

    Returns:
        An IP address in canonical form, without brackets (``"::1"``); a name in
        lower case without its trailing dot (``"crm.example.com"``).
    """
    text = host.strip().lower()
    address = _address(text)
    if address is not None:
        return str(address)
    return text.removesuffix(".")


def _shape_problem(text: str) -> str | None:
    """What makes ``text`` more (or less) than a host and port, or None."""
    if not text.strip():
        return "it is empty"
    if any(ch.isspace() for ch in text):
        return "it contains a space"
    if "://" in text:
        return "it is a URL; give the host alone"
    if not text.isascii():
        return (
            "it is not ASCII; write an internationalised name in its xn-- "
            "(punycode) form"
        )
    if "@" in text:
        return "it carries user information (user@)"
    if any(ch in text for ch in "/?#"):
        return "it has a path; give the host alone"
    return None


def _name_problem(text: str) -> str | None:
    """Why ``text`` (no IP address) is not a host name, or None."""
    if "*" in text:
        return "wildcards (*) are not supported; name each host"
    name = text.removesuffix(".")
    if len(name) > MAX_NAME_LENGTH:
        return f"it is longer than {MAX_NAME_LENGTH} characters"
    labels = name.split(".")
    for label in labels:
        if not label:
            return "it has an empty label (a leading dot or two dots in a row)"
        if len(label) > 63:
            return f"its label '{label}' is longer than 63 characters"
        if label.startswith("-") or label.endswith("-"):
            return f"its label '{label}' starts or ends with '-'"
        if not _LABEL.fullmatch(label):
            return (
                f"its label '{label}' holds a character other than letters, "
                "digits and '-'"
            )
    if labels[-1].isdigit():
        return "it is not an IP address, and a host name does not end in digits"
    return None


def parse_host(text: str) -> str:
    """Read a host name or an IP address, without a port.

    Args:
        text: e.g. ``"crm.example.com"``, ``"xn--bcher-kva.example."``,
            ``"10.0.0.7"``, ``"::1"`` or ``"[::1]"``.

    Returns:
        Its :func:`host_key` (``"crm.example.com"``, ``"::1"``).

    Raises:
        ValueError: ``text`` is neither; the message says why (``"it is a URL; give
            the host alone"``), for the caller to put after the value and what it
            expected.
    """
    problem = _shape_problem(text)
    if problem is None and _address(text) is None:
        if text.startswith("["):
            problem = "its brackets do not hold an IPv6 address"
        elif text.count(":") == 1:
            problem = "it has a port; give the host alone"
        elif ":" in text:
            problem = "it is not a valid IPv6 address"
        else:
            problem = _name_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return host_key(text)


def parse_host_port(text: str) -> tuple[str, int | None]:
    """Read ``HOST`` or ``HOST:PORT``, an IPv6 address in brackets (``[::1]:8080``).

    Args:
        text: the value, as in a ``Host`` header or a URL's authority (without
            user information).

    Returns:
        ``(host, port)``: the host's :func:`host_key` and the port (1 to 65535), or
        None without one.

    Raises:
        ValueError: ``text`` is not of that form; the message says why (see
            :func:`parse_host`).
    """
    problem = _shape_problem(text)
    if problem is not None:
        raise ValueError(problem)
    if text.startswith("["):
        inner, closed, rest = text[1:].partition("]")
        if not closed:
            raise ValueError("the '[' of its IPv6 address is not closed")
        host, port = f"[{inner}]", rest
    elif text.count(":") > 1:
        raise ValueError("an IPv6 address goes in brackets, e.g. [::1] or [::1]:8080")
    else:
        host, colon, digits = text.partition(":")
        port = colon + digits
    if port and not port.startswith(":"):
        raise ValueError("only a ':PORT' may follow the ']' of an IPv6 address")
    return parse_host(host), _port(port[1:]) if port else None


def _port(digits: str) -> int:
    """The port ``digits`` stand for, 1 to 65535.

    Raises:
        ValueError: they do not stand for one.
    """
    if not digits:
        raise ValueError("its ':' is followed by no port")
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"its port '{digits}' is not a number")
    port = int(digits)
    if not 1 <= port <= 65535:
        raise ValueError(f"its port {port} is not between 1 and 65535")
    return port
