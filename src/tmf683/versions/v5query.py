"""The v5 PartyInteraction as the query engine sees it, and v5 queries on the store.

:data:`V5_PARTY_INTERACTION_SCHEMA` is written here by hand from the OAS (one place):
the attributes v5 names, every object extensible (v5 objects may be subclassed).
:func:`to_canonical` translates a parsed v5 query into canonical paths
(``relatedChannel.channel.id`` -> ``channel.id``, the same index as v4;
``relatedParty.partyOrPartyRole.id`` -> ``relatedParty.id`` on the same element as
``relatedParty.role``); a query naming a path with no canonical twin (v5-only data,
``@type`` defaults) returns ``None`` and is answered by the in-memory oracle over the
v5 views (:func:`tmf683.query.evaluate.select`), which the translation must agree
with.
"""

from __future__ import annotations

import attrs

from tmf683._schema import PARTY_INTERACTION_SCHEMA
from tmf683.query.ast import AnyOf, Clause, Condition, Path, Query, SortKey
from tmf683.query.schema import AttributeKind, Schema, SchemaAttribute, resolve
from tmf683.versions.v5rules import ARRAY_RULES, SHARED_ATTRIBUTES

_S = AttributeKind.STRING
_D = AttributeKind.DATE_TIME
_N = AttributeKind.NUMBER
_POLYMORPHIC = ("@baseType", "@schemaLocation", "@type")
_REF = ("id", "href", "name", "@referredType")


def _object(
    name: str, *attributes: SchemaAttribute, text: tuple[str, ...] = ()
) -> Schema:
    plain = tuple(SchemaAttribute(n, _S) for n in (*text, *_POLYMORPHIC))
    return Schema(name, (*attributes, *plain), extensible=True)


def _one(name: str, schema: Schema) -> SchemaAttribute:
    return SchemaAttribute(name, AttributeKind.OBJECT, False, schema)


def _many(name: str, schema: Schema) -> SchemaAttribute:
    return SchemaAttribute(name, AttributeKind.OBJECT, True, schema)


_TIME_PERIOD = Schema(
    "TimePeriod",
    (SchemaAttribute("startDateTime", _D), SchemaAttribute("endDateTime", _D)),
)
_ENTITY_REF = _object("EntityRef", text=_REF)
_RELATED_CHANNEL = _object(
    "RelatedChannel", _one("channel", _ENTITY_REF), text=("role",)
)
_RELATED_PARTY = _object(
    "RelatedPartyOrPartyRole", _one("partyOrPartyRole", _ENTITY_REF), text=("role",)
)
_NOTE = _object("Note", SchemaAttribute("date", _D), text=("id", "author", "text"))
_QUANTITY = Schema(
    "Quantity", (SchemaAttribute("amount", _N), SchemaAttribute("units", _S))
)
_ATTACHMENT = _object(
    "AttachmentRefOrValue",
    _one("size", _QUANTITY),
    _one("validFor", _TIME_PERIOD),
    text=(
        "id",
        "href",
        "name",
        "description",
        "attachmentType",
        "content",
        "mimeType",
        "url",
        "@referredType",
    ),
)
_RELATIONSHIP = _object(
    "InteractionRelationship",
    text=("id", "href", "name", "relationshipType", "@referredType"),
)
_ITEM_RELATIONSHIP = _object(
    "InteractionItemRelationship", text=("id", "relationshipType")
)
_EXTERNAL_IDENTIFIER = _object(
    "ExternalIdentifier", text=("id", "owner", "externalIdentifierType")
)
_ITEM = _object(
    "InteractionItem",
    SchemaAttribute("creationDate", _D),
    SchemaAttribute("lastUpdate", _D),
    _one("itemDate", _TIME_PERIOD),
    _one(
        "item",
        _object("RelatedEntityRefOrValue", _one("entity", _ENTITY_REF), text=("role",)),
    ),
    _many("relatedChannel", _RELATED_CHANNEL),
    _many("relatedParty", _RELATED_PARTY),
    _many("attachment", _ATTACHMENT),
    _many("note", _NOTE),
    _many("interactionItemRelationship", _ITEM_RELATIONSHIP),
    text=("id", "reason", "resolution", "interactionItemType"),
)

_RENAMED = {r.canonical: r.v5 for r in ARRAY_RULES if r.canonical != r.v5}
"""v4 array names v5 spells otherwise, wherever they are (``channel`` ->
``relatedChannel``, in a PartyInteraction and in an InteractionItem)."""


def _instead(name: str, v5: Schema) -> str:
    """What v5 writes, in ``v5``, for the v4 attribute ``name`` it does not have.

    The renamed array (``relatedChannel`` for ``channel``), or the name in the
    reference the v5 element wraps (``partyOrPartyRole.id`` for a v4
    ``relatedParty.id``); ``""`` when there is no such simple mapping.
    """
    renamed = _RENAMED.get(name)
    if renamed is not None and v5.attribute(renamed) is not None:
        return renamed
    for attribute in v5.attributes:
        inner = attribute.schema
        if inner is not None and not attribute.array and inner.attribute(name):
            return f"{attribute.name}.{name}"
    return ""


def _v4_names_withdrawn(v5: Schema, v4: Schema) -> Schema:
    """Withdraw from ``v5``, at every place, the names ``v4`` has there and it has not.

    See ``withdrawn`` in :class:`tmf683.query.schema.Schema`.

    The places pair by name, v4 ``channel`` with v5 ``relatedChannel``: a v4 name
    under v5 is a 400 naming it and what v5 writes instead, not an extension
    attribute that matches nothing, while a genuine extension (a subclass's
    attribute: ``relatedParty.partyOrPartyRole.givenName``) still passes.
    """
    attributes = []
    for attribute in v5.attributes:
        twin = v4.attribute(attribute.name) or next(
            (
                v4.attribute(old)
                for old, new in _RENAMED.items()
                if new == attribute.name
            ),
            None,
        )
        if attribute.schema is not None and twin is not None and twin.schema:
            attribute = attrs.evolve(
                attribute, schema=_v4_names_withdrawn(attribute.schema, twin.schema)
            )
        attributes.append(attribute)
    withdrawn = tuple(
        (a.name, _instead(a.name, v5))
        for a in v4.attributes
        if v5.attribute(a.name) is None
    )
    return attrs.evolve(v5, attributes=tuple(attributes), withdrawn=withdrawn)


_V5_AS_WRITTEN = _object(
    "PartyInteraction",
    SchemaAttribute("creationDate", _D),
    SchemaAttribute("lastUpdate", _D),
    SchemaAttribute("statusChangeDate", _D),
    _one("interactionDate", _TIME_PERIOD),
    _many("relatedChannel", _RELATED_CHANNEL),
    _many("relatedParty", _RELATED_PARTY),
    _many("attachment", _ATTACHMENT),
    _many("note", _NOTE),
    _many("interactionItem", _ITEM),
    _many("interactionRelationship", _RELATIONSHIP),
    _many("externalIdentifier", _EXTERNAL_IDENTIFIER),
    text=("id", "href", "description", "direction", "reason", "status"),
)
V5_PARTY_INTERACTION_SCHEMA = _v4_names_withdrawn(
    _V5_AS_WRITTEN, PARTY_INTERACTION_SCHEMA
)
"""The schema of the TMF683 v5 PartyInteraction, which list filters, ``sort=`` and
``fields=`` in v5 names reach. A name TMF683 v4 has at a place and v5 has not
(``relatedParty.id``, ``channel``, ``interactionItem.item.id``) is withdrawn there:
refused, naming what v5 writes instead (``relatedParty.partyOrPartyRole.id``)."""

_TRANSLATIONS: dict[Path, Path] = {
    ("relatedChannel", "role"): ("channel", "role"),
    **{("relatedChannel", "channel", n): ("channel", n) for n in _REF},
    ("relatedParty", "role"): ("relatedParty", "role"),
    **{
        ("relatedParty", "partyOrPartyRole", n): ("relatedParty", n)
        for n in ("id", "href", "name")
    },
    **{("note", n): ("note", n) for n in ("id", "author", "date", "text")},
    **{
        ("interactionRelationship", n): ("interactionRelationship", n)
        for n in ("id", "href", "relationshipType")
    },
    **{("interactionItem", n): ("interactionItem", n) for n in ("id", "reason")},
    ("id",): ("id",),
}
"""v5 paths whose values are, element for element, those of a canonical path."""


def canonical_path(path: Path) -> Path | None:
    """Return the canonical path holding the same values as a v5 path, or ``None``.

    Args:
        path: a v5 path, e.g. ``("relatedChannel", "channel", "id")``.

    Returns:
        E.g. ``("channel", "id")``; ``None`` for v5-only or defaulted data.
    """
    if path in _TRANSLATIONS:
        return _TRANSLATIONS[path]
    if path[0] in SHARED_ATTRIBUTES and path[0] != "interactionDate":
        return path if len(path) == 1 else None
    if path[0] == "interactionDate" and len(path) == 2:
        return path
    return None


def _condition(condition: Condition) -> Condition | None:
    target = canonical_path(condition.path)
    if target is None:
        return None
    arrays = resolve(target, PARTY_INTERACTION_SCHEMA).arrays
    return attrs.evolve(condition, path=target, arrays=arrays)


def _clause(clause: Clause) -> Clause | None:
    if isinstance(clause, Condition):
        return _condition(clause)
    translated = [_condition(c) for c in clause.conditions]
    if any(c is None for c in translated):
        return None
    return AnyOf(tuple(c for c in translated if c is not None))


def _sort_key(key: SortKey) -> SortKey | None:
    target = canonical_path(key.path)
    return None if target is None else attrs.evolve(key, path=target)


def to_canonical(query: Query) -> Query | None:
    """Translate a parsed v5 query (``href`` read as ``id``) into canonical paths.

    Args:
        query: the query, parsed against :data:`V5_PARTY_INTERACTION_SCHEMA`.

    Returns:
        The same query on canonical paths (``fields`` left in v5 names: projection
        happens on the v5 view), or ``None`` when a condition or sort key names a
        path with no canonical twin.
    """
    clauses = [_clause(clause) for clause in query.conditions]
    sort = [_sort_key(key) for key in query.sort]
    if any(c is None for c in clauses) or any(k is None for k in sort):
        return None
    return attrs.evolve(
        query,
        conditions=tuple(c for c in clauses if c is not None),
        sort=tuple(k for k in sort if k is not None),
    )


V5_ALWAYS_SELECTED = ("id", "href", "@type", "@baseType", "@schemaLocation")
"""What every v5 ``fields=`` selection keeps (each where present): the OAS requires
``@type`` on every PartyInteraction, so a projected one stays valid against it, and a
subclass ``@type`` no schema of the OAS defines keeps the ``@schemaLocation`` (and
``@baseType``) that make it valid under :mod:`tmf683.versions.v5contract`."""

V5_KEPT_ON_THE_WAY = ("@type", "@baseType", "@schemaLocation", "id")
"""What a dotted v5 ``fields=`` path keeps in each nested object it goes through
(where present): ``fields=relatedChannel.channel.name`` gives ``RelatedChannel`` and
``ChannelRef`` objects that still have their required ``@type`` (and the reference
its ``id``)."""
