"""v5 queries on data only v5 names: answered over a batched scan of the store.

The oracle is the reference evaluator over every v5 view at once (what the service
did before, holding the whole table in memory); the scan must give the same page
and count on every store, whatever the batch size, with and without a party
restriction.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.postgres import delete_documents
from tests.test_v5 import V5_QUERIES, services, v5_bodies
from tmf683 import MemoryStore, SQLiteStore, parse_query
from tmf683._visibility import restrict
from tmf683.query.ast import Query
from tmf683.query.evaluate import matches, select
from tmf683.testing import party_interactions
from tmf683.versions.v5query import V5_PARTY_INTERACTION_SCHEMA
from tmf683.versions.v5scan import select_by_scan
from tmf683.versions.v5service import V5_BASE_PATH


@pytest.mark.slow
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(v5_bodies(), min_size=1, max_size=5),
    st.lists(party_interactions(), max_size=3),
    V5_QUERIES,
    st.integers(1, 4),
    st.sampled_from([None, "a", "P"]),
)
def test_the_scan_equals_the_evaluator_over_every_view(
    tmp_path_factory,
    postgres_for_properties,
    v5_written,
    v4_written,
    query,
    batch,
    party,
):
    pg, conn = postgres_for_properties
    delete_documents(conn)
    folder = tmp_path_factory.mktemp("scan")
    sqlite = SQLiteStore(folder / "s.db")
    try:
        for store in (MemoryStore(), sqlite, pg):
            v4, v5 = services(store)
            for body in v5_written:
                v5.create(body)
            for body in v4_written:
                v4.create(body)
            parsed = parse_query(query, schema=V5_PARTY_INTERACTION_SCHEMA)
            visible = restrict(Query(), party)
            stored = list(store.find(Query()).items)
            every = [
                v5.retrieve(d["id"]) for d in stored if matches(d, visible.conditions)
            ]

            def view(document, v5=v5):
                return v5.retrieve(document["id"])

            expected = select(every, parsed)
            found = select_by_scan(store, visible, parsed, view, batch_size=batch)
            assert found == expected, type(store).__name__
            assert v5.list(query, party=party).total_count == expected[1]
    finally:
        sqlite.close()
        delete_documents(conn)


def loaded(store, count: int) -> None:
    v4, _ = services(store)
    v4.create_many(
        [
            {"channel": [{"id": "1"}], "direction": "in", "reason": f"r{n}"}
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_v5_only_query_keeps_memory_to_the_page(tmp_path, kind):
    """With 3,000 matches and batches of 500, no batch is larger than asked."""
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "m.db")
    try:
        loaded(store, 3000)
        sizes = [len(batch) for batch in store.scan(Query(), 500)]
        assert sizes == [500] * 6
        _, v5 = services(store)
        page = v5.list("@type=PartyInteraction&sort=-reason&limit=3&offset=2")
        assert page.total_count == 3000
        assert [d["reason"] for d in page.items] == ["r997", "r996", "r995"]
        assert all(d["href"].startswith(V5_BASE_PATH) for d in page.items)
    finally:
        store.close()
