"""Concurrent creates straight on SQLiteStore: this tree (group commit) beside another.

Run: .venv/bin/python benchmarks/bench_group_commit.py [--before SRC]
     [--threads 1,4,16] [--count N] [--rounds R] [--synchronous full|normal]

Each subject (``tmf683`` from the ``src`` folder ``--before`` names, e.g. a
worktree of main, and from this tree) runs in its own Python process on a fresh
SQLite file preloaded with 1,000 interactions; T threads call
``SQLiteStore.add`` (v4 create bodies of ``benchmarks/data.py``, new ids) until
``--count`` writes are done in all, no HTTP. Prints the medians of the rounds
(the subjects run in turns): writes per second, the process's CPU ms per write
(``time.process_time``, all threads) and, where the tree groups its writes
(``tmf683.storage.sqlite._group``), the mean number of writes per transaction.
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
import json, sys, threading, time
sys.path.insert(0, {benchmarks!r})
from data import interactions
from tmf683 import SQLiteStore
try:
    from tmf683.storage.sqlite import _group
except ImportError:
    _group = None

path, sync = sys.argv[1], sys.argv[4]
threads, count = int(sys.argv[2]), int(sys.argv[3])
store = SQLiteStore(path, synchronous=sync)
bodies = list(interactions(1000 + count))
store.add_many([dict(body, id=f"P{{n}}") for n, body in enumerate(bodies[:1000])])
todo = [dict(body, id=f"N{{n}}") for n, body in enumerate(bodies[1000:])]
groups = [0]
if _group is not None:
    transaction = _group.GroupCommit._transaction
    def counted(self, group):
        groups[0] += 1
        return transaction(self, group)
    _group.GroupCommit._transaction = counted
lock = threading.Lock()
def writer():
    while True:
        with lock:
            if not todo:
                return
            document = todo.pop()
        store.add(document)
workers = [threading.Thread(target=writer) for _ in range(threads)]
start, cpu = time.perf_counter(), time.process_time()
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({{
    "rate": count / wall,
    "cpu": cpu * 1000 / count,
    "group": count / groups[0] if groups[0] else 1.0,
}}))
"""


def run(
    src: Path, folder: Path, threads: int, count: int, sync: str
) -> dict[str, float]:
    """One subject's figures at ``threads`` writers."""
    path = folder / f"group-{os.getpid()}-{abs(hash(str(src)))}-{threads}.db"
    for tail in ("", "-wal", "-shm"):
        Path(str(path) + tail).unlink(missing_ok=True)
    code = _CHILD.format(benchmarks=str(HERE))
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(threads), str(count), sync],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Parse the options, run the subjects in turns, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another tree's src folder")
    parser.add_argument("--threads", default="1,4,16")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", default="full", choices=("full", "normal"))
    args = parser.parse_args()
    subjects = {"this tree": HERE.parent / "src"}
    if args.before:
        subjects = {"before": args.before.resolve(), **subjects}
    counts = [int(t) for t in args.threads.split(",")]
    found: dict[tuple[str, int], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for threads in counts:
                for name, src in subjects.items():
                    found.setdefault((name, threads), []).append(
                        run(src, Path(folder), threads, args.count, args.synchronous)
                    )
    print(f"load average: {os.getloadavg()}")
    print("| threads | subject | writes/s | CPU ms/write | writes per transaction |")
    print("|---:|---|---:|---:|---:|")
    for (name, threads), rounds in found.items():
        rate, cpu, group = (
            statistics.median(r[key] for r in rounds)
            for key in ("rate", "cpu", "group")
        )
        print(f"| {threads} | {name} | {rate:,.0f} | {cpu:.2f} | {group:.1f} |")


if __name__ == "__main__":
    main()
