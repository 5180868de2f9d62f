"""The one exception hierarchy of tmf683.

Every error the core raises on purpose derives from :class:`Tmf683Error`. Each class
also mixes in the builtin it resembles, so ``except LookupError`` keeps working in code
that does not know tmf683. The core knows nothing of HTTP: the Falcon adapter maps these
classes to status codes in one table (``tmf683_falcon.errors``).

::

    Tmf683Error
    ├── ValidationError (ValueError)         bad input: a list of (JSON path, message)
    │   ├── InvalidQueryError                a query parameter that does not parse
    │   └── PatchConflictError               a JSON Patch that does not apply here
    ├── PathError (ValueError)               an attribute path the query schema refuses
    ├── RegexError (ValueError)              a .regex pattern RE2 refuses or too long
    ├── NotFoundError (LookupError)          no resource with that id
    ├── ConflictError                        the id exists already
    ├── PreconditionFailedError              at another version than a write expected
    ├── SubscriptionLimitError               the hub holds as many as it may
    ├── StoreConfigurationError (ValueError) a --db value no store understands
    ├── StoreUnavailableError (OSError)      the database cannot be reached now
    ├── QueryTimeoutError                    a list query or patch past its deadline
    ├── AuthenticationError (PermissionError) no bearer token, or one not to trust
    ├── ForbiddenError (PermissionError)     a known caller who may not do this
    │   ├── InsufficientScopeError           a valid token without the scope
    │   └── PartyRestrictionError            a party's write of another party
    ├── KeysUnavailableError (OSError)       the signing keys cannot be fetched now
    ├── DeliveryTokenError (OSError)         no usable token in the delivery token file
    └── DeliveryError (OSError)              a subscriber did not accept an event

An error that knows when retrying may succeed says so in :attr:`Tmf683Error.retry_after`
(whole seconds; the adapter sends it as ``Retry-After``).

This module defines the root and every error but those of access: the errors of who
may call and do what (``AuthenticationError``, ``ForbiddenError`` and its subclasses,
``KeysUnavailableError``) live in :mod:`tmf683._access_errors`. All are public in
``tmf683``.
"""

from __future__ import annotations

from collections.abc import Iterable

Problem = tuple[str, str]
"""One validation finding, ``(json_path, message)``, e.g. ``("$.channel[0].id",
"is required")``."""


class Tmf683Error(Exception):
    """Root of every error tmf683 raises on purpose.

    Attributes:
        retry_after: whole seconds after which the same call may succeed, when the
            error knows (a dependency that is down and retried on a schedule);
            ``None`` (the default) when it does not, or when retrying will not help.
    """

    retry_after: int | None = None


class ValidationError(Tmf683Error, ValueError):
    """A document or request that breaks the TMF683 rules.

    Args:
        problems: the findings, each ``(json_path, message)``; at least one.

    Attributes:
        problems: the findings in the order they were found.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            self.problems = (("$", "is invalid"),)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "; ".join(f"{path} {message}" for path, message in self.problems)


class InvalidQueryError(ValidationError):
    """A query string parameter that cannot be applied (TMF630 Part 1, filtering).

    Args:
        parameter: the parameter as the client sent it, e.g. ``"limit"`` or
            ``"relatedParty.id"``.
        message: what is wrong and how to fix it.

    Attributes:
        parameter: the offending parameter.
    """

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__([(parameter, message)])

    def __str__(self) -> str:
        return f"query parameter '{self.parameter}' {self.problems[0][1]}"


class PatchConflictError(ValidationError):
    """A well-formed JSON Patch that cannot be applied to the resource as it is now.

    A failing ``test``, a path or ``from`` that leads nowhere in the document, or a
    JSON Patch Query selecting no element (RFC 6902 section 5, RFC 5789 section 2.2
    "conflicting state"; the Falcon adapter answers 409). A malformed patch is a plain
    :class:`ValidationError`. Nothing is stored either way.

    Args:
        problems: the findings, each ``("$[index].path", message)`` naming the
            operation, e.g. ``("$[2].path", "test failed: ...")``.
    """


class PathError(Tmf683Error, ValueError):
    """A dotted attribute path that leads nowhere comparable in a query schema.

    Raised by :func:`tmf683.query.schema.resolve`; the query parser turns it into
    an :class:`~tmf683._errors.InvalidQueryError` naming the parameter. The message
    completes "the path ...", e.g. ``"ends at 'channel', an array of objects; ..."``.
    """


class RegexError(Tmf683Error, ValueError):
    """A ``.regex`` pattern that RE2 cannot compile, or one that is too long.

    Raised by :func:`tmf683.query.regex.compile_pattern`; the query parser turns it
    into an :class:`~tmf683._errors.InvalidQueryError`. The message completes "the
    pattern ...", e.g. ``"is longer than 256 characters"``.
    """


class NotFoundError(Tmf683Error, LookupError):
    """No resource of that kind has that id.

    Args:
        resource: the resource name, e.g. ``"PartyInteraction"``.
        id: the identifier that was looked up.
    """

    def __init__(self, resource: str, id: str) -> None:
        self.resource = resource
        self.id = id
        super().__init__(str(self))

    def __str__(self) -> str:
        hint = (
            "; list them to find valid ids"
            if self.resource == "PartyInteraction"
            else ""
        )
        return f"no {self.resource} with id '{self.id}'{hint}"


class ConflictError(Tmf683Error):
    """The store already holds a resource with that id.

    Args:
        resource: the resource name.
        id: the identifier that is taken.
    """

    def __init__(self, resource: str, id: str) -> None:
        self.resource = resource
        self.id = id
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"a {self.resource} with id '{self.id}' exists already"


class PreconditionFailedError(Tmf683Error):
    """A conditional write found the resource at another version (optimistic locking).

    Raised by a ``patch`` or ``delete`` given ``if_match`` (the store's
    ``expected_version``) when the stored version is not one of those given: someone
    wrote it since it was read. Nothing was written; read it again, redo the change
    and retry with the new version (HTTP: 412 Precondition Failed).

    Args:
        resource: the resource name, e.g. ``"PartyInteraction"``.
        id: its identifier.
        version: the version stored now.
    """

    def __init__(self, resource: str, id: str, version: int) -> None:
        self.resource = resource
        self.id = id
        self.version = version
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"{self.resource} '{self.id}' has changed: it is at version "
            f"{self.version}, not at the version given; read it again, redo the "
            "change and retry with the new version"
        )


class SubscriptionLimitError(Tmf683Error):
    """The hub holds as many subscriptions as it may (``--max-subscriptions``).

    Args:
        limit: the most subscriptions the hub keeps.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"the hub holds {self.limit} subscriptions, the most it takes; "
            "remove one first"
        )


class StoreConfigurationError(Tmf683Error, ValueError):
    """A store location (``--db`` or ``TMF683_DB``) that no store understands.

    Args:
        location: the value given.
        message: what is wrong and which forms are understood.
    """

    def __init__(self, location: str, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"store location '{self.location}': {self.message}"


class StoreUnavailableError(Tmf683Error, OSError):
    """The store's database cannot be reached now; the operation did not happen.

    Raised by :class:`~tmf683.storage.postgres.PostgresStore` when its connection
    breaks (the database restarted or is down) or no pooled connection frees up in
    time. Nothing was written; retrying later is safe.

    Args:
        message: what went wrong, from the database driver.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return f"the store is unavailable: {self.message}"


class QueryTimeoutError(Tmf683Error):
    """A list query, or a patch, ran past its deadline and was stopped.

    Nothing was changed.

    Raised by the SQL stores' ``find`` (``query_timeout``; tmf683-server
    ``--query-timeout``), and by a JSON Patch Query whose filters take longer than
    the same deadline (``patch=True``). The same query will take as long again:
    narrow it (fewer or cheaper conditions, a ``regex`` on fewer rows).

    Args:
        seconds: the deadline that passed.
        patch: a patch ran past it, not a list query.
    """

    def __init__(self, seconds: float, *, patch: bool = False) -> None:
        self.seconds = seconds
        self.patch = patch
        super().__init__(seconds)

    def __str__(self) -> str:
        if self.patch:
            return (
                f"the patch ran past its deadline of {self.seconds:g} s and was "
                "stopped; nothing was stored: split it, or select fewer elements "
                "with cheaper filters"
            )
        return (
            f"the query ran past its deadline of {self.seconds:g} s and was stopped; "
            "narrow it (fewer or cheaper conditions, a regex over fewer interactions)"
        )


class DeliveryTokenError(Tmf683Error, OSError):
    """The delivery token file holds no usable bearer token, so none can be sent.

    Raised by :class:`~tmf683.events.token.TokenFile` when it is created
    (``--delivery-token-file``): the file is missing or unreadable, empty, or holds
    something that is not one RFC 6750 token. ``tmf683-server`` and
    ``tmf683-dispatcher`` then exit with status 2. Once started, a file that goes
    away or goes bad only keeps the last good token (a warning is logged).

    Args:
        path: the file, as given.
        message: what is wrong, e.g. ``"is empty"``; never the file's text.

    Attributes:
        path, message: as given.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"delivery token file '{self.path}' {self.message}; it must hold one "
            "bearer token on one line"
        )


class DeliveryError(Tmf683Error, OSError):
    """A subscriber did not accept an event (TMF630 Part 2 notifications).

    Raised by :func:`~tmf683.events.transport.post_json` (another status, a refused
    connection, no answer in time); a dispatcher ``post`` of your own raises it too.
    The dispatcher counts it as one failed attempt and retries later.

    Args:
        message: why, e.g. ``"HTTP 503"`` or ``"no answer within 10 s"``; it is the
            delivery's ``last_error``.
    """
