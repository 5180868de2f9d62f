"""Property-test a toy TMF630 engine against tmf683's reference semantics.

The toy engine answers only equality on top-level text attributes
(``status=open&reason=billing``, also written ``status.eq=open``). The property test
draws PartyInteractions with :func:`tmf683.testing.party_interactions`, queries the
toy understands with :func:`tmf683.testing.query_strings`, and requires the toy to
select exactly the documents :func:`tmf683.testing.matches` selects. Then a subtly
wrong variant (case-insensitive) is shown to be caught. Needs ``tmf683[testing]``.

Run it as a script (``python examples/property_test_toy_engine.py``) or with pytest.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from tmf683 import MemoryStore, PartyInteractionService
from tmf683.testing import matches, party_interactions, query_strings

TOP_LEVEL_TEXTS = ["status", "direction", "reason", "description"]


def toy_filter(
    query_string: str, documents: list[dict[str, Any]], *, fold_case: bool = False
) -> list[dict[str, Any]]:
    """Keep the documents whose top-level texts equal every ``name=value`` asked."""
    wanted: dict[str, str] = {}
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, raw = part.partition("=")
        name = name.removesuffix(".eq").removesuffix(".EQ")
        value = unquote(raw)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        wanted[name] = value

    def same(stored: object, value: str) -> bool:
        if fold_case and isinstance(stored, str):
            return stored.casefold() == value.casefold()
        return stored == value

    return [d for d in documents if all(same(d.get(n), v) for n, v in wanted.items())]


toy_queries = query_strings(
    paths=TOP_LEVEL_TEXTS, operators=["eq"], alternatives=False, controls=False
)


def agreement(fold_case: bool) -> Any:
    """The property: the toy selects what the reference selects."""

    @settings(max_examples=200, deadline=None, database=None)
    @given(st.lists(party_interactions(), max_size=6), toy_queries)
    def toy_agrees_with_the_reference(
        bodies: list[dict[str, Any]], query_string: str
    ) -> None:
        service = PartyInteractionService(MemoryStore())
        stored: list[dict[str, Any]] = [service.create(body) for body in bodies]
        expected = [d for d in stored if matches(query_string, d)]
        actual = toy_filter(query_string, stored, fold_case=fold_case)
        if actual != expected:
            raise AssertionError(f"{query_string}: {actual} != {expected}")

    return toy_agrees_with_the_reference


def test_the_toy_engine_agrees_with_the_reference() -> None:
    """Pytest entry point: the toy engine is right on equality."""
    agreement(fold_case=False)()


def test_a_case_insensitive_engine_is_caught() -> None:
    """Pytest entry point: the strategies find a wrong engine."""
    try:
        agreement(fold_case=True)()
    except AssertionError:
        return
    raise AssertionError("a case-insensitive engine went unnoticed")


if __name__ == "__main__":
    test_the_toy_engine_agrees_with_the_reference()
    print("toy engine agrees with tmf683.testing.matches")
    test_a_case_insensitive_engine_is_caught()
    print("a case-insensitive variant is caught")
