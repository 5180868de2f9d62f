"""``TRUNCATE party_interaction`` in a transaction whose snapshot is older than a
committed create (REPEATABLE READ): the kept count must empty too.

``TRUNCATE`` removes every row whatever the snapshot; the trigger's ``DELETE`` of
the count rows read the transaction's snapshot and left the rows of every write
committed after it: the unfiltered count said 1 for an empty table.
"""

from __future__ import annotations

import psycopg

from tmf683 import PostgresStore, parse_query
from tmf683.storage.postgres._counts import COUNTED


def test_a_truncate_at_repeatable_read_empties_the_kept_count(postgres_databases):
    url = postgres_databases.create()
    store = PostgresStore(url)
    try:
        with psycopg.connect(url) as truncating:
            truncating.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            truncating.execute("SELECT 1")  # the snapshot, before the create
            store.add({"id": "A"})
            truncating.execute("TRUNCATE party_interaction CASCADE")
        with psycopg.connect(url) as conn:
            kept = conn.execute(COUNTED).fetchone()
            rows = conn.execute("SELECT count(*) FROM party_interaction").fetchone()
        assert rows == (0,)
        assert kept is not None
        assert int(kept[0]) == 0
        assert store.find(parse_query("limit=1")).total_count == 0
        store.add({"id": "B"})
        assert store.find(parse_query("limit=1")).total_count == 1
    finally:
        store.close()
