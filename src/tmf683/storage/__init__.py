"""Stores of PartyInteraction documents, and :func:`open_store` to pick one by location.

Layers: the port (:mod:`tmf683.storage.base`: the protocols, naming the value types
of :mod:`~tmf683.storage.records` and :mod:`~tmf683.storage.outbox`), the stores
(:mod:`~tmf683.storage.memory`, :class:`~tmf683.SQLiteStore`,
:class:`~tmf683.PostgresStore`), and below the two SQL stores the code they share
(``tmf683.storage._sql``: one query compiler, one outbox module, one dialect per
engine).

Store modules are imported on first use, so ``import tmf683`` opens nothing.
"""

from __future__ import annotations

import re
import urllib.parse

from tmf683._errors import StoreConfigurationError
from tmf683.storage.base import DEFAULT_QUERY_TIMEOUT, PartyInteractionStore

_FORMS = "a file path, sqlite:///PATH, postgresql://USER@HOST:PORT/DBNAME or memory:"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_LIBPQ_KEYWORDS = re.compile(r"\s*[a-z_]+\s*=")
"""A libpq keyword/value connection string starts with ``keyword=`` (libpq's
keywords are lowercase letters and underscores)."""
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def safe_location(location: str) -> str:
    """A store location fit for logs and messages: any password replaced by ``***``.

    Args:
        location: a ``--db`` value: a path, ``memory:``, a PostgreSQL URL (password
            in the user part or as ``?password=``) or a libpq keyword string.

    Returns:
        The location with each password masked, e.g.
        ``postgresql://app:***@db:5432/tmf683``.
    """
    text = location.strip()
    if _LIBPQ_KEYWORDS.match(text):
        return _KEYWORD_PASSWORD.sub(r"\1***", text)
    if "://" not in text:
        return location
    parts = urllib.parse.urlsplit(text)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = user.split(":", 1)[0] + ":***@" + host
    query = urllib.parse.urlencode(
        [
            (key, "***" if key == "password" else value)
            for key, value in urllib.parse.parse_qsl(
                parts.query, keep_blank_values=True
            )
        ],
        safe="*",
    )
    return parts._replace(netloc=netloc, query=query).geturl()


def open_store(
    location: str,
    *,
    max_connections: int | None = None,
    sqlite_synchronous: str = "full",
    query_timeout: float | None = DEFAULT_QUERY_TIMEOUT,
) -> PartyInteractionStore:
    """Open the store a location names (the server's ``--db`` and ``TMF683_DB``).

    Args:
        location: ``memory:`` for a :class:`~tmf683.MemoryStore`;
            ``sqlite:///PATH`` or a plain file path for a :class:`~tmf683.SQLiteStore`
            (the file is created when missing; ``sqlite:////abs/path`` is absolute,
            ``sqlite:///rel`` relative); a ``postgresql://`` (or ``postgres://``)
            URL, or a libpq keyword string starting with a keyword such as ``host=``
            or ``dbname=``, for a :class:`~tmf683.PostgresStore` (the database must
            exist; its tables are created on first use).
        max_connections: the most connections a PostgreSQL store's pool opens
            (default 32); the other stores ignore it.
        sqlite_synchronous: a SQLite store's ``synchronous`` (``"full"``, the
            default, or ``"normal"``; see :class:`~tmf683.SQLiteStore`); the other
            stores ignore it.
        query_timeout: the deadline of one list query (and of one patch), in
            seconds (default 5; ``None``: none), on every store; past it the query
            stops with :class:`~tmf683.QueryTimeoutError`.

    Returns:
        The open store.

    Raises:
        StoreConfigurationError: for an empty location or an unknown scheme, a
            database that cannot be opened, or a PostgreSQL URL without the
            ``postgres`` extra installed.
    """
    text = location.strip()
    if not text:
        raise StoreConfigurationError(location, f"is empty; give {_FORMS}")
    if text == "memory:":
        from tmf683.storage.memory import MemoryStore

        return MemoryStore(query_timeout=query_timeout)
    if text.lower().startswith(_POSTGRES_SCHEMES) or _LIBPQ_KEYWORDS.match(text):
        return _open_postgres(text, max_connections or 32, query_timeout)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
        if not text:
            raise StoreConfigurationError(location, "names no file")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreConfigurationError(
            safe_location(location),
            f"scheme '{scheme}' is not supported; give {_FORMS}",
        )
    from tmf683.storage.sqlite import SQLiteStore

    return SQLiteStore(
        text, synchronous=sqlite_synchronous, query_timeout=query_timeout
    )


def _postgres_extra_missing(
    location: str, cause: ImportError
) -> StoreConfigurationError:
    return StoreConfigurationError(
        safe_location(location),
        f"needs the postgres extra ({cause}): pip install 'tmf683[postgres]'",
    )


def _open_postgres(
    url: str, max_connections: int, query_timeout: float | None
) -> PartyInteractionStore:
    try:
        from tmf683.storage.postgres import PostgresStore
    except ImportError as exc:
        raise _postgres_extra_missing(url, exc) from exc
    return PostgresStore(
        url, max_connections=max_connections, query_timeout=query_timeout
    )


def _postgres_stand_in(cause: ImportError) -> type:
    """A ``PostgresStore`` for an install without the ``postgres`` extra.

    The name stays importable (``from tmf683 import *`` works on a core install);
    constructing it raises the error :func:`open_store` gives for a PostgreSQL URL.
    """

    class PostgresStore:
        """Stand-in: the ``postgres`` extra (psycopg) is not installed."""

        def __init__(self, url: str = "", *args: object, **kwargs: object) -> None:
            raise _postgres_extra_missing(str(url), cause)

    return PostgresStore


STORE_CLASSES = ("MemoryStore", "PostgresStore", "SQLiteStore")
"""The store classes :func:`store_class` imports on first use."""


def store_class(name: str) -> type:
    """Import a store class now: each pulls in its driver (sqlite-utils, psycopg).

    Args:
        name: one of :data:`STORE_CLASSES`.

    Returns:
        The class; for ``PostgresStore`` without the ``postgres`` extra, a stand-in
        whose construction raises :class:`~tmf683.StoreConfigurationError`.

    Raises:
        AttributeError: another name (the root's ``__getattr__`` passes it on).
    """
    if name == "MemoryStore":
        from tmf683.storage.memory import MemoryStore

        return MemoryStore
    if name == "PostgresStore":
        try:
            from tmf683.storage.postgres import PostgresStore
        except ImportError as exc:
            return _postgres_stand_in(exc)
        return PostgresStore
    if name == "SQLiteStore":
        from tmf683.storage.sqlite import SQLiteStore

        return SQLiteStore
    raise AttributeError(f"module 'tmf683' has no attribute {name!r}")
