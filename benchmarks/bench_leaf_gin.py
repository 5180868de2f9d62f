"""The leaf index beside PostgreSQL's own jsonb GIN index, on the same database.

Run: .venv/bin/python benchmarks/bench_leaf_gin.py [N]   (default 100000)

Loads N interactions of ``data.interactions(extended=True)`` by ``put_many`` into a
fresh database (BENCH_POSTGRES, see ``databases.py``), then adds a
``jsonb_path_ops`` GIN index on ``document`` and prints, for equality filters of
about 100 matches, the median ms of the count through the leaf index (what the
store runs) and through ``document @> ...`` (the GIN index), and the size of
each index. GIN answers containment only: no ranges, no sort, no text order.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import interactions
from databases import postgres_database

from tmf683 import PostgresStore
from tmf683.storage._sql.leaves import LEAF_TABLE

FILTERS = {
    "relatedParty.name=Team 3": (
        "relatedParty[].name",
        "Team 3",
        {"relatedParty": [{"name": "Team 3"}]},
    ),
    "note.author=agent-3": (
        "note[].author",
        "agent-3",
        {"note": [{"author": "agent-3"}]},
    ),
    "x-campaign=K3": ("x-campaign", "K3", {"x-campaign": "K3"}),
    "reason=callback requested": (
        "reason",
        "callback requested",
        {"reason": "callback requested"},
    ),
}


def median_ms(conn: psycopg.Connection, sql: str, params: list[object]) -> float:
    times = []
    for _ in range(9):
        started = time.perf_counter()
        conn.execute(sql, params).fetchone()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def size(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT pg_relation_size(%s::regclass)", [name]).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with postgres_database() as url:
        store = PostgresStore(url)
        bodies = interactions(count, extended=True)
        for start in range(0, count, 5000):
            store.put_many(
                [
                    {"id": f"B{n}", **next(bodies)}
                    for n in range(start, min(count, start + 5000))
                ]
            )
        store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute(
                "CREATE INDEX gin_doc ON party_interaction "
                "USING gin (document jsonb_path_ops)"
            )
            gin_seconds = time.perf_counter() - started
            conn.execute("VACUUM (ANALYZE)")
            print(f"N = {count:,}")
            table = size(conn, "party_interaction")
            leaf = size(conn, LEAF_TABLE)
            leaf_indexes = sum(
                size(conn, f"{LEAF_TABLE}_{n}_idx") for n in ("text", "number", "seq")
            )
            print(f"documents table: {table / count:,.0f} bytes/interaction")
            print(f"leaf table: {leaf / count:,.0f} bytes/interaction")
            print(f"leaf indexes: {leaf_indexes / count:,.0f} bytes/interaction")
            print(
                f"GIN jsonb_path_ops: {size(conn, 'gin_doc') / count:,.0f} "
                f"bytes/interaction, built in {gin_seconds:.1f} s"
            )
            print("\n| filter | matches | leaf index (ms) | GIN @> (ms) |")
            print("|---|---|---|---|")
            for label, (path, value, contained) in FILTERS.items():
                leaf_sql = (
                    f"SELECT count(*) FROM {LEAF_TABLE} WHERE path = %s AND text = %s"
                )
                gin_sql = (
                    "SELECT count(*) FROM party_interaction WHERE document @> %s::jsonb"
                )
                row = conn.execute(leaf_sql, [path, value]).fetchone()
                matches = row[0] if row else 0
                leaf_ms = median_ms(conn, leaf_sql, [path, value])
                gin_ms = median_ms(conn, gin_sql, [json.dumps(contained)])
                print(f"| {label} | {matches} | {leaf_ms:.2f} | {gin_ms:.2f} |")


if __name__ == "__main__":
    main()
