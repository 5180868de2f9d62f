"""Where a write's CPU goes on PostgreSQL, in process: this tree beside another.

Run: .venv/bin/python benchmarks/bench_pg_write_parts.py [--before SRC] [--count N]
     [--preload N] [--rounds R]

The PostgreSQL twin of ``bench_write_parts.py``: each subject (``tmf683`` from the
``src`` folder ``--before`` names, e.g. a worktree of main, and from this tree) runs
in its own Python process on a fresh database (``databases.py``: on
``$BENCH_POSTGRES``, named ``$BENCH_DB_PREFIX`` + 8 hex digits, dropped afterwards)
preloaded with ``--preload`` interactions (default 1,000). It calls the Falcon app
``tmf683_falcon.create_app`` builds (v4 and v5 over one store) as WSGI requests
(``falcon.testing``), ``--count`` of each (default 1,000): v4 create (the body of
``benchmarks/bench_http.py``), v4 merge patch of ``status`` (alternating values, on
the preloaded ids), then the v5 twins. Timers (``time.process_time``: this
process's CPU, not the database's) around ``PostgresStore.add``/``update``, the
statements writing the document and its index rows (``_insert`` or
``_sql.documents.rewrite`` and the index writes before, ``_index.insert`` or
``_index.rewrite`` after: each with its Python work on the rows), the index writes
of their own (whatever of ``write_index``, ``write_leaves``, ``write_texts``,
``delete_leaves`` the subject's ``_store`` module calls: none after, where the one
statement writes them), the documents' encoding
(``document_values``) and each ``COMMIT`` give the parts; the statements a request
sends (``execute``, ``executemany`` and ``COPY`` calls on psycopg cursors) are
counted. The database's CPU (user + system of its backends serving the store, from
``/proc``: the server must run on this host) is read around each job too. Prints
CPU ms per request and statements per request, the medians of the
rounds (the subjects run in turns, so that a loaded machine weighs on both alike).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from databases import postgres_database

_CHILD = """
import json, os, sys, time
sys.path.insert(0, {benchmarks!r})
from data import interactions, v5_create_body
import falcon.testing
import psycopg
from tmf683 import DEFAULT_BASE_PATH, PartyInteractionService, PostgresStore
from tmf683.versions.v5service import PartyInteractionServiceV5, V5_BASE_PATH
from tmf683_falcon import create_app
import tmf683.storage.postgres._store as store_module
from tmf683.storage.postgres._dialect import PostgresDialect
from tmf683.storage._sql import documents

url = sys.argv[1]
preload, count = int(sys.argv[2]), int(sys.argv[3])
store = PostgresStore(url)
service = PartyInteractionService(store)
ids = []
bodies = list(interactions(preload))
for start in range(0, preload, 1000):
    ids += [d["id"] for d in service.create_many(bodies[start : start + 1000])]
v5 = PartyInteractionServiceV5(service)
v5_body = v5_create_body(v5.retrieve(ids[0]))
v4_body = next(interactions(1))
client = falcon.testing.TestClient(create_app(service, v5=v5))
parts = {{"database": 0.0, "store": 0.0, "writes": 0.0, "index": 0.0,
          "encode": 0.0, "commit": 0.0, "statements": 0.0}}

def timed(name, function):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            parts[name] += time.process_time() - start
    return wrapper

def counted(function):
    def wrapper(*args, **kwargs):
        parts["statements"] += 1
        return function(*args, **kwargs)
    return wrapper

Store = store_module.PostgresStore
Store.add_many = timed("store", Store.add_many)
Store.update = timed("store", Store.update)
for name in ("write_index", "write_leaves", "write_texts", "delete_leaves"):
    if hasattr(store_module, name):
        function = timed("writes", timed("index", getattr(store_module, name)))
        setattr(store_module, name, function)
if hasattr(store_module, "_insert"):
    store_module._insert = timed("writes", store_module._insert)
documents.rewrite = timed("writes", documents.rewrite)
if hasattr(store_module, "index"):
    index = store_module.index
    index.insert = timed("writes", index.insert)
    index.rewrite = timed("writes", index.rewrite)
PostgresDialect.document_values = timed("encode", PostgresDialect.document_values)
psycopg.Transaction.__exit__ = timed("commit", psycopg.Transaction.__exit__)
for name in ("execute", "executemany", "copy"):
    setattr(psycopg.Cursor, name, counted(getattr(psycopg.Cursor, name)))

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

watcher = psycopg.connect(url, autocommit=True)
tick = os.sysconf("SC_CLK_TCK")

def database_cpu():
    # CPU seconds of the database's other backends (on this host), from /proc
    pids = [row[0] for row in watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()").fetchall()]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{{pid}}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick

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
    start, database = time.process_time(), database_cpu()
    for n in range(count):
        job(n)
    total = time.process_time() - start
    statements = parts["statements"]  # before the watcher's own statement
    parts["database"] = database_cpu() - database
    parts["statements"] = statements - 1  # the watcher's at the start
    out[name] = {{"request": total * 1000 / count,
                 **{{k: v * 1000 / count for k, v in parts.items()
                    if k != "statements"}},
                 "statements": parts["statements"] / count}}
store.close()
watcher.close()
print(json.dumps(out))
"""

Figures = dict[str, dict[str, float]]
"""Per job (``v4 create``...), CPU ms per request and per part, statements."""

PARTS = (
    "database",
    "request",
    "store",
    "writes",
    "index",
    "encode",
    "commit",
    "statements",
)


def run(src: Path, preload: int, count: int) -> Figures:
    """One subject's figures, on a database of its own."""
    code = _CHILD.format(benchmarks=str(HERE))
    env = {**os.environ, "PYTHONPATH": str(src)}
    with postgres_database() as url:
        out = subprocess.run(
            [sys.executable, "-c", code, url, str(preload), str(count)],
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
    args = parser.parse_args()
    subjects = {"this tree": HERE.parent / "src"}
    if args.before:
        subjects = {"before": args.before.resolve(), **subjects}
    found: dict[str, list[Figures]] = {name: [] for name in subjects}
    for _ in range(args.rounds):
        for name, src in subjects.items():
            found[name].append(run(src, args.preload, args.count))
    print(f"load average: {os.getloadavg()}")
    print(
        "| job | subject | database | request | store add/update "
        "| document and index writes | of which index writes | encoding | COMMIT "
        "| statements |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for job in found[next(iter(subjects))][0]:
        for name, rounds in found.items():
            cells = [statistics.median(r[job][part] for r in rounds) for part in PARTS]
            print(f"| {job} | {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
