"""Speed of ``PostgresStore.put_many`` alone (the write of ``tmf683 import``).

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_put_many.py [--count N]
[--batch-size B]

It makes N stored documents (benchmarks/data.py, checked once beforehand, not
timed), then writes them in batches of B into a fresh PostgreSQL database (on
BENCH_POSTGRES, as bench_transfer.py) three ways: new ids, the same ids again with
``replace=False`` (all skipped) and with ``replace=True`` (all replaced). It prints
records/s by the wall clock, the client's CPU seconds per 1,000 records, and the load
average. Run it with two PYTHONPATHs (two versions of ``src``) in turn to compare
them on one machine state.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_transfer import records
from databases import postgres_database

from tmf683.storage.postgres import PostgresStore


def timed(store: PostgresStore, batches: list[list[dict]], replace: bool) -> str:
    started, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        store.put_many(batch, replace=replace)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    count = sum(map(len, batches))
    return f"{count / wall:,.0f} ({1000 * used / count:.3f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--label", default="this src", help="names the row")
    args = parser.parse_args()
    documents = list(records(args.count))
    size = args.batch_size
    batches = [documents[at : at + size] for at in range(0, len(documents), size)]
    with postgres_database() as url:
        store = PostgresStore(url)
        try:
            new = timed(store, batches, replace=False)
            skip = timed(store, batches, replace=False)
            replace = timed(store, batches, replace=True)
        finally:
            store.close()
    print(
        f"| {args.label} | {args.count:,} | {size} | {new} | {skip} | {replace} "
        f"| {os.getloadavg()[0]:.1f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
