"""Regular expressions for ``.regex`` filters, in linear time (RE2).

A client's pattern runs against every candidate value; Python's backtracking engine
would let one pattern such as ``(a+)+$`` hold a worker for minutes. RE2 matches in
time linear in the text, and patterns are bounded in length. Matching is a search
(anywhere in the text; anchor with ``^`` and ``$``), case-sensitive.
"""

from __future__ import annotations

import re
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
    """
    return isinstance(text, str) and compile_pattern(pattern).search(text) is not None
