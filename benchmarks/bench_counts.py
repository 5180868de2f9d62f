"""The unfiltered list's exact count on PostgreSQL, before and after schema 9.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_counts.py DATABASE [--repeat 21]

DATABASE is a database on BENCH_POSTGRES (``databases.py``) holding a store, e.g.
one ``bench_scale.py build --store postgres`` made. Opening it with this tree's
:class:`PostgresStore` upgrades it in place to this tree's schema; run it with
another tree's ``src`` on ``PYTHONPATH`` (before the upgrade) for that tree's
figures. Prints the median milliseconds of ``--repeat`` runs (after one warm-up) of:
``SELECT count(*)`` of the table, the count the store runs for the unfiltered list
(``limit=0``: no page read), the 1000-item page as the HTTP list reads it
(``find_encoded``, count included), the deep page (``offset`` N/2, 100 items),
``status=open&limit=1`` (a filtered count, for comparison); and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import POSTGRES_ADMIN

from tmf683 import PostgresStore, parse_query
from tmf683.storage.postgres._schema import SCHEMA_VERSION


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    url = POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + args.database
    store = PostgresStore(url)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM party_interaction").fetchone()
            total = int(row[0]) if row else 0

            def counted() -> object:
                return conn.execute("SELECT count(*) FROM party_interaction").fetchall()

            cases: list[tuple[str, Callable[[], object]]] = [
                ("SELECT count(*)", counted),
                (
                    "unfiltered count (limit=0)",
                    lambda: store.find(parse_query("limit=0")),
                ),
                (
                    "1000-item page (find_encoded)",
                    lambda: store.find_encoded(parse_query("limit=1000"), ["href"]),
                ),
                (
                    f"deep page (offset={total // 2}&limit=100)",
                    lambda: store.find(parse_query(f"offset={total // 2}&limit=100")),
                ),
                (
                    "status=open&limit=1",
                    lambda: store.find(parse_query("status=open&limit=1")),
                ),
            ]
            load = os.getloadavg()[0]
            print(f"{args.database}: {total:,} interactions, schema {SCHEMA_VERSION}")
            print("| query | median ms |\n| --- | ---: |")
            for label, run in cases:
                print(f"| {label} | {_median_ms(run, args.repeat):.2f} |", flush=True)
            print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
