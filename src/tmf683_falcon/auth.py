"""Bearer tokens for the TMF683 routes: an OAuth2 / OIDC resource server (RFC 6750).

Off unless asked for. :class:`BearerAuth` holds what a token must satisfy: signed by a
key of a JWKS (a file, an ``http(s)`` URL or a dict) with RS256 or ES256 (``none``
and every HS* algorithm are refused), the configured ``iss`` and ``aud``, ``exp``
present and not past, ``nbf`` and ``iat`` not ahead (60 s leeway on each), each of
the three a JSON number where present (not a string or a boolean, which PyJWT would
coerce), and the scope the operation needs in ``scope`` (space-separated) or ``scp``
(an array, or a space-separated string): the read scope for
``GET``/``HEAD``/``OPTIONS``, the write scope for everything else
(``POST``/``PATCH``/``DELETE`` of interactions, ``/hub`` registration and removal,
and a listener's ``POST``). PyJWT (with ``cryptography``) does the cryptography and
the claim checks; nothing here verifies a signature.

The keys come from :mod:`tmf683_falcon.jwks` (fetching, caching, outages); the checks
of the claims that need no key (scopes granted, numeric time claims, failure
messages) are in :mod:`tmf683_falcon.claims`.

:class:`BearerMiddleware` applies it to the resources :func:`~tmf683_falcon.mount` and
:func:`~tmf683_falcon.mount_listener` create; the failures are the core's
:class:`~tmf683.AuthenticationError` (401), :class:`~tmf683.InsufficientScopeError`
(403 with an ``insufficient_scope`` challenge), :class:`~tmf683.ForbiddenError` (403:
a party-restricted token on the hub) and :class:`~tmf683.KeysUnavailableError` (503),
mapped to HTTP with the other core errors in :mod:`tmf683_falcon.errors`. A token
never goes into a message or a log line.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import falcon
import jwt
from jwt import PyJWK

from tmf683 import (
    AuthenticationError,
    ForbiddenError,
    InsufficientScopeError,
)
from tmf683_falcon.claims import TIME_CLAIMS as TIME_CLAIMS
from tmf683_falcon.claims import (
    check_time_claims,
    failure_message,
    is_text,
)
from tmf683_falcon.claims import granted_scopes as granted_scopes
from tmf683_falcon.cors import PREFLIGHT_CONTEXT_KEY
from tmf683_falcon.jwks import (
    ALGORITHMS,
    JWKS_LIFESPAN_SECONDS,
    JWKS_TIMEOUT_SECONDS,
    REFETCH_INTERVAL_SECONDS,
    KeySet,
)

DEFAULT_READ_SCOPE = "tmf683:read"
"""The scope ``GET`` and ``HEAD`` need."""
DEFAULT_WRITE_SCOPE = "tmf683:write"
"""The scope ``POST``, ``PATCH`` and ``DELETE`` need (``/hub`` included)."""
LEEWAY_SECONDS = 60
"""Clock skew allowed on ``exp``, ``nbf`` and ``iat``."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that need the read scope; every other one needs the write scope."""

Claims = dict[str, Any]
"""The verified claims of a token."""


class BearerAuth:
    """What a bearer token must satisfy to reach the TMF683 routes.

    Give it to :func:`~tmf683_falcon.create_app`, :func:`~tmf683_falcon.mount` or
    :func:`~tmf683_falcon.mount_listener` as ``auth=``; ``tmf683-server`` builds one
    from ``--jwks``, ``--issuer`` and ``--audience``.

    Args:
        jwks: the issuer's keys: a JWKS file path, an ``http://`` or ``https://``
            URL (e.g. the ``jwks_uri`` of its OIDC discovery document), or the JWKS
            itself as a dict.
        issuer: the ``iss`` every token must carry, exactly.
        audience: the ``aud`` a token must name (one of several if it lists many);
            several here accept any of them.
        read_scope: the scope ``GET``/``HEAD``/``OPTIONS`` need.
        write_scope: the scope every other method needs.
        leeway: seconds of clock skew allowed on ``exp``, ``nbf`` and ``iat``.
        jwks_timeout: seconds a JWKS fetch may take.
        jwks_lifespan: seconds a fetched JWKS is used before it is fetched again.
        refetch_interval: least seconds between two fetches caused by an unknown
            ``kid``.
        party_claim: the claim naming the caller's party, e.g. ``"party_id"``: a
            token whose claim holds a party id sees (lists, counts, retrieves,
            patches, deletes) only the interactions whose ``relatedParty`` holds
            that party, other ones are 404; what it creates or patches may bring
            in no other party and must keep its own, else a 403
            (:class:`~tmf683.PartyRestrictionError`); it may not use the hub
            (events are not filtered by party), a 403
            (:class:`~tmf683.ForbiddenError`, no scope challenge). A token
            without the claim sees every interaction. Default ``None``: no
            restriction.
        clock: monotonic seconds, for the fetch intervals; default
            :func:`time.monotonic`.

    Raises:
        ValueError: ``jwks`` given as a dict holds no usable key, or ``issuer`` or
            ``audience`` is empty.
    """

    def __init__(
        self,
        jwks: str | os.PathLike[str] | Mapping[str, Any],
        *,
        issuer: str,
        audience: str | Sequence[str],
        read_scope: str = DEFAULT_READ_SCOPE,
        write_scope: str = DEFAULT_WRITE_SCOPE,
        leeway: float = LEEWAY_SECONDS,
        jwks_timeout: float = JWKS_TIMEOUT_SECONDS,
        jwks_lifespan: float = JWKS_LIFESPAN_SECONDS,
        refetch_interval: float = REFETCH_INTERVAL_SECONDS,
        party_claim: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        audiences = [audience] if isinstance(audience, str) else list(audience)
        if not issuer or not audiences or not all(audiences):
            raise ValueError("a bearer check needs an issuer and an audience")
        self.issuer = issuer
        self.audiences = audiences
        self.read_scope = read_scope
        self.write_scope = write_scope
        self.leeway = leeway
        self.party_claim = party_claim
        try:
            self._keys = KeySet(
                jwks,
                timeout=jwks_timeout,
                lifespan=jwks_lifespan,
                refetch_interval=refetch_interval,
                clock=clock,
            )
        except jwt.PyJWTError as exc:
            raise ValueError(f"the JWKS given is not usable: {exc}") from exc

    @property
    def jwks(self) -> str:
        """Where the keys come from (a path or URL; never a key)."""
        return self._keys.description

    def load_keys(self) -> None:
        """Fetch the keys now rather than on the first request.

        Raises:
            KeysUnavailableError: the file or URL cannot be read, or holds no JWKS.
        """
        self._keys.load()

    def scope_for(self, method: str) -> str:
        """The scope a request with this method needs."""
        return self.read_scope if method.upper() in SAFE_METHODS else self.write_scope

    def authenticate(self, authorization: str | None) -> Claims:
        """Verify the token of an ``Authorization`` header; return its claims.

        Args:
            authorization: the header's value, ``None`` when absent.

        Returns:
            The verified claims.

        Raises:
            AuthenticationError: no bearer token, or one that fails a check.
            KeysUnavailableError: the keys cannot be fetched to check it.
        """
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationError(
                "send 'Authorization: Bearer <token>' with a token of the issuer "
                f"'{self.issuer}'",
                token_sent=False,
            )
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in ALGORITHMS:
                raise AuthenticationError(
                    "the token's algorithm is not accepted; sign with "
                    + " or ".join(ALGORITHMS),
                    token_sent=True,
                )
            check_time_claims(token)
            kid = header.get("kid")
            keys = self._keys.keys(kid if isinstance(kid, str) else None)
            if not keys:
                raise AuthenticationError(
                    "the token is signed by a key the issuer's key set does not hold",
                    token_sent=True,
                )
            return self._decode(token, algorithm, keys)
        except jwt.PyJWTError as exc:
            raise AuthenticationError(failure_message(exc), token_sent=True) from None

    def _decode(self, token: str, algorithm: str, keys: Iterable[PyJWK]) -> Claims:
        failure: jwt.PyJWTError | None = None
        for key in keys:
            if key.algorithm_name != algorithm:
                continue
            try:
                claims: Claims = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    audience=self.audiences,
                    issuer=self.issuer,
                    leeway=self.leeway,
                    options={"require": ["exp", "iss", "aud"]},
                )
            except jwt.InvalidSignatureError as exc:
                failure = exc  # another key of the set may have signed it
                continue
            return claims
        if failure is None:
            raise AuthenticationError(
                f"the key set holds no {algorithm} key the token may be signed by",
                token_sent=True,
            )
        raise failure

    def authorize(self, claims: Mapping[str, Any], scope: str) -> None:
        """Check that verified claims grant ``scope``.

        Raises:
            InsufficientScopeError: they do not.
        """
        if scope not in granted_scopes(claims):
            raise InsufficientScopeError(scope)

    def check(self, authorization: str | None, method: str) -> Claims:
        """Authenticate, then authorize for ``method``; return the claims."""
        claims = self.authenticate(authorization)
        self.authorize(claims, self.scope_for(method))
        return claims

    def party(self, claims: Mapping[str, Any]) -> str | None:
        """The party verified claims restrict the caller to; ``None`` for none.

        Raises:
            AuthenticationError: the party claim is there but not a non-empty
                string of Unicode text (no NUL, no unpaired surrogate: no stored
                party id holds one).
        """
        if self.party_claim is None or self.party_claim not in claims:
            return None
        value = claims[self.party_claim]
        if not isinstance(value, str) or not value or not is_text(value):
            raise AuthenticationError(
                f"the token's '{self.party_claim}' claim must be a party id (a "
                "non-empty string of Unicode text)",
                token_sent=True,
            )
        return value


CLAIMS_CONTEXT_KEY = "tmf683_claims"
"""Where :class:`BearerMiddleware` leaves the verified claims on ``req.context``."""
PARTY_CONTEXT_KEY = "tmf683_party"
"""Where it leaves the party the caller is restricted to (see ``party_claim``)."""


def request_party(req: falcon.Request) -> str | None:
    """The party a request is restricted to, ``None`` for none."""
    party: str | None = getattr(req.context, PARTY_CONTEXT_KEY, None)
    return party


class BearerMiddleware:
    """Falcon middleware: requests to the given resources need a valid token.

    Runs after routing (``process_resource``), so only the resources given are
    protected, falcon's own 404 for an unknown path is not, and the Error body knows
    its API version. The verified claims go to ``req.context.tmf683_claims``. A
    CORS preflight that :class:`~tmf683_falcon.cors.Cors` marked (an allowed
    origin's) passes without a token.

    Args:
        auth: the token requirements.
        resources: the resource objects to protect.
        partyless: those of them a party-restricted token may not use (the hub).
    """

    def __init__(
        self,
        auth: BearerAuth,
        resources: Iterable[object],
        partyless: Iterable[object] = (),
    ) -> None:
        self.auth = auth
        self._protected = {id(resource) for resource in resources}
        self._partyless = {id(resource) for resource in partyless}

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        params: dict[str, Any],
    ) -> None:
        """Check the token of a request routed to a protected resource."""
        if id(resource) not in self._protected:
            return
        if getattr(req.context, PREFLIGHT_CONTEXT_KEY, False):
            return  # a CORS preflight of an allowed origin: browsers send no token
        claims = self.auth.check(req.get_header("Authorization"), req.method)
        party = self.auth.party(claims)
        if party is not None and id(resource) in self._partyless:
            raise ForbiddenError(
                "a token restricted to one party may not use the hub: its events "
                "are not filtered by party"
            )
        setattr(req.context, CLAIMS_CONTEXT_KEY, claims)
        setattr(req.context, PARTY_CONTEXT_KEY, party)


def protect(
    app: falcon.App[falcon.Request, falcon.Response],
    auth: BearerAuth | None,
    resources: Iterable[object],
    partyless: Iterable[object] = (),
) -> None:
    """Require ``auth`` on ``resources`` of ``app``; nothing when ``auth`` is None.

    ``partyless``: those of ``resources`` a party-restricted token may not use.
    """
    if auth is not None:
        app.add_middleware(BearerMiddleware(auth, resources, partyless))
