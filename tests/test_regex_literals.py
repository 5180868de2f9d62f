"""The literals a pattern requires: never stronger than RE2 (hypothesis), and useful."""

from __future__ import annotations

import os

import pytest
import re2
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tmf683.query.literals import All, Any, Literal, required, satisfied
from tmf683.query.regex import compile_pattern

_ALPHABET = "abkAB.-\u212a\u017f"
"""Few characters, so that patterns match often; the Kelvin sign and the long s
fold to k and s under RE2's (?i)."""

_CHARS = st.sampled_from(["a", "b", "k", "s", "A", "B", "K", "S", "-", "\\.", "é"])


def _patterns() -> st.SearchStrategy[str]:
    atoms = st.one_of(
        _CHARS,
        st.sampled_from([".", "[ab]", "[^a]", "\\d", "\\w", "^", "$", "\\b"]),
        st.sampled_from(["\\Qa.b\\E", "\\x41", "\\x{6b}", "[[:alpha:]]", "\\pL"]),
    )

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.lists(inner, min_size=1, max_size=5).map("".join),
            st.lists(inner, min_size=2, max_size=3).map("|".join),
            st.tuples(
                inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "+?"])
            ).map(lambda pair: f"(?:{pair[0]}){pair[1]}"),
            inner.map(lambda body: f"({body})"),
            inner.map(lambda body: f"(?i:{body})"),
            inner.map(lambda body: f"(?i){body}"),
            inner.map(lambda body: f"(?-i:{body})"),
            inner.map(lambda body: f"(?P<n>{body})"),
        )

    return st.recursive(atoms, grow, max_leaves=12)


def _texts() -> st.SearchStrategy[str]:
    return st.text(alphabet=_ALPHABET + "sSé", max_size=20)


def _valid(pattern: str) -> bool:
    try:
        compile_pattern(pattern)
    except Exception:
        return False
    return True


@settings(max_examples=int(os.environ.get("LITERAL_EXAMPLES", "600")))
@given(pattern=_patterns(), texts=st.lists(_texts(), min_size=1, max_size=8))
@example(pattern="(?i)kab", texts=["\u212aab"])
@example(pattern="a(?i)bbb|aaa", texts=["AAA"])
@example(pattern="(?:ab)+aab", texts=["abababaab"])
def test_a_text_re2_matches_meets_the_requirement(
    pattern: str, texts: list[str]
) -> None:
    if not _valid(pattern):
        return
    requirement = required(pattern)
    if requirement is None:
        return
    compiled = re2.compile(pattern)
    for text in texts:
        if compiled.search(text):
            assert satisfied(requirement, text), (pattern, text, requirement)


@given(pattern=_patterns())
def test_every_literal_has_three_characters(pattern: str) -> None:
    requirement = required(pattern)

    def literals(node: object) -> list[Literal]:
        if isinstance(node, Literal):
            return [node]
        assert isinstance(node, All | Any)
        return [item for part in node.parts for item in literals(part)]

    if requirement is not None:
        assert all(len(item.text) >= 3 for item in literals(requirement))


def test_literals_around_a_gap_are_both_required() -> None:
    assert required("abc.*def") == All((Literal("abc"), Literal("def")))


def test_an_alternation_gives_a_choice() -> None:
    assert required("(foo|bar)xyz") == All(
        (Any((Literal("bar"), Literal("foo"))), Literal("xyz"))
    ) or required("(foo|bar)xyz") == Any((Literal("barxyz"), Literal("fooxyz")))


def test_case_insensitive_literals_are_folded_and_marked() -> None:
    assert required("(?i)HeLLo") == Literal("hello", nocase=True)


def test_case_insensitive_k_and_s_break_a_literal() -> None:
    assert required("(?i)kiss") is None
    assert required("(?i)status") == Literal("tatu", nocase=True)


def test_short_or_unread_patterns_scan() -> None:
    for pattern in ("ab", ".*", "a|bcd", "\\1abc", "a{,2}bcd", "[a-z]+"):
        assert required(pattern) is None, pattern


def test_classes_and_escapes_do_not_join_literals() -> None:
    assert required("[[:alpha:]]abc\\d") == Literal("abc")
    assert required("\\Qa.b*\\E") == Literal("a.b*")
    assert required("x+yz") == Literal("xyz")


# Syntax the reader gives up on (the caller then scans): unbalanced or unread.
_UNREAD = [
    "(abc",  # a group never closed
    "abc{2",  # a repetition never closed
    "*abc",  # a quantifier with nothing to repeat
    "(?P<nameabc)",  # a group name never closed
    "(?=abc)",  # a look-ahead (not RE2 either)
    "abc\\x{zz}",  # hex digits that are none
    "abc\\p{Greek",  # a class name never closed
    "abc)",  # an unbalanced ")"
    "abc\\1",  # a back-reference
]


@pytest.mark.parametrize("pattern", _UNREAD)
def test_syntax_it_does_not_read_means_scan(pattern: str) -> None:
    assert required(pattern) is None


# Patterns read in full: what they require, and a text RE2 matches that meets it.
_READ = [
    ("\\p{Greek}abc", Literal("abc"), "λabc"),
    ("\\tabc", Literal("\tabc"), "x\tabc"),
    ("[]a]bcd", Literal("bcd"), "]bcd"),
    ("[\\p{L}\\d]xyz", Literal("xyz"), "7xyz"),
    ("(?s:abc)", Literal("abc"), "abc"),
    ("(?i-i:abc)", Literal("abc"), "abc"),
    ("(a.b)?xyz", Literal("xyz"), "xyz"),
    ("abc.*def", All((Literal("abc"), Literal("def"))), "abc--def"),
]


@pytest.mark.parametrize(("pattern", "wanted", "text"), _READ)
def test_patterns_read_in_full(pattern: str, wanted: object, text: str) -> None:
    found = required(pattern)
    assert found == wanted
    assert re2.search(pattern, text)
    assert found is not None
    assert satisfied(found, text)
    assert not satisfied(found, "")


def test_too_many_alternatives_keep_a_weaker_requirement() -> None:
    # 8 x 8 x 8 exact texts are more than the reader multiplies out
    pattern = "(a|b|c|d|e|f|g|h)(a|b|c|d|e|f|g|h)(a|b|c|d|e|f|g|h)xyz"
    found = required(pattern)
    assert found is not None
    assert satisfied(found, "abcxyz")
    assert re2.search(pattern, "hhhxyz")
    assert satisfied(found, "hhhxyz")


def test_many_required_literals_are_cut_to_a_few() -> None:
    parts = [f"{c}{c}{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    pattern = ".*".join(parts)
    found = required(pattern)
    assert isinstance(found, All)
    assert 0 < len(found.parts) <= 16
    text = "-".join(parts)
    assert re2.search(pattern, text)
    assert satisfied(found, text)
    assert not satisfied(found, "")


def test_literals_are_split_where_no_engine_can_bind_a_character() -> None:
    from tmf683.storage._sql.text_index import requirement

    # NUL (PostgreSQL refuses it) cuts a literal; pieces under 3 characters go
    assert requirement(["abc\\x00defg"]) == All((Literal("abc"), Literal("defg")))
    assert requirement(["ab\\x00cd"]) is None
    # an OR whose alternative loses every literal has none left to require
    assert requirement(["(abc\\x00|x\\x00y)"]) is None
    wanted = Any((Literal("abc"), Literal("yzz")))
    assert requirement(["(abc\\x00|x\\x00y)zz"]) == wanted
    # an AND keeps the parts that still have one
    assert requirement(["a\\x00b.*defg"]) == All((Literal("defg"),))
    # one pattern without a literal: the OR of the patterns requires none
    assert requirement(["abcd", "x.y"]) is None
    assert requirement([]) is None
