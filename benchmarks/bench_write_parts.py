"""Where a write's CPU goes on SQLite, in process: this tree beside another.

Run: .venv/bin/python benchmarks/bench_write_parts.py [--before SRC] [--count N]
     [--preload N] [--rounds R] [--synchronous full|normal]

Each subject (``tmf683`` from the ``src`` folder ``--before`` names, e.g. an
archive of main, and from this tree) runs in its own Python process on a fresh
SQLite file preloaded with ``--preload`` interactions (default 1,000). It calls
the Falcon app ``tmf683_falcon.create_app`` builds (v4 and v5 over one store) as
WSGI requests (``falcon.testing``), ``--count`` of each (default 1,000): v4
create (the body of ``benchmarks/bench_http.py``), v4 merge patch of ``status``
(alternating values, on the preloaded ids), then the v5 twins. Timers
(``time.process_time``) around ``SQLiteStore.add``/``update``, the store's
``write_index`` and each ``COMMIT`` give the parts. Prints CPU ms per request,
the medians of the rounds (the subjects run in turns, so that a loaded machine
weighs on both alike).
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
import json, sys, time
sys.path.insert(0, {benchmarks!r})
from data import interactions, v5_create_body
import falcon.testing
import sqlite_utils
from tmf683 import DEFAULT_BASE_PATH, PartyInteractionService, SQLiteStore
from tmf683.versions.v5service import PartyInteractionServiceV5, V5_BASE_PATH
from tmf683_falcon import create_app
import importlib

path, sync = sys.argv[1], sys.argv[4]
preload, count = int(sys.argv[2]), int(sys.argv[3])
store = SQLiteStore(path, synchronous=sync)
service = PartyInteractionService(store)
ids = [d["id"] for d in service.create_many(list(interactions(preload)))]
v5 = PartyInteractionServiceV5(service)
v5_body = v5_create_body(v5.retrieve(ids[0]))
v4_body = next(interactions(1))
client = falcon.testing.TestClient(create_app(service, v5=v5))
parts = {{"store": 0.0, "write_index": 0.0, "commit": 0.0}}

def timed(name, function):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            parts[name] += time.process_time() - start
    return wrapper

SQLiteStore.add = timed("store", SQLiteStore.add)
SQLiteStore.update = timed("store", SQLiteStore.update)
for module_name in ("_store", "_writer"):  # where the tree's writes call it
    try:
        module = importlib.import_module("tmf683.storage.sqlite." + module_name)
    except ImportError:
        continue
    if hasattr(module, "write_index"):
        module.write_index = timed("write_index", module.write_index)
execute = sqlite_utils.Database.execute
def execute_timed(self, sql, *args, **kwargs):
    if sql != "COMMIT":
        return execute(self, sql, *args, **kwargs)
    start = time.process_time()
    try:
        return execute(self, sql, *args, **kwargs)
    finally:
        parts["commit"] += time.process_time() - start
sqlite_utils.Database.execute = execute_timed

def create(base, body):
    def run(n):
        result = client.simulate_post(base + "/partyInteraction", json=body)
        assert result.status_code == 201, result.text
    return run

def patch(base):
    def run(n):
        body = {{"status": "closed" if n % 2 else "open"}}
        result = client.simulate_patch(
            base + "/partyInteraction/" + ids[n % len(ids)], body=json.dumps(body),
            headers={{"Content-Type": "application/merge-patch+json"}},
        )
        assert result.status_code == 200, result.text
    return run

jobs = {{
    "v4 create": create(DEFAULT_BASE_PATH, v4_body),
    "v4 patch": patch(DEFAULT_BASE_PATH),
    "v5 create": create(V5_BASE_PATH, v5_body),
    "v5 patch": patch(V5_BASE_PATH),
}}
out = {{}}
for name, job in jobs.items():
    for n in range(50):
        job(n)
    for key in parts:
        parts[key] = 0.0
    start = time.process_time()
    for n in range(count):
        job(n)
    total = time.process_time() - start
    out[name] = {{"request": total * 1000 / count,
                 **{{k: v * 1000 / count for k, v in parts.items()}}}}
print(json.dumps(out))
"""


Figures = dict[str, dict[str, float]]
"""Per job (``v4 create``...), CPU ms per request and per part."""


def run(src: Path, folder: Path, preload: int, count: int, sync: str) -> Figures:
    """One subject's figures: per job, CPU ms per request and per part."""
    path = folder / f"parts-{os.getpid()}-{abs(hash(str(src)))}.db"
    for tail in ("", "-wal", "-shm"):
        Path(str(path) + tail).unlink(missing_ok=True)
    code = _CHILD.format(benchmarks=str(HERE))
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(preload), str(count), sync],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    result: Figures = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Parse the options, run the subjects in turns, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another tree's src folder")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--preload", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", default="full", choices=("full", "normal"))
    args = parser.parse_args()
    subjects = {"this tree": HERE.parent / "src"}
    if args.before:
        subjects = {"before": args.before.resolve(), **subjects}
    found: dict[str, list[Figures]] = {name: [] for name in subjects}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for name, src in subjects.items():
                found[name].append(
                    run(src, Path(folder), args.preload, args.count, args.synchronous)
                )
    print(f"load average: {os.getloadavg()}")
    print("| job | subject | request | store add/update | write_index | COMMIT |")
    print("|---|---|---:|---:|---:|---:|")
    for job in found[next(iter(subjects))][0]:
        for name, rounds in found.items():
            cells = [
                statistics.median(r[job][part] for r in rounds)
                for part in ("request", "store", "write_index", "commit")
            ]
            print(f"| {job} | {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
