"""The mapping between the canonical document and the TMF683 v5 PartyInteraction.

Whole documents, both ways (:func:`to_v5`, :func:`from_v5`), and patches of one
version seen in the other (the traces, the rebasing of an element's other form), by
the rules of :mod:`tmf683.versions.v5rules`: the attributes both versions name alike
(:data:`~tmf683.versions.v5rules.SHARED_ATTRIBUTES`) and how each array maps
(:data:`~tmf683.versions.v5rules.ARRAY_RULES`), drawn in ``docs/v5.md``.

What v5 says and v4 cannot is kept under :data:`~.canonical.V5_KEY`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tmf683.patch.merge import apply_merge_patch, make_merge_patch
from tmf683.storage.base import Document
from tmf683.versions.canonical import V5_KEY
from tmf683.versions.v5match import Trace, Traced, forms_after_write, key, match
from tmf683.versions.v5rules import ARRAY_RULES as ARRAY_RULES
from tmf683.versions.v5rules import MAPPED_V5, pick
from tmf683.versions.v5rules import SHARED_ATTRIBUTES as SHARED_ATTRIBUTES
from tmf683.versions.v5rules import V5_ONLY_DEFAULTS as V5_ONLY_DEFAULTS
from tmf683.versions.v5rules import ArrayRule as ArrayRule
from tmf683.versions.v5rules import Element as Element

_NONE = object()
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
    document.update(pick(view, SHARED_ATTRIBUTES))
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
        if k not in MAPPED_V5 and V5_ONLY_DEFAULTS.get(k, _NONE) != v
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
