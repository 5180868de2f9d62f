"""The mapping between the canonical document and the TMF683 v5 PartyInteraction.

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

What v5 says and v4 cannot is kept under :data:`~.canonical.V5_KEY`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tmf683.patch.merge import apply_merge_patch, make_merge_patch
from tmf683.storage.base import Document
from tmf683.versions.canonical import V5_KEY
from tmf683.versions.v5match import Trace, Traced, forms_after_write, key, match

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


def _pick(source: Mapping[str, Any], names: tuple[str, ...]) -> Element:
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
    flat = _pick(ref, _REF) if isinstance(ref, Mapping) else {}
    return {**flat, **_pick(element, ("role",))}


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
    return _pick(element, _NOTE)


_ATTACHMENT_VALUE = ("attachmentType", "content", "mimeType", "url", "size", "validFor")
_ATTACHMENT = ("id", "href", "name", "description", *_ATTACHMENT_VALUE, "@referredType")


def _attachment_to_v5(element: Mapping[str, Any]) -> Element:
    is_value = any(name in element for name in _ATTACHMENT_VALUE) or "id" not in element
    kind = "Attachment" if is_value else "AttachmentRef"
    return {**_pick(element, _ATTACHMENT), "@type": kind}


def _attachment_from_v5(element: Mapping[str, Any]) -> Element:
    return _pick(element, _ATTACHMENT)


_RELATIONSHIP = ("id", "href", "relationshipType")


def _relationship_to_v5(element: Mapping[str, Any]) -> Element:
    return {**_pick(element, _RELATIONSHIP), "@type": "InteractionRelationship"}


def _relationship_from_v5(element: Mapping[str, Any]) -> Element:
    return _pick(element, _RELATIONSHIP)


_ITEM = ("id", "creationDate", "reason", "resolution", "itemDate")


def _each(
    value: object, convert: Callable[[Mapping[str, Any]], Element]
) -> list[Element]:
    items = value if isinstance(value, list) else []
    return [convert(item) for item in items if isinstance(item, Mapping)]


def _item_to_v5(element: Mapping[str, Any]) -> Element:
    result = _pick(element, _ITEM)
    entity = element.get("item")
    if isinstance(entity, Mapping):
        kind = "EntityRef" if "id" in entity else "Entity"  # a ref needs its id
        result["item"] = _ref_to_v5(entity, "entity", kind, "RelatedEntityRefOrValue")
    for v4_name, v5_name, convert in _ITEM_ARRAYS:
        if v4_name in element:
            result[v5_name] = _each(element[v4_name], convert[0])
    return {**result, "@type": "InteractionItem"}


def _item_from_v5(element: Mapping[str, Any]) -> Element:
    result = _pick(element, _ITEM)
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

_NONE = object()
_MAPPED_V5 = frozenset(
    ("id", "href", V5_KEY, *SHARED_ATTRIBUTES, *(rule.v5 for rule in ARRAY_RULES))
)
"""v5 attributes not kept as v5-only data (``_v5`` is reserved: the v5 service refuses
it in a body, and the mapping drops it)."""
_MAPPED_CANONICAL = frozenset(
    ("id", V5_KEY, *SHARED_ATTRIBUTES, *(rule.canonical for rule in ARRAY_RULES))
)


def to_v5(document: Document, href: str) -> Document:
    """Return the v5 view of a canonical document.

    Args:
        document: the stored (canonical) document, with ``id``.
        href: its v5 ``href``.

    Returns:
        The v5 PartyInteraction: ``id``, ``href``, the shared attributes, the mapped
        arrays (the v5 form of an element where v5 wrote one and the canonical element
        is unchanged since), then the v5-only attributes (``@type`` defaults to
        ``PartyInteraction``). v4's own polymorphism and extension attributes are not
        shown.
    """
    extra = document.get(V5_KEY) or {}
    view: Document = {"id": document["id"], "href": href}
    for name in SHARED_ATTRIBUTES:
        if name in document:
            view[name] = document[name]
    for rule in ARRAY_RULES:
        if rule.canonical in document:
            view[rule.v5] = _elements_to_v5(
                document[rule.canonical], extra.get(rule.canonical) or [], rule
            )
    attributes = extra.get("attributes")  # none in a document v4 wrote: no merge
    attributes = {**V5_ONLY_DEFAULTS, **attributes} if attributes else V5_ONLY_DEFAULTS
    view.update((k, v) for k, v in attributes.items() if k not in view)
    return view


def _rebased(kept: Any, old: Any, new: Any) -> Any:
    """One version's form of an element with the other version's edit applied.

    ``kept`` is that form; ``old`` and ``new`` are the element as the editing
    version saw it before and after its edit.
    """
    return apply_merge_patch(kept, make_merge_patch(old, new))


def _elements_to_v5(elements: object, pairs: list[Any], rule: ArrayRule) -> list[Any]:
    """Each element's kept v5 form, or the default mapping.

    A kept form shows at its own position (``at``) while the element there is the
    one it was kept with (every v4 write re-anchors the forms, see
    :func:`v5_part_after_v4_patch`). Forms kept elsewhere (documents whose v4 writes
    predate that) go to elements without one by :func:`.v5match.match`: an equal
    element, or the edited form of the only element with its ``id`` and
    ``@referredType``, never an ambiguous one; the rest show the default mapping.
    """
    items = elements if isinstance(elements, list) else []
    if not pairs:  # no kept v5 form (every array v4 wrote): the default mapping
        return [rule.to_v5(element) for element in items]
    shown: dict[int, Any] = {}
    unused = []
    for pair in pairs:
        at = pair.get("at")
        if isinstance(at, int) and at < len(items) and items[at] == pair.get("v4"):
            shown.setdefault(at, pair["v5"])
        else:
            unused.append((pair.get("v4"), pair["v5"]))
    rest = [index for index in range(len(items)) if index not in shown]
    matched = match(unused, [items[i] for i in rest], rule.to_v5, _rebaser(rule))
    shown.update(zip(rest, matched, strict=True))
    return [shown[index] for index in range(len(items))]


def _rebaser(rule: ArrayRule) -> Callable[[Any, Any, Any], Any]:
    """v4's edit of a canonical element (``old`` -> ``new``) applied to a v5 form."""

    def rebase(form: Any, old: Any, new: Any) -> Any:
        return _rebased(form, rule.to_v5(old), rule.to_v5(new))

    return rebase


def traced_for_v4_patch(view: Document, document: Document, trace: Trace) -> Document:
    """The v4 view a v4 patch applies to, its elements traced where v5 kept forms.

    Args:
        view: the v4 view of ``document`` (what the v4 client reads).
        document: the stored canonical document.
        trace: the patch's traces.

    Returns:
        ``view`` with each array that has kept v5 forms made of
        :class:`~.v5match.Traced` elements (equal to the plain ones), so
        :func:`v5_part_after_v4_patch` knows where each element went; ``view``
        itself when there is none.
    """
    extra = document.get(V5_KEY) or {}
    names = [rule.canonical for rule in ARRAY_RULES if extra.get(rule.canonical)]
    if not names:
        return view
    return {k: trace.traced(v) if k in names else v for k, v in view.items()}


def traced_for_v5_patch(view: Document, trace: Trace) -> Document:
    """The v5 view a v5 patch applies to, its array elements traced.

    Args:
        view: the v5 view of a stored document (from :func:`to_v5`).
        trace: the patch's traces (give it to :func:`from_v5`).

    Returns:
        A copy whose mapped arrays are made of :class:`~.v5match.Traced` elements
        (equal to the plain ones), so :func:`from_v5` maps each element a JSON
        Patch moved or left to the canonical element it was shown for.
    """
    names = {rule.v5 for rule in ARRAY_RULES}
    return {k: trace.traced(v) if k in names else v for k, v in view.items()}


def v5_part_after_v4_patch(
    document: Document, patched: Mapping[str, Any], result: Document, trace: Trace
) -> Any:
    """The v5-only data of ``document`` anchored to the elements of ``result``.

    Each kept v5 form follows its element (see :mod:`.v5match`): moved with it,
    dropped with it, edited with it; an element whose origin is ambiguous gets no
    kept form (the default mapping).

    Args:
        document: the stored canonical document before the v4 patch.
        patched: the patch's result on :func:`traced_for_v4_patch`'s view (its
            traces), before the v4 model normalised it.
        result: the canonical document to store (no :data:`~.canonical.V5_KEY`).
        trace: the patch's traces, as given to :func:`traced_for_v4_patch`.

    Returns:
        The new :data:`~.canonical.V5_KEY` value: the same ``attributes``, the pairs
        of each array re-computed (``at`` and ``v4`` those of ``result``); ``None``
        when ``document`` has none.
    """
    extra = document.get(V5_KEY)
    if not extra:
        return extra
    arrays = {rule.canonical for rule in ARRAY_RULES}
    fixed = {k: v for k, v in extra.items() if k not in arrays}
    for rule in ARRAY_RULES:
        pairs = extra.get(rule.canonical)
        if not pairs:
            continue
        before = document.get(rule.canonical)
        before = before if isinstance(before, list) else []
        after = result.get(rule.canonical)
        after = after if isinstance(after, list) else []
        forms = forms_after_write(
            before,
            _elements_to_v5(before, pairs, rule),
            after,
            trace.origins(patched.get(rule.canonical), len(after)),
            rule.to_v5,
            _rebaser(rule),
        )
        kept = [
            {"v4": element, "v5": form, "at": index}
            for index, (element, form) in enumerate(zip(after, forms, strict=True))
            if not isinstance(element, Mapping) or form != rule.to_v5(element)
        ]
        if kept:
            fixed[rule.canonical] = kept
    return fixed


def from_v5(
    view: Mapping[str, Any],
    previous: Document | None = None,
    trace: Trace | None = None,
) -> Document:
    """Return the canonical document of a v5 PartyInteraction.

    Args:
        view: the v5 document (``href`` is ignored; ``id`` kept when present).
        previous: the canonical document it replaces (a patch): its v4-only
            attributes, and the canonical form of every element the v5 view leaves as
            it showed it, are kept.
        trace: when ``view`` is a patch's result on :func:`traced_for_v5_patch`'s
            view, that patch's traces: each element it kept keeps its own canonical
            form.

    Returns:
        The canonical document: the v4 attributes v5 can express, and what only v5
        says under :data:`~.canonical.V5_KEY`.
    """
    previous = previous or {}
    document: Document = {
        k: v for k, v in previous.items() if k not in _MAPPED_CANONICAL
    }
    if "id" in view:
        document["id"] = view["id"]
    document.update(_pick(view, SHARED_ATTRIBUTES))
    extra: dict[str, Any] = {}
    for rule in ARRAY_RULES:
        if rule.v5 not in view:
            continue
        elements, pairs = _elements_from_v5(view[rule.v5], previous, rule, trace)
        document[rule.canonical] = elements
        if pairs:
            extra[rule.canonical] = pairs
    attributes = {
        k: v
        for k, v in view.items()
        if k not in _MAPPED_V5 and V5_ONLY_DEFAULTS.get(k, _NONE) != v
    }
    if attributes:
        extra["attributes"] = attributes
    if extra:
        document[V5_KEY] = extra
    return document


def _elements_from_v5(
    elements: object, previous: Document, rule: ArrayRule, trace: Trace | None
) -> tuple[list[Any], list[Any]]:
    """The canonical elements of a v5 array, and the v5 forms to keep.

    Each v5 element gets the canonical element of the shown one it is, by the rules
    of :mod:`.v5match` with the v5 elements as the written ones: one a v5 JSON Patch
    kept (a :class:`~.v5match.Traced` one, see :func:`traced_for_v5_patch`) or an
    array written back as shown keeps its own; another takes that of an equal shown
    one (when all equal ones hold the same), or that of the only shown one with its
    ``id`` and ``@referredType``, with the edit; the rest (ambiguous or new) map by
    default, without what only v4 held.
    """
    before = previous.get(rule.canonical)
    before = before if isinstance(before, list) else []
    old_pairs = (previous.get(V5_KEY) or {}).get(rule.canonical) or []
    views = _elements_to_v5(before, old_pairs, rule)
    items = elements if isinstance(elements, list) else []
    plain = [dict(item) if isinstance(item, Traced) else item for item in items]

    def default(element: Any) -> Any:
        return rule.from_v5(element) if isinstance(element, Mapping) else element

    def rebase(canonical: Any, old: Any, new: Any) -> Any:
        return _rebased(canonical, rule.from_v5(old), rule.from_v5(new))

    def identify(element: Any) -> tuple[Any, Any]:
        return key(rule.from_v5(element))

    mapped = forms_after_write(
        views,
        before,
        plain,
        trace.origins(items, len(items)) if trace else [None] * len(items),
        default,
        rebase,
        identify,
    )
    pairs = [
        {"v4": canonical, "v5": element, "at": index}
        for index, (canonical, element) in enumerate(zip(mapped, plain, strict=True))
        if not isinstance(canonical, Mapping) or rule.to_v5(canonical) != element
    ]
    return mapped, pairs


def pairs_after_normalising(document: Document, normalised: Document) -> Document:
    """Re-key the ``v4`` side of the kept v5 elements after v4 normalised them.

    The v4 model writes date-times in UTC and its own attribute order; the kept pairs
    must hold the element exactly as stored so that :func:`to_v5` finds it.

    Args:
        document: a canonical document as :func:`from_v5` made it.
        normalised: the same document after the v4 model read and wrote it (same
            arrays, same lengths, no :data:`~.canonical.V5_KEY`).

    Returns:
        ``normalised`` with :data:`~.canonical.V5_KEY` whose pairs name the
        normalised elements.
    """
    extra = document.get(V5_KEY)
    if not extra:
        return normalised
    fixed: dict[str, Any] = {}
    for name, value in extra.items():
        if name == "attributes":
            fixed[name] = value
            continue
        after = normalised.get(name) or []
        fixed[name] = [{**p, "v4": after[p["at"]]} for p in value]
    return {**normalised, V5_KEY: fixed}
