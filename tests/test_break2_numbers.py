"""SQL stores agree with the oracle on number filters whose value passes 64 bits.

Stored integers fit in signed 64 bits (validation refuses others), but a query's
integer is kept exact whatever its size (:mod:`tmf683.query.values`), so
``attachment.size.amount.lt=100000000000000000001`` reaches the stores: each must
answer it as the oracle does, not fail binding it.
"""

from __future__ import annotations

from tmf683 import MemoryStore, parse_query
from tmf683.storage.base import PartyInteractionStore

AMOUNTS: list[int | float] = [
    2**63 - 1,
    -(2**63),
    2**53 + 1,
    0,
    1e20,
    2.0**63,
    -(2.0**63),
    1.5e300,
    -1e308,
]

DOCUMENTS = [
    {"id": f"N{n}", "attachment": [{"size": {"amount": amount}}]}
    for n, amount in enumerate(AMOUNTS)
]

BOUNDS = [
    "9223372036854775808",  # 2**63: a float exactly
    "9223372036854775809",  # 2**63 + 1: its float is below
    "-9223372036854775809",  # its float is above (-2**63)
    "100000000000000000000",  # 1e20 exactly
    "100000000000000000001",
    "99999999999999999999",
    "1" + "0" * 400,  # past every float
    "-1" + "0" * 400,
]

QUERIES = [
    f"attachment.size.amount{operator}={bound}"
    for bound in BOUNDS
    for operator in ("", ".ne", ".gt", ".gte", ".lt", ".lte")
]


def test_integers_past_64_bits_in_a_query_agree_with_the_oracle(
    sql_store: PartyInteractionStore,
) -> None:
    oracle = MemoryStore()
    for store in (oracle, sql_store):
        store.add_many(DOCUMENTS)
    for query_string in QUERIES:
        query = parse_query(query_string)
        wanted, found = oracle.find(query), sql_store.find(query)
        assert [d["id"] for d in found.items] == [d["id"] for d in wanted.items], (
            query_string
        )
        assert found.total_count == wanted.total_count, query_string
    equal = oracle.find(parse_query("attachment.size.amount=100000000000000000000"))
    assert [d["id"] for d in equal.items] == ["N4"]
