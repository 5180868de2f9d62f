"""What SQLite's ``synchronous=FULL`` (the default) costs against ``NORMAL``.

Run: .venv/bin/python benchmarks/bench_sqlite_sync.py [N] [--threads T]
(default N: 2000 creates, T: 1 and 8 writers)

For each mode it creates N realistic interactions one by one (one transaction each,
as a POST does) through PartyInteractionService into a fresh SQLite file in the
temporary directory (put TMPDIR on the disk you mean to measure), with 1 and with 8
writer threads, and prints creates per second and the ratio normal/full.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import interactions

from tmf683 import PartyInteractionService, SQLiteStore


def creates_per_second(mode: str, count: int, threads: int) -> float:
    with tempfile.TemporaryDirectory() as directory:
        store = SQLiteStore(Path(directory) / "bench.db", synchronous=mode)
        service = PartyInteractionService(store)
        bodies = list(interactions(count))
        shares = [bodies[i::threads] for i in range(threads)]

        def write(share: list[dict[str, object]]) -> None:
            for body in share:
                service.create(body)

        workers = [threading.Thread(target=write, args=(s,)) for s in shares]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        store.close()
        return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=2000)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 8])
    args = parser.parse_args()
    print("| writers | full (creates/s) | normal (creates/s) | normal/full |")
    print("|---|---|---|---|")
    for threads in args.threads:
        full = creates_per_second("full", args.count, threads)
        normal = creates_per_second("normal", args.count, threads)
        print(f"| {threads} | {full:,.0f} | {normal:,.0f} | {normal / full:.2f} |")


if __name__ == "__main__":
    main()
