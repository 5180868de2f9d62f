"""The signing keys of bearer tokens: one JWKS source, fetched and cached.

A JWKS URL is fetched with a timeout on first use and kept; it is fetched again after
:data:`JWKS_LIFESPAN_SECONDS`, and when a token names a key (``kid``) the set does not
hold, at most once per :data:`REFETCH_INTERVAL_SECONDS` (a file is re-read the same
way, so rotated keys are picked up). A failed refetch keeps the keys already known;
while none was ever fetched, attempts are :data:`UNAVAILABLE_RETRY_SECONDS` apart and
each request in between is a :class:`~tmf683.KeysUnavailableError` whose
``retry_after`` counts the whole seconds to the next attempt. An outage (fetches
failing) is logged once: a WARNING at its first failure, nothing while it lasts, an
INFO when the keys are fetched again. A plain ``http://`` URL to a host other than
loopback is a WARNING when the key set is made: anyone on the path could swap the keys.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from tmf683 import KeysUnavailableError

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "ES256")
"""The signature algorithms accepted; ``none`` and HS* never are."""
JWKS_TIMEOUT_SECONDS = 5.0
"""How long fetching a JWKS URL may take."""
JWKS_LIFESPAN_SECONDS = 300.0
"""How long a fetched key set is used before it is fetched again."""
REFETCH_INTERVAL_SECONDS = 60.0
"""Least time between two fetches caused by a token naming an unknown ``kid``."""
UNAVAILABLE_RETRY_SECONDS = 5.0
"""Least time between two attempts while no key set was ever fetched; the
``Retry-After`` of the 503 answered meanwhile counts down to the next one."""


def is_url(source: object) -> bool:
    """Whether a ``--jwks`` value is an ``http(s)`` URL (else a file path)."""
    return str(source).lower().startswith(("http://", "https://"))


class KeySet:
    """The keys of one JWKS source, fetched lazily and refetched within bounds.

    Args:
        source: a JWKS file path, an ``http(s)`` URL (scheme in any case) or the
            JWKS itself as a dict.
        timeout: seconds a URL fetch may take.
        lifespan: seconds a fetched set is used before it is fetched again.
        refetch_interval: least seconds between two fetches for an unknown ``kid``.
        clock: seconds, monotonic or epoch (only differences are used).

    Raises:
        ValueError: a dict ``source`` that is not a JWKS.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | Mapping[str, Any],
        *,
        timeout: float,
        lifespan: float,
        refetch_interval: float,
        clock: Callable[[], float],
    ) -> None:
        self._fixed: PyJWKSet | None = None
        self._is_file = False
        self._fetch: Callable[[], Any]
        if isinstance(source, Mapping):
            self._fixed = _parse_key_set(dict(source), "the JWKS given")
            self.description = "the JWKS given"
        elif is_url(source):
            client = PyJWKClient(str(source), cache_jwk_set=False, timeout=timeout)
            self._fetch = client.fetch_data
            self.description = _shown_url(str(source))
            if _in_clear_text(self.description):
                log.warning(
                    "the JWKS %s is fetched over plain http from a host that is not "
                    "this machine: anyone on the way can swap the keys and sign "
                    "tokens of their own; use an https URL or a file",
                    self.description,
                )
        else:
            path = Path(source)
            self._fetch = lambda: _read_json(path)
            self._is_file = True
            self.description = str(path)
        self._lifespan = lifespan
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: PyJWKSet | None = self._fixed
        self._fetched_at = -float("inf")
        self._failing = False  # the last fetch failed: an outage, logged once

    def load(self) -> None:
        """Fetch now; raise :class:`~tmf683.KeysUnavailableError` on failure.

        A file's failure is the caller's to report (the server stops on a file it
        cannot read): only a URL's is logged here, as the start of an outage.
        """
        if self._fixed is None:
            with self._lock:
                self._refresh(keep_on_failure=False, quiet=self._is_file)

    def keys(self, kid: str | None) -> list[PyJWK]:
        """The signing keys that may have signed a token naming ``kid``."""
        if self._fixed is not None:
            return _matching(self._fixed, kid)
        with self._lock:
            now = self._clock()
            if self._keys is None:
                wait = UNAVAILABLE_RETRY_SECONDS - (now - self._fetched_at)
                if wait > 0:
                    raise KeysUnavailableError(
                        f"{self.description}: the last attempt failed; retrying "
                        f"at most every {UNAVAILABLE_RETRY_SECONDS:g} s",
                        retry_after=_whole_seconds(wait),
                    )
                self._refresh(keep_on_failure=False)
            elif now - self._fetched_at >= self._lifespan:
                self._refresh(keep_on_failure=True)
            assert self._keys is not None  # noqa: S101 - _refresh raised otherwise
            found = _matching(self._keys, kid)
            if not found and now - self._fetched_at >= self._refetch_interval:
                self._refresh(keep_on_failure=True)
                found = _matching(self._keys, kid)
            return found

    def _refresh(self, *, keep_on_failure: bool, quiet: bool = False) -> None:
        """Fetch the set; on failure keep the known keys or raise (no keys).

        Logs the first failure of an outage as a WARNING and the first success
        after one as an INFO; nothing else.

        Raises:
            KeysUnavailableError: the fetch failed and ``keep_on_failure`` is
                false; ``retry_after`` is the wait before the next attempt.
        """
        self._fetched_at = self._clock()
        try:
            keys = _parse_key_set(self._fetch(), self.description)
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            if not self._failing and not quiet:
                self._failing = True
                log.warning(
                    "the signing keys cannot be fetched from %s (%s); %s; nothing "
                    "more is logged until they are fetched again",
                    self.description,
                    exc,
                    "keeping the known keys"
                    if self._keys is not None
                    else "answering 503 with Retry-After and trying again at most "
                    f"every {UNAVAILABLE_RETRY_SECONDS:g} s",
                )
            if not keep_on_failure:
                raise KeysUnavailableError(
                    f"{self.description}: {exc}",
                    retry_after=_whole_seconds(UNAVAILABLE_RETRY_SECONDS),
                ) from exc
            return
        self._keys = keys
        if self._failing:
            self._failing = False
            log.info("signing keys fetched again from %s", self.description)


def _shown_url(url: str) -> str:
    """``url`` fit for logs and answers: password and query values as ``***``.

    A JWKS URL may carry credentials (``https://user:secret@idp/jwks``,
    ``?token=...``); its description goes to the logs and, in a 503, to clients.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = user.split(":", 1)[0] + ":***@" + host
    query = "&".join(
        f"{item.partition('=')[0]}=***" if "=" in item else "***"
        for item in parts.query.split("&")
        if item
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _whole_seconds(seconds: float) -> int:
    """``seconds`` rounded up to a whole ``Retry-After`` (at least 1)."""
    return max(1, math.ceil(seconds))


def _in_clear_text(url: str) -> bool:
    """Whether ``url`` is plain ``http`` to a host other than loopback."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it is resolved elsewhere, on the way
        return True


def _parse_key_set(data: Any, description: str) -> PyJWKSet:
    if not isinstance(data, dict):
        raise ValueError(f"{description} is not a JSON object with 'keys'")
    return PyJWKSet.from_dict(data)


def _matching(keys: PyJWKSet, kid: str | None) -> list[PyJWK]:
    return [
        key
        for key in keys.keys
        if key.public_key_use in ("sig", None)
        and key.algorithm_name in ALGORITHMS
        and (kid is None or key.key_id == kid)
    ]


def _read_json(path: Path) -> Any:
    """The JSON a key file holds; ``ValueError`` naming the file when it is not."""
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON (a JWKS is): {exc}") from None
