"""Hypothesis strategies and the reference query semantics, for property tests.

For teams that build their own TMF630 query engine (a store, a search index, a
gateway) and want to test it against tmf683's, as tmf683 tests its own stores:
draw documents with :func:`party_interactions`, queries with :func:`query_strings`,
and compare the engine's answer with :func:`matches` or :func:`select`::

    from hypothesis import given, strategies as st
    from tmf683.testing import matches, party_interactions, query_strings

    @given(st.lists(party_interactions()), query_strings())
    def test_my_engine_agrees(documents, query_string): ...

Needs Hypothesis: install ``tmf683[testing]``. ``import tmf683`` never imports it.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - tested in a subprocess
    raise ImportError(
        "tmf683.testing needs Hypothesis: install the testing extra, "
        "pip install 'tmf683[testing]' (from a checkout: pip install -e '.[testing]')"
    ) from exc

from tmf683.testing._documents import (
    INSTANTS,
    NUMBERS,
    OFFSETS,
    WORDS,
    date_time_texts,
    instants,
    numbers,
    party_interactions,
)
from tmf683.testing._queries import (
    DATE_TIME_PATHS,
    NUMBER_PATHS,
    OPERATORS,
    PATTERNS,
    SORT_PATHS,
    TEXT_PATHS,
    query_strings,
)
from tmf683.testing._reference import matches, select

__all__ = [
    "DATE_TIME_PATHS",
    "INSTANTS",
    "NUMBERS",
    "NUMBER_PATHS",
    "OFFSETS",
    "OPERATORS",
    "PATTERNS",
    "SORT_PATHS",
    "TEXT_PATHS",
    "WORDS",
    "date_time_texts",
    "instants",
    "matches",
    "numbers",
    "party_interactions",
    "query_strings",
    "select",
]
