"""Which element is which after a write, so that each keeps what only one version says.

A v4 write sees only the canonical (v4) elements, and two elements may look alike to
v4 (the same party ``P1`` as ``customer`` and as ``payer``, or twice as
``customer``) while v5 wrote different data for them (``Ada`` and ``Bob``); a v5
write, likewise, sees elements alike that v4 holds with different extension
attributes. What the writing version cannot see (the kept v5 forms under ``_v5``, or
v4's own data) follows its element in two ways, in this order:

1. **Tracing.** Before a patch applies, each element of an array is a
   :class:`Traced` dict that knows its position before the patch; it is equal to
   the plain element, so ``test`` operations and JSON Patch Query filters see
   nothing of it. JSON Patch ``remove``, ``move`` and edits inside an element keep
   the element object, so its trace; ``copy`` copies it (the copy is a copy of that
   element, the other version's data included). A traced element keeps its own
   form: as it was when the element is unchanged, with the edit applied when it
   keeps its ``id`` and ``@referredType``, else the default mapping.
2. **Matching**, for the elements without a trace (an array written whole by a merge
   patch or a ``replace``, an element ``add``-ed or ``replace``-d): an array written
   back exactly as it was keeps every form in place; otherwise an element takes the
   form of an equal element from before when all equal ones had the same form, and
   the edited form of the one element from before with its ``id`` and
   ``@referredType`` when no other element, before or after, has them. An element
   that could be one of several with different forms is **ambiguous** and gets the
   default mapping: it never shows another element's data.

The functions take the mapping as arguments (``default``, ``rebase``, ``identify``),
so this module knows nothing of either version's names.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

Default = Callable[[Any], Any]
"""A canonical element -> its default v5 form."""
Rebase = Callable[[Any, Any, Any], Any]
"""``(form, old, new)`` -> ``form`` with v4's edit of the element (``old`` ->
``new``, canonical) applied."""


class Traced(dict[str, Any]):
    """A canonical or v5 element that remembers its position before a patch.

    Equal to the plain dict, serialised like it; only its attributes tell it apart,
    and nothing a JSON body holds can make one.

    Attributes:
        origin: the element's index in its array before the patch.
        write: the :attr:`Trace.write` of the patch that made it (a patch may carry
            a traced element elsewhere, where it outlives that patch: a later
            patch takes only its own).
    """

    __slots__ = ("origin", "write")

    def __init__(self, element: Mapping[str, Any], origin: int, write: int) -> None:
        super().__init__(element)
        self.origin = origin
        self.write = write


_WRITES = itertools.count()


@attrs.frozen
class Trace:
    """The traces of one patch: wraps the elements, then reads where each went.

    Attributes:
        write: this patch's number, unique in the process.
    """

    write: int = attrs.field(factory=lambda: next(_WRITES))

    def traced(self, elements: object) -> object:
        """Return ``elements`` with each object a :class:`Traced` one at its index.

        Args:
            elements: an array (anything else is returned as it is).

        Returns:
            A new list (objects wrapped, other items as they are), or ``elements``.
        """
        if not isinstance(elements, list):
            return elements
        return [
            Traced(element, index, self.write)
            if isinstance(element, Mapping)
            else element
            for index, element in enumerate(elements)
        ]

    def origins(self, patched: object, count: int) -> list[int | None]:
        """The position before the patch of each element of a patched array.

        Args:
            patched: the array as the patch left it (elements :class:`Traced` or
                not).
            count: the length of the array as stored after the write (the v4
                model keeps it; another length means the trace says nothing).

        Returns:
            ``count`` items: the :attr:`Traced.origin` of this patch's traces, or
            ``None`` (no trace, or another patch's).
        """
        items = patched if isinstance(patched, list) else []
        if len(items) != count:
            return [None] * count
        return [
            item.origin
            if isinstance(item, Traced) and item.write == self.write
            else None
            for item in items
        ]


Identify = Callable[[Any], tuple[Any, Any]]
"""An element -> the ``(id, @referredType)`` of the thing it names."""


def key(element: Mapping[str, Any]) -> tuple[Any, Any]:
    """What names the thing a canonical element is: ``(id, @referredType)``."""
    return element.get("id"), element.get("@referredType")


def _name(element: object, identify: Identify) -> tuple[Any, Any] | None:
    """``identify(element)`` when it names a thing (an object with an ``id``).

    Two elements with the same name are one thing, perhaps edited.
    """
    if not isinstance(element, Mapping):
        return None
    named = identify(element)
    try:
        hash(named)
    except TypeError:  # an id that is no JSON scalar names nothing
        return None
    return named if named[0] is not None else None


def forms_after_write(
    before: Sequence[Any],
    forms: Sequence[Any],
    after: Sequence[Any],
    traces: Sequence[int | None],
    default: Default,
    rebase: Rebase,
    identify: Identify = key,
) -> list[Any]:
    """The other version's form of each element of an array after a write.

    For a v4 write the elements are canonical and the forms the kept v5 ones; for
    a v5 write the elements are v5 ones and the forms the canonical elements (with
    what only v4 holds).

    Args:
        before: the elements before the write, as the writing version saw them.
        forms: the form each of them had (same length as ``before``).
        after: the elements after the write.
        traces: for each of ``after``, its index in ``before`` when traced, else
            ``None`` (see :meth:`Trace.origins`).
        default: the default mapping of an element to its form.
        rebase: applies the writer's edit of an element to its form.
        identify: the ``(id, @referredType)`` an element names.

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
            and identify(old) == identify(element)
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
        identify,
    )
    result.update(zip(rest, matched, strict=True))
    return [result[index] for index in range(len(after))]


def match(
    known: Sequence[tuple[Any, Any]],
    elements: Sequence[Any],
    default: Default,
    rebase: Rebase,
    identify: Identify = key,
) -> list[Any]:
    """Give elements without a trace the forms of known elements, where unambiguous.

    Args:
        known: ``(element, form)`` of the elements before the write that no traced
            element took.
        elements: the elements to give a form, in array order.
        default: the default mapping.
        rebase: applies the writer's edit of an element to its form.
        identify: the ``(id, @referredType)`` an element names.

    Returns:
        One form per element: first an equal known element's form (all equal ones
        must have the same form; each known element serves once), then the edited
        form of the only known element with the element's ``id`` and
        ``@referredType`` when no other element to place has them; the default
        mapping for the others.
    """
    free = list(range(len(known)))
    result: dict[int, Any] = {}
    for index, element in enumerate(elements):
        equal = [j for j in free if known[j][0] == element]
        if equal and all(known[j][1] == known[equal[0]][1] for j in equal):
            free.remove(equal[0])
            result[index] = known[equal[0]][1]
    named = [_name(element, identify) for element in elements]
    unplaced = Counter(n for i, n in enumerate(named) if i not in result and n)
    by_name: dict[tuple[Any, Any], list[int]] = {}
    for j in free:
        if name := _name(known[j][0], identify):
            by_name.setdefault(name, []).append(j)
    for index, element in enumerate(elements):
        name = named[index]
        if index in result or name is None or unplaced[name] != 1:
            continue
        olds = by_name.get(name, [])
        if len(olds) == 1:
            old, form = known[olds[0]]
            result[index] = rebase(form, old, element)
    return [
        result[index] if index in result else default(element)
        for index, element in enumerate(elements)
    ]
