"""Stores of PartyInteraction documents, and :func:`open_store` to pick one by location.

Store modules are imported on first use, so ``import tmf683`` opens nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tmf683.errors import StoreConfigurationError
from tmf683.storage.base import Document, DocumentChange, Page, PartyInteractionStore

if TYPE_CHECKING:
    from tmf683.storage.memory import MemoryStore
    from tmf683.storage.postgres import PostgresStore
    from tmf683.storage.sqlite import SQLiteStore

__all__ = [
    "Document",
    "DocumentChange",
    "MemoryStore",
    "Page",
    "PartyInteractionStore",
    "PostgresStore",
    "SQLiteStore",
    "open_store",
]

_FORMS = "a file path, sqlite:///PATH, postgresql://USER@HOST:PORT/DBNAME or memory:"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(location: str) -> PartyInteractionStore:
    """Open the store a location names (the server's ``--db`` and ``TMF683_DB``).

    Args:
        location: ``memory:`` for a :class:`MemoryStore`; ``sqlite:///PATH`` or a
            plain file path for a :class:`SQLiteStore` (the file is created when
            missing; ``sqlite:////abs/path`` is absolute, ``sqlite:///rel`` relative);
            a ``postgresql://`` (or ``postgres://``) URL for a :class:`PostgresStore`
            (the database must exist; its tables are created on first use).

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

        return MemoryStore()
    if text.startswith(_POSTGRES_SCHEMES):
        return _open_postgres(text)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
        if not text:
            raise StoreConfigurationError(location, "names no file")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreConfigurationError(
            location, f"scheme '{scheme}' is not supported; give {_FORMS}"
        )
    from tmf683.storage.sqlite import SQLiteStore

    return SQLiteStore(text)


def _open_postgres(url: str) -> PartyInteractionStore:
    try:
        from tmf683.storage.postgres import PostgresStore
    except ImportError as exc:
        raise StoreConfigurationError(
            url.split("@")[-1],
            f"needs the postgres extra ({exc}): pip install 'tmf683[postgres]'",
        ) from exc
    return PostgresStore(url)


def __getattr__(name: str) -> object:
    if name == "MemoryStore":
        from tmf683.storage.memory import MemoryStore

        return MemoryStore
    if name == "PostgresStore":
        from tmf683.storage.postgres import PostgresStore

        return PostgresStore
    if name == "SQLiteStore":
        from tmf683.storage.sqlite import SQLiteStore

        return SQLiteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
