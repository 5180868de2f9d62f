"""The rules of the v4 <-> v5 mapping: what is copied, and how each element maps.

One table (:data:`ARRAY_RULES`) says how each array maps; first-level attributes that
both versions name alike are copied (:data:`SHARED_ATTRIBUTES`). The rules are drawn
in ``docs/v5.md``:

- v4 ``channel[] {id, href, name, role, @referredType}`` <-> v5
  ``relatedChannel[] {role, channel: ChannelRef {id, href, name, @referredType}}``;
- v4 ``relatedParty[] {id, href, name, role, @referredType}`` <-> v5
  ``relatedParty[] {role, partyOrPartyRole: PartyRef {...}}``;
- interaction items: v4 ``item`` <-> v5 ``item {role, entity: EntityRef}``, their
  ``channel``/``relatedParty`` as above (``RelatedPartyRefOrPartyRoleRef`` inside);
- notes, attachments, interaction relationships: the same attributes;
- every v5 object gets its ``@type`` (``PartyInteraction``, ``RelatedChannel``,
  ``ChannelRef``, ``RelatedPartyOrPartyRole``, ``PartyRef``, ``Note``...) when the
  document was written by v4.

Each rule maps one element alone; :mod:`tmf683.versions.v5` applies them to whole
documents and to patches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tmf683.versions.canonical import V5_KEY

SHARED_ATTRIBUTES = (
    "creationDate",
    "description",
    "direction",
    "reason",
    "status",
    "statusChangeDate",
    "interactionDate",
)
"""First-level attributes with the same name and value in v4 and v5."""

_REF = ("id", "href", "name", "@referredType")
"""The v4 flat reference attributes that are a v5 ``EntityRef``'s."""

Element = dict[str, Any]


def pick(source: Mapping[str, Any], names: tuple[str, ...]) -> Element:
    """The attributes of ``source`` named in ``names``, in the order of ``names``."""
    return {name: source[name] for name in names if name in source}


def _ref_to_v5(
    element: Mapping[str, Any], inner: str, ref_type: str, outer: str
) -> Element:
    """A v4 flat reference with ``role`` -> v5 ``{role, <inner>: {ref}, @type}``."""
    ref = {name: element[name] for name in _REF if name in element}
    ref["@type"] = ref_type
    if "role" in element:
        return {"role": element["role"], inner: ref, "@type": outer}
    return {inner: ref, "@type": outer}


def _ref_from_v5(element: Mapping[str, Any], inner: str) -> Element:
    """A v5 ``{role, <inner>: {ref}}`` -> the v4 flat reference with ``role``."""
    ref = element.get(inner)
    flat = pick(ref, _REF) if isinstance(ref, Mapping) else {}
    return {**flat, **pick(element, ("role",))}


def _channel_to_v5(element: Mapping[str, Any]) -> Element:
    return _ref_to_v5(element, "channel", "ChannelRef", "RelatedChannel")


def _channel_from_v5(element: Mapping[str, Any]) -> Element:
    return _ref_from_v5(element, "channel")


def _party_to_v5(element: Mapping[str, Any]) -> Element:
    return _ref_to_v5(
        element, "partyOrPartyRole", "PartyRef", "RelatedPartyOrPartyRole"
    )


def _item_party_to_v5(element: Mapping[str, Any]) -> Element:
    return _ref_to_v5(
        element, "partyOrPartyRole", "PartyRef", "RelatedPartyRefOrPartyRoleRef"
    )


def _party_from_v5(element: Mapping[str, Any]) -> Element:
    """A v5 party -> v4; the v4 profile's ``@referredType`` is the v5 ``@type``."""
    flat = _ref_from_v5(element, "partyOrPartyRole")
    party = element.get("partyOrPartyRole")
    kind = party.get("@type") if isinstance(party, Mapping) else None
    if "@referredType" not in flat and isinstance(kind, str):
        flat["@referredType"] = kind.removesuffix("Ref")
    return flat


_NOTE = ("id", "author", "date", "text")


def _note_to_v5(element: Mapping[str, Any]) -> Element:
    note = {name: element[name] for name in _NOTE if name in element}
    note["@type"] = "Note"
    return note


def _note_from_v5(element: Mapping[str, Any]) -> Element:
    return pick(element, _NOTE)


_ATTACHMENT_VALUE = ("attachmentType", "content", "mimeType", "url", "size", "validFor")
_ATTACHMENT = ("id", "href", "name", "description", *_ATTACHMENT_VALUE, "@referredType")


def _attachment_to_v5(element: Mapping[str, Any]) -> Element:
    is_value = any(name in element for name in _ATTACHMENT_VALUE) or "id" not in element
    kind = "Attachment" if is_value else "AttachmentRef"
    return {**pick(element, _ATTACHMENT), "@type": kind}


def _attachment_from_v5(element: Mapping[str, Any]) -> Element:
    return pick(element, _ATTACHMENT)


_RELATIONSHIP = ("id", "href", "relationshipType")


def _relationship_to_v5(element: Mapping[str, Any]) -> Element:
    return {**pick(element, _RELATIONSHIP), "@type": "InteractionRelationship"}


def _relationship_from_v5(element: Mapping[str, Any]) -> Element:
    return pick(element, _RELATIONSHIP)


_ITEM = ("id", "creationDate", "reason", "resolution", "itemDate")


def _each(
    value: object, convert: Callable[[Mapping[str, Any]], Element]
) -> list[Element]:
    items = value if isinstance(value, list) else []
    return [convert(item) for item in items if isinstance(item, Mapping)]


def _item_to_v5(element: Mapping[str, Any]) -> Element:
    result = pick(element, _ITEM)
    entity = element.get("item")
    if isinstance(entity, Mapping):
        kind = "EntityRef" if "id" in entity else "Entity"  # a ref needs its id
        result["item"] = _ref_to_v5(entity, "entity", kind, "RelatedEntityRefOrValue")
    for v4_name, v5_name, convert in _ITEM_ARRAYS:
        if v4_name in element:
            result[v5_name] = _each(element[v4_name], convert[0])
    return {**result, "@type": "InteractionItem"}


def _item_from_v5(element: Mapping[str, Any]) -> Element:
    result = pick(element, _ITEM)
    entity = element.get("item")
    if isinstance(entity, Mapping):
        result["item"] = _ref_from_v5(entity, "entity")
    for v4_name, v5_name, convert in _ITEM_ARRAYS:
        if v5_name in element:
            result[v4_name] = _each(element[v5_name], convert[1])
    return result


_ITEM_ARRAYS: tuple[
    tuple[str, str, tuple[Callable[[Mapping[str, Any]], Element], ...]], ...
] = (
    ("attachment", "attachment", (_attachment_to_v5, _attachment_from_v5)),
    ("channel", "relatedChannel", (_channel_to_v5, _channel_from_v5)),
    ("note", "note", (_note_to_v5, _note_from_v5)),
    ("relatedParty", "relatedParty", (_item_party_to_v5, _party_from_v5)),
)


@attrs.frozen
class ArrayRule:
    """How one array of the canonical document maps to its v5 twin.

    Attributes:
        canonical: the canonical (v4) name, e.g. ``"channel"``.
        v5: the v5 name, e.g. ``"relatedChannel"``.
        to_v5: a canonical element -> its default v5 element, ``@type`` included.
        from_v5: a v5 element -> its canonical element (what v4 can say of it).
    """

    canonical: str
    v5: str
    to_v5: Callable[[Mapping[str, Any]], Element]
    from_v5: Callable[[Mapping[str, Any]], Element]


ARRAY_RULES = (
    ArrayRule("channel", "relatedChannel", _channel_to_v5, _channel_from_v5),
    ArrayRule("relatedParty", "relatedParty", _party_to_v5, _party_from_v5),
    ArrayRule("note", "note", _note_to_v5, _note_from_v5),
    ArrayRule("attachment", "attachment", _attachment_to_v5, _attachment_from_v5),
    ArrayRule("interactionItem", "interactionItem", _item_to_v5, _item_from_v5),
    ArrayRule(
        "interactionRelationship",
        "interactionRelationship",
        _relationship_to_v5,
        _relationship_from_v5,
    ),
)
"""The arrays of a PartyInteraction, in the order the v5 view writes them."""

V5_ONLY_DEFAULTS = {"@type": "PartyInteraction"}
"""What the v5 view says of a document v4 wrote, beyond the mapped attributes."""

MAPPED_V5 = frozenset(
    ("id", "href", V5_KEY, *SHARED_ATTRIBUTES, *(rule.v5 for rule in ARRAY_RULES))
)
"""v5 attribute names the v4 part says or the server builds, never kept as v5-only
data (``_v5`` is reserved: the v5 service refuses it in a body, the mapping drops
it)."""
