"""The HTTP transport of hub events: one JSON POST, bounded in time, no redirects.

A delivery goes straight to the callback's host and port, never through a proxy of
the environment (``http_proxy``, ``https_proxy``, ``all_proxy``): the callback policy
checks the address connected to, so nothing may stand between the check and it.

:func:`post_json` is the dispatcher's default way to send an event
(:class:`~tmf683.events.dispatch.Dispatcher` ``post``). It knows nothing of
scheduling or retries: it sends once and says whether the subscriber accepted.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tmf683._errors import DeliveryError
from tmf683.events.callbacks import CallbackPolicy
from tmf683.events.token import is_bearer_token

Post = Callable[[str, dict[str, Any], float], None]
"""Sends one event, as ``post(url, event, timeout_seconds)``; raises DeliveryError
when the subscriber does not accept it (default :func:`post_json`)."""


class CallbackRefused(DeliveryError):
    """The callback's host stands for an address the callback policy refuses."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Treat a redirect as a failed attempt.

    Following it would turn the POST into a GET without the event (losing it) and
    reach a host the allowlist never saw.
    """

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Sockets:
    """The sockets of one exchange, to cut them when its time is up."""

    def __init__(self, addresses: list[str] | None = None) -> None:
        self.opened: list[socket.socket] = []
        self.expired = False
        self.addresses = addresses  # the checked addresses to connect to, if any

    def cut(self) -> None:
        self.expired = True
        for sock in self.opened:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def recording(
        self, base: type[http.client.HTTPConnection]
    ) -> type[http.client.HTTPConnection]:
        """``base`` (HTTP or HTTPS connection) noting each socket it opens here."""
        sockets = self

        class Connection(base):  # type: ignore[valid-type,misc]
            def connect(self) -> None:
                if sockets.addresses is None:
                    super().connect()
                else:  # checked addresses; Host header and TLS name stay the URL's
                    sock = _connect(sockets.addresses, self.port, self.timeout)
                    if isinstance(self, http.client.HTTPSConnection):
                        sock = self._context.wrap_socket(
                            sock, server_hostname=self.host
                        )
                    self.sock = sock
                sockets.opened.append(self.sock)

        return Connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self.connection = sockets.recording(http.client.HTTPConnection)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self.connection = sockets.recording(http.client.HTTPSConnection)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req)


def post_json(
    url: str,
    event: dict[str, Any],
    timeout: float,
    *,
    policy: CallbackPolicy | None = None,
    token: str | None = None,
) -> None:
    """POST an event as JSON and require a 2xx answer within ``timeout`` in all.

    The time covers connecting, sending and reading the answer's status and headers:
    a subscriber that answers a byte at a time is cut off when it is up, so an
    attempt never outlasts it (a dispatcher on PostgreSQL holds the delivery's lock
    meanwhile). A redirect is a failure, never followed (TMF630 Part 2 notifications
    go to the registered callback only). The connection goes directly to the
    callback's host and port, with an origin-form request line: ``http_proxy``,
    ``https_proxy`` and ``all_proxy`` are ignored.

    Args:
        url: the callback, as registered.
        event: the event envelope; sent as UTF-8 JSON, non-ASCII unescaped.
        timeout: seconds for the whole exchange.
        policy: when given, the callback's host is resolved here, every address
            it resolves to is checked, and the connection goes to the first of them
            that answers (the ``Host`` header and the TLS server name stay the
            URL's), so a name that resolves elsewhere after the check cannot lead
            past it.
        token: when given, sent as ``Authorization: Bearer <token>`` (RFC 6750),
            for a listener that requires one; it never goes into an error message.

    Raises:
        DeliveryError: another status (3xx included; a listener refusing the
            token answers 401 or 403), a refused connection, a broken answer, a
            timeout, or a ``token`` that is not an RFC 6750 token (nothing is
            sent); its message says which.
            :class:`CallbackRefused` when ``policy`` refuses an address.
    """
    headers = {"Content-Type": "application/json;charset=utf-8"}
    if token is not None:
        if not is_bearer_token(token):  # a bad header would echo it in an error
            raise DeliveryError("not sent: the bearer token is not an RFC 6750 token")
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - registered http(s) callbacks only
        url,
        data=json.dumps(event, ensure_ascii=False).encode(),
        headers=headers,
        method="POST",
    )
    sockets = _Sockets(_checked_addresses(url, policy))
    opener = urllib.request.build_opener(
        # no proxy: build_opener's default ProxyHandler() takes one from the
        # environment and sends the request there, in absolute form
        urllib.request.ProxyHandler({}),
        _NoRedirects,
        _HTTPHandler(sockets),
        _HTTPSHandler(sockets),
    )
    deadline = threading.Timer(timeout, sockets.cut)
    deadline.daemon = True
    deadline.start()
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from exc
    except Exception as exc:
        if sockets.expired:
            raise DeliveryError(f"no answer within {timeout:g} s") from exc
        raise DeliveryError(
            str(getattr(exc, "reason", exc)) or type(exc).__name__
        ) from exc
    finally:
        deadline.cancel()
    if sockets.expired:  # the answer ended when its connection was cut: incomplete
        raise DeliveryError(f"no answer within {timeout:g} s")
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


def _connect(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error


def _checked_addresses(url: str, policy: CallbackPolicy | None) -> list[str] | None:
    """The addresses to connect to for ``url`` under ``policy`` (None: no policy)."""
    if policy is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return [str(a) for a in policy.checked_addresses(host, port)]
    except PermissionError as exc:
        raise CallbackRefused(f"not sent: {exc}") from exc
    except (OSError, UnicodeError, ValueError) as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc}") from exc
