"""The canonical stored document: the v4 PartyInteraction plus one reserved key.

A stored interaction is a v4 document (the shape every store already holds and
indexes: first-level ``status``, ``direction``, ``creationDate``..., ``channel[].id``
and ``relatedParty[].id`` in the side table). What only v5 can say lives under
:data:`V5_KEY`, which v4 output drops and a v4 patch carries over unchanged:

``{"attributes": {...}, "<array>": [{"v4": ..., "v5": ..., "at": 0}, ...]}``

- ``attributes``: the v5 first-level attributes v4 has no name for (``lastUpdate``,
  ``externalIdentifier``, the v5 ``@type``, ``@baseType``, ``@schemaLocation`` and
  extension attributes of a v5 subclass).
- one list per array (``channel``, ``relatedParty``, ``note``, ``attachment``,
  ``interactionItem``, ``interactionRelationship``): for each element a v5 client wrote
  that the default mapping would not give back, the canonical element (``v4``), the
  element as v5 wrote it (``v5``) and its position (``at``). The v5 view shows the
  ``v5`` element where the canonical array holds the ``v4`` element at ``at``; every
  v4 patch re-anchors the pairs to where its elements went (:mod:`.v5match`), so an
  element keeps its own v5 form, with v4's edit, and an element v4 cannot tell from
  another with a different form shows the default mapping. Pairs that a v4 write
  of an earlier release left at old positions are matched the same way on read.

Documents stored before v5 existed have no :data:`V5_KEY`: they are valid canonical
documents as they are (no migration).
"""

from __future__ import annotations

from typing import Any

from tmf683.storage.base import Document

V5_KEY = "_v5"
"""The reserved first-level key of the v5-only data; never shown to a v4 client, and
refused in a v4 or v5 body."""


def v4_part(document: Document) -> Document:
    """Return the canonical document without the v5-only data (what v4 sees).

    Args:
        document: a canonical document.

    Returns:
        A shallow copy without :data:`V5_KEY` (the same object when it has none).
    """
    if V5_KEY not in document:
        return document
    return {k: v for k, v in document.items() if k != V5_KEY}


def with_v5_part(document: Document, v5_part: Any) -> Document:
    """Return ``document`` with the v5-only data ``v5_part`` (left out when empty).

    Args:
        document: a canonical document (its own :data:`V5_KEY` is replaced).
        v5_part: the dict to keep under :data:`V5_KEY`, or ``None``.

    Returns:
        A new document.
    """
    result = v4_part(dict(document))
    if v5_part:
        result[V5_KEY] = v5_part
    return result
