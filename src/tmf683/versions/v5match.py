"""Which kept v5 form each element of a canonical array shows after a v4 write.

A v4 write sees only the canonical (v4) elements, and two elements may look alike to
v4 (the same party ``P1`` as ``customer`` and as ``payer``, or twice as
``customer``) while v5 wrote different data for them (``Ada`` and ``Bob``). The v5
forms kept under ``_v5`` follow their elements in two ways, in this order:

1. **Tracing.** Before a v4 patch applies, each element of an array with kept v5
   forms is a :class:`Traced` dict that knows its position before the patch; it is
   equal to the plain element, so ``test`` operations and JSON Patch Query filters
   see nothing of it. JSON Patch ``remove``, ``move`` and edits inside an element
   keep the element object, so its trace; ``copy`` copies it (the copy is a copy of
   that element, v5 data included). A traced element shows its own form: as it was
   when the element is unchanged, with v4's edit applied when it keeps its ``id``
   and ``@referredType``, else the default mapping.
2. **Matching**, for the elements without a trace (an array written whole by a merge
   patch or a ``replace``, an element ``add``-ed or ``replace``-d): an array written
   back exactly as it was keeps every form in place; otherwise an element takes the
   form of an equal element from before when all equal ones had the same form, and
   the edited form of the one element from before with its ``id`` and
   ``@referredType`` when no other element, before or after, has them. An element
   that could be one of several with different forms is **ambiguous** and shows the
   default mapping: it never shows another element's data.

The functions take the mapping as arguments (``default``, ``rebase``), so this module
knows nothing of v5 names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Default = Callable[[Any], Any]
"""A canonical element -> its default v5 form."""
Rebase = Callable[[Any, Any, Any], Any]
"""``(form, old, new)`` -> ``form`` with v4's edit of the element (``old`` ->
``new``, canonical) applied."""


class Traced(dict[str, Any]):
    """A canonical element that remembers its position before a v4 patch.

    Equal to the plain dict, serialised like it; only :attr:`origin` tells it apart,
    and nothing a JSON body holds can make one.

    Attributes:
        origin: the element's index in the canonical array before the patch.
    """

    __slots__ = ("origin",)

    def __init__(self, element: Mapping[str, Any], origin: int) -> None:
        super().__init__(element)
        self.origin = origin


def traced(elements: object) -> object:
    """Return ``elements`` with each object a :class:`Traced` one at its index.

    Args:
        elements: a canonical array (anything else is returned as it is).

    Returns:
        A new list (objects wrapped, other items as they are), or ``elements``.
    """
    if not isinstance(elements, list):
        return elements
    return [
        Traced(element, index) if isinstance(element, Mapping) else element
        for index, element in enumerate(elements)
    ]


def origins(patched: object, count: int) -> list[int | None]:
    """The position before the patch of each element of a patched array.

    Args:
        patched: the array as the patch left it (elements :class:`Traced` or not).
        count: the length of the array as stored after the write (the v4 model
            keeps it; another length means the trace says nothing).

    Returns:
        ``count`` items: the :attr:`Traced.origin`, or ``None`` (no trace).
    """
    items = patched if isinstance(patched, list) else []
    if len(items) != count:
        return [None] * count
    return [item.origin if isinstance(item, Traced) else None for item in items]


def same_thing(before: object, after: object) -> bool:
    """Whether two canonical elements name one thing.

    They do when both have the same ``id`` (not missing) and ``@referredType``.
    """
    return (
        isinstance(before, Mapping)
        and isinstance(after, Mapping)
        and before.get("id") is not None
        and key(before) == key(after)
    )


def key(element: Mapping[str, Any]) -> tuple[Any, Any]:
    """What names the thing an element is: ``(id, @referredType)``, either ``None``."""
    return element.get("id"), element.get("@referredType")


def forms_after_write(
    before: Sequence[Any],
    forms: Sequence[Any],
    after: Sequence[Any],
    traces: Sequence[int | None],
    default: Default,
    rebase: Rebase,
) -> list[Any]:
    """The v5 form of each element of a canonical array after a v4 write.

    Args:
        before: the canonical elements before the write.
        forms: the v5 form each of them showed (same length as ``before``).
        after: the canonical elements after the write, as stored.
        traces: for each of ``after``, its index in ``before`` when traced, else
            ``None`` (see :func:`origins`).
        default: the default mapping.
        rebase: applies v4's edit of an element to its form.

    Returns:
        One form per element of ``after``, by the rules of this module.
    """
    if all(trace is None for trace in traces) and list(after) == list(before):
        return list(forms)  # written back as it was
    result: dict[int, Any] = {}
    for index, (element, trace) in enumerate(zip(after, traces, strict=True)):
        if trace is None or not 0 <= trace < len(before):
            continue
        old = before[trace]
        if element == old:
            result[index] = forms[trace]
        elif (
            isinstance(old, Mapping)
            and isinstance(element, Mapping)
            and key(old) == key(element)
        ):
            result[index] = rebase(forms[trace], old, element)
        else:
            result[index] = default(element)
    taken = {trace for trace in traces if trace is not None}
    free = [j for j in range(len(before)) if j not in taken]
    rest = [i for i in range(len(after)) if i not in result]
    matched = match(
        [(before[j], forms[j]) for j in free],
        [after[i] for i in rest],
        default,
        rebase,
    )
    result.update(zip(rest, matched, strict=True))
    return [result[index] for index in range(len(after))]


def match(
    known: Sequence[tuple[Any, Any]],
    elements: Sequence[Any],
    default: Default,
    rebase: Rebase,
) -> list[Any]:
    """Give elements without a trace the forms of known elements, where unambiguous.

    Args:
        known: ``(canonical element, v5 form)`` of the elements before the write
            that no traced element took.
        elements: the canonical elements to give a form, in array order.
        default: the default mapping.
        rebase: applies v4's edit of an element to its form.

    Returns:
        One form per element: first an equal known element's form (all equal ones
        must have the same form; each known element serves once), then the edited
        form of the only known element that is :func:`same_thing` as the element
        when no other element to place is; the default mapping for the others.
    """
    free = list(range(len(known)))
    result: dict[int, Any] = {}
    for index, element in enumerate(elements):
        equal = [j for j in free if known[j][0] == element]
        if equal and all(known[j][1] == known[equal[0]][1] for j in equal):
            free.remove(equal[0])
            result[index] = known[equal[0]][1]
    for index, element in enumerate(elements):
        if index in result:
            continue
        olds = [j for j in free if same_thing(known[j][0], element)]
        alike = [
            k
            for k, other in enumerate(elements)
            if k not in result and same_thing(element, other)
        ]
        if len(olds) == 1 and len(alike) == 1:
            free.remove(olds[0])
            old, form = known[olds[0]]
            result[index] = rebase(form, old, element)
    return [
        result[index] if index in result else default(element)
        for index, element in enumerate(elements)
    ]
