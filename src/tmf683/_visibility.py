"""Restrict the interactions a caller sees to those of one party.

A caller restricted to party ``P`` (the adapter takes ``P`` from a token claim) sees
only the interactions whose ``relatedParty`` holds an element with ``id`` ``P`` (v5:
``relatedParty.partyOrPartyRole.id``, the same stored data). The restriction is one
more clause of the canonical query AST, so every store runs it in its own query
language on list (the count too), and the reference evaluator checks it on the
document a retrieve, patch or delete reads, inside the write's transaction. Others
are answered as if they did not exist (:class:`~tmf683.NotFoundError`), so ids do not
leak.

Such a caller may not write other parties in either (:func:`check_party_write`): a
create must name only ``P`` and name it, a patch may bring in no party but ``P`` and
must keep ``P``; otherwise :class:`~tmf683.PartyRestrictionError`, before anything is
stored. The check reads the canonical document, so it is the same for v4 and v5.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs

from tmf683._access_errors import PartyRestrictionError
from tmf683._errors import NotFoundError, PreconditionFailedError
from tmf683.query.ast import AnyOf, Condition, Operator, Query
from tmf683.query.evaluate import matches
from tmf683.storage.base import DocumentStore, Outbox

RESOURCE = "PartyInteraction"


def party_clause(party: str) -> AnyOf:
    """The filter clause "some ``relatedParty`` element has ``id`` ``party``".

    An :class:`~tmf683.query.ast.AnyOf` of one condition is planned on its own, so
    it does not share an array element with the caller's own ``relatedParty``
    conditions (``relatedParty.role=customer`` still means any customer).
    """
    return AnyOf(
        (
            Condition(
                path=("relatedParty", "id"),
                operator=Operator.EQ,
                values=(party,),
                arrays=(0,),
                parameter="relatedParty.id",
            ),
        )
    )


def restrict(query: Query, party: str | None) -> Query:
    """``query`` ANDed with :func:`party_clause`; unchanged for ``None``."""
    if party is None:
        return query
    return attrs.evolve(query, conditions=(*query.conditions, party_clause(party)))


def check_visible(document: Mapping[str, Any], party: str | None) -> None:
    """Raise :class:`~tmf683.NotFoundError` unless ``party`` may see ``document``.

    Args:
        document: a stored (canonical) document.
        party: the caller's party, ``None`` for an unrestricted caller.
    """
    if party is not None and not matches(document, (party_clause(party),)):
        raise NotFoundError(RESOURCE, str(document.get("id", "")))


def _party_ids(document: Mapping[str, Any]) -> list[str]:
    """The ``id`` of every ``relatedParty`` element that has one, in order."""
    related = document.get("relatedParty")
    if not isinstance(related, list):
        return []
    return [
        element["id"]
        for element in related
        if isinstance(element, Mapping) and element.get("id") is not None
    ]


def check_party_write(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], party: str | None
) -> None:
    """Raise :class:`~tmf683.PartyRestrictionError` if ``party`` may not write this.

    A caller restricted to ``party`` may write a document only if every
    ``relatedParty`` id in ``after`` is ``party`` or was in ``before`` already (on a
    create, with no ``before``: every id is ``party``), and ``after`` is visible to
    ``party`` (:func:`check_visible`'s rule), so it can neither plant an interaction
    in another party's list nor hide one from itself.

    Args:
        before: the stored (canonical) document a patch changes; ``None`` for a
            create.
        after: the canonical document to store (v5 writes: after the mapping, so
            ``relatedParty[].partyOrPartyRole.id`` is ``relatedParty[].id`` here).
        party: the caller's party; ``None`` for an unrestricted caller (nothing is
            checked).

    Raises:
        PartyRestrictionError: naming the party ids brought in, and whether
            ``party`` is missing; called before the store writes, so nothing is.
    """
    if party is None:
        return
    known = set(_party_ids(before)) if before is not None else set()
    known.add(party)
    others = list(dict.fromkeys(i for i in _party_ids(after) if i not in known))
    missing = not matches(after, (party_clause(party),))
    if others or missing:
        raise PartyRestrictionError(party, [str(i) for i in others], missing=missing)


def guarded(outbox: Outbox, party: str | None) -> Outbox:
    """An outbox that first checks the document removed or replaced is visible.

    The stores call the outbox inside the write's transaction with the document as
    it was, so a delete of an interaction ``party`` may not see raises
    :class:`~tmf683.NotFoundError` there and nothing is written.
    """
    if party is None:
        return outbox

    def check(old: Any, new: Any) -> Any:
        if old is not None:  # pragma: no branch - a delete or update has a document
            check_visible(old, party)
        return outbox(old, new)

    return check


@contextmanager
def precondition_hidden(
    store: DocumentStore, id: str, party: str | None
) -> Iterator[None]:
    """Turn a refused ``If-Match`` on a hidden interaction into a not-found.

    Around a conditional write: a 412 on an interaction ``party`` may not see is a
    :class:`~tmf683.NotFoundError`, as without ``If-Match`` (ids do not leak).

    The store checks the version before the document is handed to the visibility
    check, so a refused ``If-Match`` is looked at again here.

    Raises:
        NotFoundError: the interaction is gone, or ``party`` may not see it.
        PreconditionFailedError: as raised, for an interaction ``party`` may see.
    """
    try:
        yield
    except PreconditionFailedError:
        if party is not None:
            check_visible(store.get(id), party)
        raise
