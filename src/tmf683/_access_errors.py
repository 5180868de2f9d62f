"""Errors of access: a caller who is not known, or who may not do what it asks.

One part of the hierarchy rooted at :class:`~tmf683._errors.Tmf683Error` (the tree is
drawn in :mod:`tmf683._errors`): the bearer-token check of the Falcon adapter and the
party restriction of the core raise these; the adapter answers 401, 403 or 503.
They are public as ``tmf683.AuthenticationError`` and so on.
"""

from __future__ import annotations

from collections.abc import Iterable

from tmf683._errors import Tmf683Error


class AuthenticationError(Tmf683Error, PermissionError):
    """A request without a bearer token, or with one that cannot be trusted.

    Raised by the Falcon adapter's bearer-token check (``tmf683_falcon.BearerAuth``)
    for a missing token, a bad signature, an expired or not yet valid token, or one of
    another issuer or audience. The adapter answers 401 with
    ``WWW-Authenticate: Bearer`` (RFC 6750).

    Args:
        message: what is wrong, e.g. ``"the token has expired"``; never the token.
        token_sent: whether the request carried a bearer token at all (RFC 6750
            then names the error ``invalid_token``).

    Attributes:
        message: as given.
        token_sent: as given.
    """

    def __init__(self, message: str, *, token_sent: bool) -> None:
        self.message = message
        self.token_sent = token_sent
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class KeysUnavailableError(Tmf683Error, OSError):
    """The signing keys (JWKS) cannot be fetched now, so no token can be checked.

    Nothing was done; retrying later is safe (the adapter answers 503, with
    ``Retry-After`` when ``retry_after`` is known).

    Args:
        message: why, e.g. the fetch error; never a token.
        retry_after: whole seconds until the keys are fetched again (the next
            attempt of the key set), ``None`` when unknown.

    Attributes:
        message, retry_after: as given.
    """

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)

    def __str__(self) -> str:
        return f"the signing keys cannot be fetched now: {self.message}"


class ForbiddenError(Tmf683Error, PermissionError):
    """A caller known to be who it says, who may not do this (HTTP 403 ``forbidden``).

    Raised as such when asking for more scope would not help, e.g. a token
    restricted to one party on the hub; its subclasses say why more precisely. The
    adapter answers 403 with no ``WWW-Authenticate`` challenge, except for
    :class:`InsufficientScopeError`.

    Args:
        message: what is refused and why; never a token.

    Attributes:
        message: as given.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class InsufficientScopeError(ForbiddenError):
    """A valid token that does not grant the scope the operation needs.

    The adapter answers 403 with ``WWW-Authenticate: Bearer
    error="insufficient_scope"`` (RFC 6750): a token with the scope would pass.

    Args:
        scope: the scope needed, e.g. ``"tmf683:write"``.
        message: why, when not simply the missing scope.

    Attributes:
        scope: as given.
        message: as given, or the default naming ``scope``.
    """

    def __init__(self, scope: str, message: str | None = None) -> None:
        self.scope = scope
        super().__init__(
            message
            or f"the token does not grant the scope '{scope}' this operation "
            "needs; ask the issuer for a token with it"
        )


class PartyRestrictionError(ForbiddenError):
    """A write by a caller restricted to one party that brings in another or drops it.

    A caller restricted to party ``P`` (``party=P``; over HTTP a token with the
    ``--party-claim``) may create and patch only interactions that keep ``P`` in
    ``relatedParty`` and name no other party it did not find there. Nothing was
    written and no event raised (the adapter answers 403 ``forbidden``, with no
    ``WWW-Authenticate`` challenge: no scope would allow it).

    Args:
        party: the caller's party id, e.g. ``"P1"``.
        others: the party ids the write would bring in, in the order they appear;
            empty when only ``P`` is missing.
        missing: whether the result holds no ``relatedParty`` element of ``P``.

    Attributes:
        party, others, missing: as given.
        message: what the write may not do, naming the parties.
    """

    def __init__(
        self, party: str, others: Iterable[str] = (), *, missing: bool = False
    ) -> None:
        self.party = party
        self.others: tuple[str, ...] = tuple(others)
        self.missing = missing
        super().__init__(str(self))

    def __str__(self) -> str:
        found = []
        if self.others:
            named = ", ".join(f"'{other}'" for other in self.others)
            found.append(f"may not write other parties into relatedParty ({named})")
        if self.missing:
            found.append(
                f"must name itself: an element with id '{self.party}' in relatedParty "
                "(v5: relatedParty[].partyOrPartyRole.id)"
            )
        return (
            f"a caller restricted to party '{self.party}' "
            + " and ".join(found)
            + "; nothing was written"
        )
