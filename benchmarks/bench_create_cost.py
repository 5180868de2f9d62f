"""The CPU and disk cost of a create on SQLite, this tree beside another.

Run: .venv/bin/python benchmarks/bench_create_cost.py [--before SRC] [--count N]
     [--warm-up N] [--rounds R]

Each subject (``tmf683`` from the ``src`` folder ``--before`` names, e.g. a worktree
of main, and from this tree) runs in its own Python process on a fresh SQLite file
(``synchronous=normal``): ``--warm-up`` creates (default 1,000), then ``--count``
(default 2,000) more through ``PartyInteractionService.create`` with the bodies of
``benchmarks/data.py`` (``extended``). Prints the process CPU time (user + system)
per measured create and the file's bytes (with its WAL, after a checkpoint) per
stored document. The subjects run in turns, ``--rounds`` of each (default 3), and
the medians are printed, so that a loaded machine weighs on both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = """
import json, os, sys, time
sys.path.insert(0, {benchmarks!r})
from data import interactions
from tmf683 import PartyInteractionService, SQLiteStore
path, warm, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = SQLiteStore(path, synchronous="normal")
service = PartyInteractionService(store)
bodies = list(interactions(warm + count, extended=True))
for body in bodies[:warm]:
    service.create(body)
start = time.process_time()
for body in bodies[warm:]:
    service.create(body)
cpu = time.process_time() - start
db = store._db()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
size = sum(
    os.path.getsize(path + tail)
    for tail in ("", "-wal")
    if os.path.exists(path + tail)
)
print(json.dumps({{"cpu_ms": cpu * 1000 / count, "bytes": size / (warm + count)}}))
"""


def run(src: Path, folder: Path, warm: int, count: int) -> dict[str, float]:
    """One subject's figures: ``cpu_ms`` per create, ``bytes`` per document."""
    path = folder / f"cost-{os.getpid()}-{abs(hash(src))}.db"
    for tail in ("", "-wal", "-shm"):
        Path(str(path) + tail).unlink(missing_ok=True)
    code = _CHILD.format(benchmarks=str(HERE))
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(warm), str(count)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    """Parse the options, run the subjects in turns, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another tree's src folder")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--warm-up", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    subjects = {"this tree": HERE.parent / "src"}
    if args.before:
        subjects = {"before": args.before, **subjects}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in subjects}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, src in subjects.items():
                figures[name].append(run(src, Path(tmp), args.warm_up, args.count))
    print(f"{args.count} creates after {args.warm_up}, median of {args.rounds}")
    print(f"{'subject':<10} {'CPU ms/create':>14} {'bytes/document':>15}")
    for name, runs in figures.items():
        cpu = statistics.median(r["cpu_ms"] for r in runs)
        size = statistics.median(r["bytes"] for r in runs)
        print(f"{name:<10} {cpu:>14.3f} {size:>15.0f}")


if __name__ == "__main__":
    main()
