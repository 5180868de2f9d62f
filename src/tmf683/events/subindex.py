"""Which hub subscriptions an event can match, without evaluating them all.

A subscription's query is a TMF630 filter on the envelope; a top-level ``eq``
condition (``eventType=PartyInteractionCreateEvent``,
``event.partyInteraction.status=open``) holds only when the envelope's value at its
path is one of the condition's values. :class:`SubscriptionIndex` files each
subscription under its ``eventType`` condition (or "any type") and then under one
other such condition (its path and values), or in the bucket of those that must be
evaluated whatever the event says (no usable equality). An event then looks up its
own type and its own values at the paths the index knows: the subscriptions found
are the only ones that can match, and the caller still runs the full match
(:meth:`~tmf683.events.envelopes.EventSelector.select`) on each, so what is selected
is exactly what evaluating every subscription selects.

Values are compared as the reference evaluation does
(:func:`tmf683.query.evaluate.typed`: a value takes part only with the attribute's
JSON type; numbers by value, so ``1`` finds ``1.0``). Through arrays, every
element's value is looked up: more candidates than matches at worst, never fewer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tmf683.events.envelopes import EventSelector
from tmf683.query.ast import Condition, Operator, Path, Query, Value
from tmf683.query.evaluate import typed
from tmf683.query.schema import AttributeKind

Entry = tuple[Mapping[str, Any], EventSelector]
"""What the index holds and gives back: a stored subscription and its selector."""

EVENT_TYPE: Path = ("eventType",)
"""The envelope attribute the first level of the index files subscriptions by."""

_Key = tuple[Path, AttributeKind]


def equalities(query: Query) -> list[Condition]:
    """The top-level ``eq`` conditions of a query: each must hold for a match.

    Args:
        query: a parsed subscription query.

    Returns:
        Its clauses that are one ``eq`` condition (not part of a ``;`` OR), in
        query order.
    """
    return [
        clause
        for clause in query.conditions
        if isinstance(clause, Condition) and clause.operator is Operator.EQ
    ]


def values_at(document: Any, path: Path, kind: AttributeKind) -> Iterator[Value]:
    """The values at ``path`` a condition of ``kind`` could compare equal.

    Args:
        document: a JSON value (an envelope).
        path: attribute names, one per level.
        kind: the attribute's kind.

    Returns:
        Every value of the right JSON type at the path; where a step is an array,
        the values inside each of its elements (a superset of what an ``eq``
        condition on that path can see).
    """
    if isinstance(document, list):
        for element in document:
            yield from values_at(element, path, kind)
        return
    if not path:
        value = typed(document, kind)
        if value is not None:
            yield value
        return
    if isinstance(document, Mapping):
        yield from values_at(document.get(path[0]), path[1:], kind)


class _Bucket:
    """The subscriptions of one event type (or of any): by one equality, or not."""

    def __init__(self) -> None:
        self.unkeyed: list[int] = []
        self.keyed: dict[_Key, dict[Value, list[int]]] = {}

    def add(self, position: int, condition: Condition | None) -> None:
        if condition is None:
            self.unkeyed.append(position)
            return
        by_value = self.keyed.setdefault((condition.path, condition.kind), {})
        for value in dict.fromkeys(condition.values):
            by_value.setdefault(value, []).append(position)

    def found(self, envelope: Mapping[str, Any], into: set[int]) -> None:
        into.update(self.unkeyed)
        for (path, kind), by_value in self.keyed.items():
            for value in values_at(envelope, path, kind):
                into.update(by_value.get(value, ()))


class SubscriptionIndex:
    """Subscriptions filed by their ``eventType`` and one other equality condition.

    Args:
        entries: ``(entry, query)`` pairs, in registration order; the entry (a
            subscription and its selector) is what :meth:`candidates` gives back,
            the query what it is filed by.
    """

    def __init__(self, entries: Sequence[tuple[Entry, Query]]) -> None:
        self._items = [item for item, _ in entries]
        self._by_type: dict[Value | None, _Bucket] = {}
        for position, (_, query) in enumerate(entries):
            found = equalities(query)
            types = next((c for c in found if c.path == EVENT_TYPE), None)
            other = next((c for c in found if c.path != EVENT_TYPE), None)
            for event_type in (None,) if types is None else dict.fromkeys(types.values):
                self._by_type.setdefault(event_type, _Bucket()).add(position, other)

    def __len__(self) -> int:
        """How many subscriptions the index holds."""
        return len(self._items)

    def candidates(self, envelope: Mapping[str, Any]) -> list[Entry]:
        """The subscriptions that can select ``envelope``, in registration order.

        Args:
            envelope: an event envelope of the subscriptions' format.

        Returns:
            Every entry whose query could hold on the envelope (each still to be
            matched in full); the others cannot match it.
        """
        found: set[int] = set()
        buckets = [self._by_type.get(None)]
        event_type = typed(envelope.get(EVENT_TYPE[0]), AttributeKind.STRING)
        if event_type is not None:
            buckets.append(self._by_type.get(event_type))
        for bucket in buckets:
            if bucket is not None:
                bucket.found(envelope, found)
        return [self._items[position] for position in sorted(found)]
