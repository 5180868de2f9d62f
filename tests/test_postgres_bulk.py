"""PostgresStore.put_many by COPY (storage/postgres/_bulk.py), on a real database."""

from __future__ import annotations

import pytest

from tests import postgres
from tests.conftest import MINIMAL
from tmf683 import PartyInteractionService, ValidationError
from tmf683.query.ast import Query
from tmf683.storage.postgres import PostgresStore

# texts COPY's text format must escape, and a float jsonb must keep exactly
AWKWARD = {
    "description": 'back\\slash \\N tab\there\nnew line\r\x7f é 𝄞 "quoted"',
    "_v5": {"attributes": {"ratio": 0.1, "big": 2**70, "whole": 3.0, "none": None}},
}


def doc(id, **extra):
    return {"id": id, **MINIMAL, **extra}


@pytest.fixture
def store(postgres_url):
    postgres.empty(postgres_url)
    opened = PostgresStore(postgres_url, min_connections=1, max_connections=1)
    yield opened
    opened.close()


def ids(store):
    return [d["id"] for batch in store.scan(Query()) for d in batch]


def test_a_batch_of_stored_and_new_ids_skips_the_stored_ones(store):
    store.add_many([doc(f"S{n}", status="stored") for n in range(1, 10, 2)])
    batch = [doc(f"S{n}" if n % 2 else f"N{n}", status="put") for n in range(10)]
    assert store.put_many(batch) == 5
    assert ids(store) == [f"S{n}" for n in range(1, 10, 2)] + [
        f"N{n}" for n in range(0, 10, 2)
    ]
    assert {store.get(f"S{n}")["status"] for n in range(1, 10, 2)} == {"stored"}
    assert {store.get(f"N{n}")["status"] for n in range(0, 10, 2)} == {"put"}


def test_a_batch_of_stored_and_new_ids_replaces_the_stored_ones(store):
    store.add_many([doc(f"S{n}", channel=[{"id": "old"}]) for n in range(11)])
    batch = [
        doc(f"S{n}" if n % 2 else f"N{n}", channel=[{"id": "new"}], **AWKWARD)
        for n in range(10)
    ]
    assert store.put_many(batch, replace=True) == 10
    for n in range(10):
        id = f"S{n}" if n % 2 else f"N{n}"
        got = store.get(id)
        assert dict(got) == doc(id, channel=[{"id": "new"}], **AWKWARD)
        assert got.version == (2 if n % 2 else 1)
    assert store.get("S0").version == 1
    assert store.get("S10").version == 1
    service = PartyInteractionService(store)
    assert service.list("channel.id=old").total_count == 6
    assert service.list("channel.id=new").total_count == 10
    assert service.list(f"description={AWKWARD['description']}").total_count == 10


def test_a_new_document_goes_in_as_it_was(store):
    assert store.put_many([doc("A", **AWKWARD)]) == 1
    assert dict(store.get("A")) == doc("A", **AWKWARD)
    assert type(store.get("A")["_v5"]["attributes"]["whole"]) is float


def test_a_batch_postgres_refuses_writes_nothing_and_the_next_one_works(store):
    store.add_many([doc("S", status="stored")])
    refused = [doc("N1"), doc("S", status="put"), doc("N2", description="nul\x00")]
    with pytest.raises(ValidationError):
        store.put_many(refused, replace=True)
    assert ids(store) == ["S"]
    assert store.get("S")["status"] == "stored"
    # the staging table of the failed batch went with its transaction
    assert store.put_many([doc("S", status="put"), doc("N1")], replace=True) == 2
    assert store.get("S")["status"] == "put"
    assert ids(store) == ["S", "N1"]


def test_the_staging_rows_last_one_batch(store):
    store.put_many([doc("A")])
    store.put_many([doc("A")], replace=True)
    with store._connections.transaction() as conn:  # the pool's one connection
        staged = conn.execute("SELECT count(*) FROM tmf683_put_many").fetchone()
    assert staged == (0,)
