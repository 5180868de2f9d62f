"""The claims of a bearer token, read: the checks and messages that need no key.

Which scopes claims grant (``scope`` and ``scp``), whether the time claims are JSON
numbers as RFC 7519 wants (PyJWT would coerce a string or a boolean), whether a claim
is Unicode text, and what a PyJWT failure tells the caller.
:class:`~tmf683_falcon.auth.BearerAuth` verifies tokens with these; nothing here
verifies a signature, and no message holds the token.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jwt

from tmf683 import AuthenticationError

TIME_CLAIMS = ("exp", "nbf", "iat")
"""The claims that must be JSON numbers (RFC 7519 NumericDate) when present."""


def granted_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The scopes a token grants: ``scope`` (space-separated) and ``scp``.

    ``scp`` may be an array of names or a space-separated string; anything else
    grants nothing.
    """
    granted: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(item for item in value if isinstance(item, str))
    return frozenset(granted)


_FAILURES: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired (exp)"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (nbf or iat ahead)"),
    (jwt.InvalidIssuerError, "the token comes from another issuer (iss)"),
    (jwt.InvalidAudienceError, "the token is meant for another audience (aud)"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.DecodeError, "the token is not a well-formed JWT"),
)


def check_time_claims(token: str) -> None:
    """Refuse a token whose ``exp``, ``nbf`` or ``iat`` is there but not a number.

    PyJWT reads them with ``int()``: it would take ``"1700000000"`` or ``true``.
    Read from the unverified payload, before any key is looked up: it only ever
    refuses. A number may be as large as JSON allows (PyJWT compares it exactly);
    ``NaN`` and ``Infinity``, which Python's JSON reader accepts, are not numbers
    here.

    Raises:
        AuthenticationError: naming the first such claim.
        jwt.DecodeError: the payload is not a JSON object.
    """
    payload = jwt.decode(token, options={"verify_signature": False})
    for name in TIME_CLAIMS:
        if name in payload and not _is_numeric_date(payload[name]):
            raise AuthenticationError(
                f"the token's '{name}' claim must be a number (seconds since "
                "1970-01-01T00:00:00Z, RFC 7519 NumericDate)",
                token_sent=True,
            )


def _is_numeric_date(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def failure_message(exc: jwt.PyJWTError) -> str:
    """What a PyJWT failure tells the caller, e.g. ``"the token has expired (exp)"``."""
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token has no '{exc.claim}' claim"
    for cls, message in _FAILURES:
        if isinstance(exc, cls):
            return message
    return "the token is not valid"


def is_text(value: str) -> bool:
    """Whether ``value`` holds neither NUL nor an unpaired surrogate."""
    return "\0" not in value and not any("\ud800" <= c <= "\udfff" for c in value)
