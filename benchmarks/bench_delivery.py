"""Hub delivery rate against the size of the queue, on a real server and receiver.

Run: .venv/bin/python benchmarks/bench_delivery.py [DB_KIND ...] [--sizes 2000,10000]

DB_KIND is ``sqlite`` (default) or a PostgreSQL URL (an empty database). For each
size N it registers a receiver (tests/receiver.py, on 127.0.0.1) on a server started
with ``--no-dispatcher``, creates N interactions (one create event each), stops that
server, then starts ``tmf683-server`` with its dispatcher on the backlog and times
how long the receiver takes to get all N events. Prints events/s per size, and the
number of repeated ``eventId`` (0 expected). Figures only, no assertion on time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import MINIMAL
from tests.postgres import empty
from tests.receiver import receiving
from tests.servers import ServerProcess


def _post(url: str, body: object) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def run(db: str, size: int) -> tuple[float, int, int]:
    """Events/s draining a backlog of ``size``, events received, repeats."""
    with receiving() as receiver:
        with ServerProcess("--db", db, "--no-dispatcher") as server:
            _post(f"{server.base}hub", {"callback": receiver.url})
            with ThreadPoolExecutor(8) as pool:
                list(
                    pool.map(
                        lambda _: _post(f"{server.base}partyInteraction", MINIMAL),
                        range(size),
                    )
                )
        started = time.perf_counter()
        with ServerProcess("--db", db):
            receiver.wait_for(size, 3600)
            elapsed = time.perf_counter() - started
        counts = Counter(event["eventId"] for event in receiver.events)
        repeats = sum(n - 1 for n in counts.values())
        return size / elapsed, len(receiver.events), repeats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kinds", nargs="*", default=["sqlite"])
    parser.add_argument("--sizes", default="2000,10000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"{'store':<10} {'queued':>8} {'events/s':>9} {'received':>9} {'repeats':>8}")
    for kind in args.kinds:
        for size in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                if kind == "sqlite":
                    db = str(Path(tmp) / "bench.db")
                else:
                    empty(kind)
                    db = kind
                rate, received, repeats = run(db, size)
            name = "sqlite" if kind == "sqlite" else "postgres"
            print(f"{name:<10} {size:>8} {rate:>9.0f} {received:>9} {repeats:>8}")


if __name__ == "__main__":
    main()
