"""Regular expressions for ``.regex`` filters, in linear time (RE2).

A client's pattern runs against every candidate value; Python's backtracking engine
would let one pattern such as ``(a+)+$`` hold a worker for minutes. RE2 matches in
time linear in the text, and patterns are bounded in length. Matching is a search
(anywhere in the text; anchor with ``^`` and ``$``), case-sensitive.

Linear is not cheap: a pattern whose automaton outgrows RE2's memory (``a.{99}c``)
runs on its slow engine at about 1-2 s per MB of text. A caller with a deadline runs
its searches :func:`guarded` by it, so that its clock is read before each search,
not only between rows or elements: a query or patch then stops within one search
(a text is at most 1 MiB, the body limit) of its deadline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import re2

from tmf683._errors import RegexError

MAX_PATTERN_LENGTH = 256
"""Longest pattern accepted, in characters."""

MAX_REPEAT = 100
"""Largest count in ``{n}``/``{n,m}``: larger counts blow up RE2's automaton and push
it onto its slow engine."""

_COUNTED_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")


_GUARD: ContextVar[Callable[[], None] | None] = ContextVar(
    "tmf683_regex_guard", default=None
)


@contextmanager
def guarded(check: Callable[[], None]) -> Iterator[None]:
    """Call ``check`` before every :func:`search` made inside the block.

    Args:
        check: raises to stop the work, e.g. a deadline's check raising
            :class:`~tmf683.QueryTimeoutError`; it is called on the thread (and
            context) doing the search, SQLite's registered function included.
    """
    token = _GUARD.set(check)
    try:
        yield
    finally:
        _GUARD.reset(token)


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """Compile a pattern with RE2.

    Args:
        pattern: RE2 syntax (no back-references or look-around).

    Returns:
        The compiled pattern (cached).

    Raises:
        RegexError: the pattern is longer than :data:`MAX_PATTERN_LENGTH`, repeats
            more than :data:`MAX_REPEAT` times, or is not valid RE2.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"is longer than {MAX_PATTERN_LENGTH} characters")
    for match in _COUNTED_REPEAT.finditer(pattern):
        if any(int(n) > MAX_REPEAT for n in match.groups() if n):
            raise RegexError(f"repeats more than {MAX_REPEAT} times in {match.group()}")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        message = exc.args[0] if exc.args else exc
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise RegexError(f"is not a valid RE2 pattern: {message}") from exc


def search(pattern: str, text: object) -> bool:
    """Tell whether ``text`` is a string containing a match of ``pattern``.

    Args:
        pattern: an RE2 pattern that :func:`compile_pattern` accepts.
        text: the value to test; anything but a string never matches.

    Returns:
        ``True`` on a match.

    Raises:
        Exception: whatever the check of an enclosing :func:`guarded` raises.
    """
    if not isinstance(text, str):
        return False
    check = _GUARD.get()
    if check is not None:
        check()
    return compile_pattern(pattern).search(text) is not None
