"""The literal substrings every match of an RE2 pattern contains (a prefilter).

:func:`required` reads a pattern and returns an AND/OR structure of literals such
that **every text the pattern matches satisfies it** (``abc.*def`` needs ``abc``
and ``def``; ``(foo|bar)x`` needs ``foo`` or ``bar``: ``x`` is too short to use). A
store tests the structure through a trigram index to find candidate texts, then
runs RE2 on the candidates only, so results stay exactly RE2's. The structure may
be weaker than the pattern (a superset of candidates), never stronger.

The parser is this module's own and small: it understands the RE2 syntax listed
in :func:`required` and gives up (``None``: scan every text) on anything else, so
a pattern it misreads cannot exist. Under ``(?i)`` a literal is lowercased and
marked ``nocase``; it keeps only ASCII characters whose RE2 case folding stays in
ASCII (a letter other than ``k`` and ``s``, which also match the Kelvin sign and the
long s): any other character breaks the literal there. A store then tests a
``nocase`` literal with ASCII case folding (or a broader one).

No piece of 3 or more characters (:data:`MIN_LENGTH`) means ``None``: the
pattern scans.

The structure's types and its test of a text (``satisfied``) are
:mod:`tmf683.query.requirements`'s; they are importable from here as well.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from tmf683.query.requirements import ALWAYS, all_of, any_of, weaken
from tmf683.query.requirements import All as All
from tmf683.query.requirements import Any as Any
from tmf683.query.requirements import Literal as Literal
from tmf683.query.requirements import Requirement as Requirement
from tmf683.query.requirements import satisfied as satisfied

MIN_LENGTH = 3
"""The shortest literal worth a trigram lookup."""

_MAX_EXACT = 16
"""Most alternative exact strings tracked for one subpattern."""


class _GiveUp(Exception):
    """The pattern uses syntax this module does not read."""


@attrs.frozen
class _Info:
    """What a subpattern implies: its exact strings if few, and a requirement."""

    exact: frozenset[Literal] | None
    need: Requirement = ALWAYS
    open_end: bool = False
    """The text matched is ``exact`` repeated (``x+``): a string of ``exact``
    starts it and one ends it, with anything between."""


def _exact_need(exact: frozenset[Literal]) -> Requirement:
    """The requirement of a set of exact strings: one of them (if all are long)."""
    if any(len(item.text) < MIN_LENGTH for item in exact):
        return ALWAYS
    ordered: list[Literal] = sorted(exact, key=lambda item: (item.text, item.nocase))
    return any_of(ordered)


def _need(info: _Info) -> Requirement:
    if info.exact is None:
        return info.need
    return all_of([info.need, _exact_need(info.exact)])


def _concat(left: _Info, right: _Info) -> _Info | None:
    """Both exact: their products (``None`` when too many)."""
    if left.exact is None or right.exact is None:
        return None
    if len(left.exact) * len(right.exact) > _MAX_EXACT:
        return None
    joined = frozenset(_join(a, b) for a in left.exact for b in right.exact)
    return _Info(joined, all_of([left.need, right.need]))


def _join(a: Literal, b: Literal) -> Literal:
    nocase = a.nocase or b.nocase
    text = a.text + b.text
    return Literal(text.lower() if nocase else text, nocase)


def _alternate(branches: list[_Info]) -> _Info:
    if all(branch.exact is not None and not branch.open_end for branch in branches):
        union: frozenset[Literal] = frozenset().union(
            *(branch.exact or () for branch in branches)
        )
        needs = {branch.need for branch in branches}
        if len(union) <= _MAX_EXACT and needs == {ALWAYS}:
            return _Info(union)
    return _Info(None, any_of(_need(branch) for branch in branches))


_EMPTY = _Info(frozenset({Literal("")}))
_ANY_CHAR = _Info(None)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_ZERO_WIDTH = frozenset("bBAz")
_CLASSES = frozenset("dDwWsSC")
_SPECIAL = frozenset("\\.+*?()|[]{}^$")
_FOLD_SAFE = frozenset("abcdefghijlmnopqrtuvwxyz")
"""Letters whose RE2 case folding gives only their ASCII upper case."""


class _Parser:
    """A recursive-descent reader of the RE2 syntax :func:`required` lists."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.at = 0

    def peek(self) -> str:
        return self.pattern[self.at] if self.at < len(self.pattern) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise _GiveUp
        self.at += 1
        return char

    def alternation(self, nocase: bool) -> _Info:
        """Branches; flags set in one (``a(?i)b|c``) hold to the group's end."""
        info, nocase = self.sequence(nocase)
        branches = [info]
        while self.peek() == "|":
            self.at += 1
            info, nocase = self.sequence(nocase)
            branches.append(info)
        return _alternate(branches) if len(branches) > 1 else branches[0]

    def sequence(self, nocase: bool) -> tuple[_Info, bool]:
        """A concatenation: runs of exact strings, ANDed where a run breaks."""
        run, parts = _EMPTY, []
        while self.peek() not in ("", "|", ")"):
            if self.pattern.startswith("(?", self.at) and (flags := self.flags_alone()):
                nocase = flags(nocase)
                continue
            atom = self.repeated(nocase)
            closed = attrs.evolve(atom, open_end=False)
            joined = _concat(run, closed)
            if joined is None:
                parts += [_need(run), atom.need]
                run = _EMPTY if atom.exact is None else closed
            elif atom.open_end:  # x+: one x ends the run, another starts the next
                parts.append(_need(joined))
                run = closed
            else:
                run = joined
        if not parts:
            return run, nocase
        return _Info(None, all_of([*parts, _need(run)])), nocase

    def flags_alone(self) -> Callable[[bool], bool] | None:
        """Read ``(?flags)`` (flags for the rest of the group), if there."""
        end = self.pattern.find(")", self.at)
        body = self.pattern[self.at + 2 : end] if end > 0 else ""
        if not body or any(char not in "imsU-" for char in body):
            return None
        self.at = end + 1
        return _flag_setter(body)

    def repeated(self, nocase: bool) -> _Info:
        info = self.atom(nocase)
        while True:
            char = self.peek()
            if char in ("*", "?"):
                self.at += 1
                info = _optional(info) if char == "?" else _ANY_CHAR
            elif char == "+":
                self.at += 1
                info = _at_least_once(info)
            elif char == "{":
                low = self.counted()
                info = _at_least_once(info) if low > 0 else _ANY_CHAR
            else:
                return info
            if self.peek() == "?":  # non-greedy: the same strings
                self.at += 1

    def counted(self) -> int:
        end = self.pattern.find("}", self.at)
        if end < 0:
            raise _GiveUp
        low, _, high = self.pattern[self.at + 1 : end].partition(",")
        if not low.isdigit() or not (high == "" or high.isdigit()):
            raise _GiveUp
        self.at = end + 1
        return int(low)

    def atom(self, nocase: bool) -> _Info:
        char = self.take()
        if char == "(":
            return self.group(nocase)
        if char == "[":
            self.char_class()
            return _ANY_CHAR
        if char == ".":
            return _ANY_CHAR
        if char in ("^", "$"):
            return _EMPTY
        if char == "\\":
            return self.escape(nocase)
        if char in _SPECIAL:
            raise _GiveUp  # a quantifier with nothing to repeat, a lone brace
        return _char(char, nocase)

    def group(self, nocase: bool) -> _Info:
        if self.pattern.startswith("?", self.at):
            end = self.pattern.find(":", self.at)
            head = self.pattern[self.at + 1 : end] if end > 0 else ""
            if self.pattern.startswith(("?P<", "?<"), self.at):
                close = self.pattern.find(">", self.at)
                if close < 0:
                    raise _GiveUp
                self.at = close + 1
            elif end > 0 and all(char in "imsU-" for char in head):
                nocase = _flag_setter(head)(nocase) if head else nocase
                self.at = end + 1
            else:
                raise _GiveUp
        info = self.alternation(nocase)
        if self.take() != ")":
            raise _GiveUp
        return info

    def escape(self, nocase: bool) -> _Info:
        char = self.take()
        if char in _ZERO_WIDTH:
            return _EMPTY
        if char in _CLASSES:
            return _ANY_CHAR
        if char in ("p", "P"):
            if self.take() == "{":
                self.skip_past("}")
            return _ANY_CHAR
        if char == "Q":
            end = self.pattern.find("\\E", self.at)
            end = len(self.pattern) if end < 0 else end
            text, self.at = self.pattern[self.at : end], min(end + 2, len(self.pattern))
            info: _Info | None = _EMPTY
            for item in text:
                atom = _char(item, nocase)
                info = _concat(info, atom) if info and atom.exact else None
            return info or _ANY_CHAR
        if char in _ESCAPES:
            return _char(_ESCAPES[char], nocase)
        if char == "x":
            return _char(chr(self.hex_code()), nocase)
        if not char.isascii() or char.isalnum():
            raise _GiveUp  # octal, back-references, anything unknown
        return _char(char, nocase)

    def hex_code(self) -> int:
        if self.peek() == "{":
            start = self.at + 1
            self.skip_past("}")
            digits = self.pattern[start : self.at - 1]
        else:
            digits = self.pattern[self.at : self.at + 2]
            self.at += 2
        try:
            return int(digits, 16)
        except ValueError:
            raise _GiveUp from None

    def skip_past(self, end: str) -> None:
        found = self.pattern.find(end, self.at)
        if found < 0:
            raise _GiveUp
        self.at = found + len(end)

    def char_class(self) -> None:
        """Skip a ``[...]`` class (RE2: a leading ``]`` is a member)."""
        if self.peek() == "^":
            self.at += 1
        if self.peek() == "]":
            self.at += 1
        while True:
            char = self.take()
            if char == "]":
                return
            if char == "\\":
                escaped = self.take()
                if escaped in ("p", "P", "x") and self.peek() == "{":
                    self.skip_past("}")
            elif char == "[" and self.peek() == ":":
                self.skip_past(":]")


def _flag_setter(flags: str) -> Callable[[bool], bool]:
    on, _, off = flags.partition("-")
    if "i" in off:
        return lambda nocase: False
    if "i" in on:
        return lambda nocase: True
    return lambda nocase: nocase


def _at_least_once(info: _Info) -> _Info:
    if info.exact is None:
        return info
    return _Info(info.exact, info.need, open_end=True)


def _optional(info: _Info) -> _Info:
    if info.exact is not None and not info.open_end and len(info.exact) < _MAX_EXACT:
        return _Info(info.exact | {Literal("")})
    return _ANY_CHAR


def _char(char: str, nocase: bool) -> _Info:
    if not nocase or (char.isascii() and not char.isalpha()):
        return _Info(frozenset({Literal(char, nocase)}))
    if char.lower() in _FOLD_SAFE:
        return _Info(frozenset({Literal(char.lower(), True)}))
    return _ANY_CHAR  # folds beyond ASCII: no literal through it


def required(pattern: str) -> Requirement | None:
    r"""The literals every text ``pattern`` matches contains, or ``None`` (scan).

    Reads: literal characters; escapes of punctuation, ``\n \t \r \f \v \a``,
    ``\xHH`` and ``\x{H...}``, ``\Q...\E``; ``.``, classes ``[...]``, ``\d \w
    \s \D \W \S \C \pX \p{Name}`` (any one character); anchors ``^ $ \A \z \b
    \B``; groups ``(...)``, ``(?:...)``, ``(?P<name>...)``, ``(?<name>...)``, flags
    ``(?imsU-imsU)`` and ``(?flags:...)``; ``|``; repetitions ``* + ? {n} {n,}
    {n,m}`` (also non-greedy). Anything else gives ``None``.

    Args:
        pattern: an RE2 pattern (the caller has compiled it, so it is valid RE2).

    Returns:
        A :data:`~tmf683.query.requirements.Requirement` whose literals are each
        at least :data:`MIN_LENGTH` characters, or ``None`` when the pattern needs
        none such (or is not read).
    """
    parser = _Parser(pattern)
    try:
        info = parser.alternation(False)
        if parser.at != len(pattern):
            raise _GiveUp  # an unbalanced ")"
    except _GiveUp:
        return None
    requirement = weaken(_need(info))
    return None if requirement == ALWAYS else requirement
