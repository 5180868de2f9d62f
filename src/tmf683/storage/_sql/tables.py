"""The tables and constants both SQL stores share (their layout, not their types).

Identifiers here are the whitelists SQL text is built from: nothing a client sends
ever becomes part of the SQL text.
"""

from __future__ import annotations

import re

from tmf683.query.ast import Path

TABLE = "party_interaction"
"""One row per document: ``seq`` (creation order), ``id`` (unique), ``document``."""

SUBSCRIPTIONS = "event_subscription"
"""The hub subscriptions: ``seq`` (registration order), ``id``, ``document``."""

GENERATION = "event_subscription_generation"
"""One row, one column ``generation``: moved by triggers on every change of
:data:`SUBSCRIPTIONS`, so a publisher knows when to read them again."""

DELIVERIES = "event_delivery"
"""The transactional outbox: one row per event and subscriber until delivered."""

DELIVERY_HEADS = "event_delivery_head"
"""The head of each callback with pending deliveries, kept by triggers on
:data:`DELIVERIES`, so the due lookup reads the heads that are due rather than
probing every callback. SQLite: its oldest pending delivery, ``(callback, seq,
next_attempt_at)``; PostgreSQL: ``(callback, next_attempt_at)``, a time no later
than that delivery's (``tmf683.storage.postgres._outbox``)."""

DELIVERY_COLUMNS = (
    "id, subscription_id, callback, event, attempts, next_attempt_at, state, last_error"
)
"""The outbox columns, in the order of :class:`~tmf683.storage.base.Delivery`."""

INDEXED_COLUMNS = frozenset(
    {"status", "direction", "creation_date", "interaction_start"}
)
"""The generated columns with an index (the others save the JSON extraction only;
their paths, and every other, go through the leaf index,
:mod:`tmf683.storage._sql.leaves`)."""

COLUMNS: dict[Path, str] = {
    ("id",): "id",
    ("status",): "status",
    ("direction",): "direction",
    ("creationDate",): "creation_date",
    ("statusChangeDate",): "status_change_date",
    ("interactionDate", "startDateTime"): "interaction_start",
    ("interactionDate", "endDateTime"): "interaction_end",
}
"""First-level text attributes with a generated column of their own."""

UPGRADE_IN_PLACE = "%s: upgrading the schema from version %d to %d in place"
"""Logged (warning) by a store before an upgrade that builds no index from the
stored documents: database, from and to version."""

UPGRADE_MESSAGE = (
    UPGRADE_IN_PLACE + "; the indexes are built from the stored documents, which "
    "can take minutes on a large database"
)
"""Logged (warning) by both stores before an upgrade: database, from and to version."""

SELECTIVE_MATCHES = 20_000
"""Up to this many matches, a page is collected through the filter's indexes first
(the stores' ``selective_matches`` default)."""

SURROGATE = re.compile("[\ud800-\udfff]")
"""An unpaired surrogate: not Unicode text, so no database stores it as UTF-8."""

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""Characters PostgreSQL text cannot hold: NUL (``jsonb`` refuses it) and unpaired
surrogates (not Unicode text; PostgreSQL cannot receive them)."""
