"""The literals a pattern requires: never stronger than RE2 (hypothesis), and useful."""

from __future__ import annotations

import os

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
