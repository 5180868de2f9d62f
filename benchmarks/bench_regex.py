"""``regex`` filters on SQLite and PostgreSQL: the trigram prefilter (issue 13).

Run: .venv/bin/python benchmarks/bench_regex.py [--stores sqlite,postgres]
[--label after] [N ...] (default N: 10000 100000)

For each N and store it loads N realistic interactions (benchmarks/data.py) through
the store's create path (``add_many``, 500 per transaction) into a fresh SQLite file
or PostgreSQL database (created on BENCH_POSTGRES, dropped afterwards); one
interaction in N/100 gets a note "Escalated to tier 3, ticket T<n>". It prints the
load time, the size on disk per interaction, and the median time (ms) and exact
count of each query (limit=100), without the stores' query timeout. Run it with
PYTHONPATH pointing at another checkout's ``src`` (e.g. main's, before the index) to
compare: the label says which.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import interactions
from databases import postgres_database

from tmf683 import PostgresStore, SQLiteStore, parse_query

REPEAT = 7
BATCH = 500
QUERIES = {
    "literal, ~100 matches": "note.text.regex=tier 3, ticket T[0-9]+$&limit=100",
    "literal (?i), ~100 matches": "note.text.regex=(?i)TIER 3, TICKET&limit=100",
    "literal + status=open": (
        "note.text.regex=tier 3, ticket T[0-9]+$&status=open&limit=100"
    ),
    "literal, ~5% matches": "reason.regex=^billing&limit=100",
    "no literal (scans)": "note.text.regex=^T[0-9]{2}$&limit=100",
}


def documents(count: int) -> list[dict[str, Any]]:
    every = max(1, count // 100)
    found = []
    for n, body in enumerate(interactions(count)):
        document = {"id": f"PI{n:07d}", **body}
        if n % every == every // 2:
            document["note"] = [
                {
                    "id": "1",
                    "author": "agent",
                    "text": f"Escalated to tier 3, ticket T{n}",
                }
            ]
        found.append(document)
    return found


def size_on_disk(store: Any, path: Path | None) -> int:
    if path is not None:
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    import psycopg

    with psycopg.connect(store.conninfo) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0])


def measure(store: Any, count: int, path: Path | None) -> None:
    docs = documents(count)
    started = time.perf_counter()
    for at in range(0, count, BATCH):
        store.add_many(docs[at : at + BATCH])
    load = time.perf_counter() - started
    if isinstance(store, PostgresStore):
        import psycopg

        with psycopg.connect(store.conninfo, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    size = size_on_disk(store, path)
    print(
        f"  load {load:.1f} s ({count / load:,.0f}/s), "
        f"{size / count:,.0f} bytes/interaction on disk"
    )
    for label, text in QUERIES.items():
        query = parse_query(text)
        total = store.find(query).total_count
        times = []
        for _ in range(REPEAT):
            begun = time.perf_counter()
            store.find(query)
            times.append((time.perf_counter() - begun) * 1000)
        print(f"  {label:<28} {statistics.median(times):9.1f} ms  {total:>6} matches")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("counts", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--label", default="")
    options = parser.parse_args()
    for count in options.counts:
        for kind in options.stores.split(","):
            print(f"{options.label} {kind} N={count:,}", flush=True)
            if kind == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / "bench.db"
                    store: Any = SQLiteStore(path, query_timeout=None)
                    try:
                        measure(store, count, path)
                    finally:
                        store.close()
            else:
                with postgres_database() as url:
                    store = PostgresStore(url, query_timeout=None)
                    try:
                        measure(store, count, None)
                    finally:
                        store.close()
            sys.stdout.flush()


if __name__ == "__main__":
    main()
