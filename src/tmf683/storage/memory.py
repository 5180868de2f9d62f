"""An in-memory store: real and supported, for tests, demos and embedding.

Its list queries use the reference evaluator (:mod:`tmf683.query.evaluate`), so it is
also the oracle the SQL stores are checked against. Nothing survives the process.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence

from tmf683.errors import ConflictError, NotFoundError
from tmf683.query.ast import Query
from tmf683.query.evaluate import select
from tmf683.storage.base import Document, DocumentChange, Page

__all__ = ["MemoryStore"]

_RESOURCE = "PartyInteraction"


class MemoryStore:
    """Keeps documents in a dict, in creation order, behind one lock.

    Implements :class:`tmf683.storage.base.PartyInteractionStore`.
    """

    def __init__(self) -> None:
        self._documents: dict[str, Document] = {}
        self._lock = threading.RLock()

    def add(self, document: Document) -> None:
        """Store a new document; see the protocol. Raises ConflictError."""
        with self._lock:
            if document["id"] in self._documents:
                raise ConflictError(_RESOURCE, document["id"])
            self._documents[document["id"]] = copy.deepcopy(document)

    def add_many(self, documents: Sequence[Document]) -> None:
        """Store several new documents, all or none; see the protocol."""
        with self._lock:
            seen: set[str] = set()
            for document in documents:
                if document["id"] in self._documents or document["id"] in seen:
                    raise ConflictError(_RESOURCE, document["id"])
                seen.add(document["id"])
            for document in documents:
                self._documents[document["id"]] = copy.deepcopy(document)

    def get(self, id: str) -> Document:
        """Read one document; see the protocol. Raises NotFoundError."""
        with self._lock:
            if id not in self._documents:
                raise NotFoundError(_RESOURCE, id)
            return copy.deepcopy(self._documents[id])

    def update(self, id: str, change: DocumentChange) -> Document:
        """Replace a document atomically; see the protocol. Raises NotFoundError."""
        with self._lock:
            current = self.get(id)
            new = change(current)
            self._documents[id] = copy.deepcopy(new)
            return new

    def delete(self, id: str) -> Document:
        """Remove a document; see the protocol. Raises NotFoundError."""
        with self._lock:
            if id not in self._documents:
                raise NotFoundError(_RESOURCE, id)
            return self._documents.pop(id)

    def find(self, query: Query) -> Page:
        """Answer a list query with the reference evaluator; see the protocol."""
        with self._lock:
            page, total = select(list(self._documents.values()), query)
            return Page([copy.deepcopy(dict(doc)) for doc in page], total)

    def close(self) -> None:
        """Forget every document."""
        with self._lock:
            self._documents.clear()
