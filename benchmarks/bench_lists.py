"""List pages over HTTP before and after issue 13 (no JSON round trip), same run.

Run: .venv/bin/python benchmarks/bench_lists.py [N] [BASE_SRC] [--sqlite-only]

N (default 100000) interactions go into two fresh SQLite files and two fresh
PostgreSQL databases (``BENCH_POSTGRES``, see ``databases.py``), each written by the
code of the server that serves it (the trees may have other schema versions: the
commit before the list work, 0f0eec8, has SQLite schema 4); ``--sqlite-only``
leaves PostgreSQL out. For each store two ``tmf683-server`` processes serve the
same data: BEFORE runs the code under BASE_SRC (default ``/tmp/lists-base/src``:
``git archive 0f0eec8 | tar -x -C /tmp/lists-base``), AFTER this tree's. wrk
(``apt-get install wrk``; 2 threads, 16 connections, 10 s, a 60 s timeout) drives
each in turn, the two servers of a row one right after the other, for the default
1000-item page, the same page with ``fields=``, and ``status=open&limit=100``.
Before measuring, the body of every endpoint is checked to be the same bytes from
both servers (on PostgreSQL the same size and values: the key order is ``jsonb``'s
before schema version 8). Prints requests/s, p50 and p99, the AFTER/BEFORE ratio,
each server process's CPU milliseconds per request (user + system, from /proc;
PostgreSQL's own processes not included), the figure that holds on a machine
shared with other work, and the one-minute load average after each pair.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import free_port, wait_for
from data import interactions
from databases import postgres_database

from tmf683 import PartyInteractionService, PostgresStore, SQLiteStore
from tmf683.storage._sql.tables import TABLE

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
LIST = "/tmf-api/partyInteraction/v4/partyInteraction"
ENDPOINTS = [
    ("1000 items", ""),
    ("1000 items, fields=status,channel", "?fields=status,channel"),
    ("status=open&limit=100", "?status=open&limit=100"),
]


def wrk(url: str) -> tuple[float, str, str, int]:
    """requests/s, p50, p99 and the number of requests of one wrk run."""
    command = ["wrk", "-t2", "-c16", "-d10s", "--timeout", "60s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses", output) or "timeout" in output:
        raise RuntimeError(f"{url}: errors or timeouts\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    distribution = output.split("Latency Distribution", 1)[1]
    p50 = re.search(r"50%\s+(\S+)", distribution).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+(\S+)", distribution).group(1)  # type: ignore[union-attr]
    return rate, p50, p99, done


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, pid: int) -> tuple[float, str, str, float]:
    """The figures of a wrk run and the server's CPU milliseconds per request."""
    before = cpu_seconds(pid)
    rate, p50, p99, done = wrk(url)
    return rate, p50, p99, (cpu_seconds(pid) - before) * 1000 / max(done, 1)


@contextmanager
def server(src: Path, db: str) -> Iterator[tuple[str, int]]:
    """A tmf683-server (8 threads, a fixed base URL) of the code under ``src``."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tmf683_falcon", "--port", str(port), "--db", db),
            *("--threads", "8", "--base-url", "http://tmf683.example"),
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port, 120)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(10)


def body(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
        return data


def load(count: int, sqlite_path: Path) -> None:
    """Create ``count`` interactions in SQLite."""
    store = SQLiteStore(sqlite_path)
    service = PartyInteractionService(store)
    bodies = list(interactions(count))
    for start in range(0, count, 1000):
        service.create_many(bodies[start : start + 1000])
    store.close()


def copy_to_postgres(sqlite_path: Path, postgres_url: str) -> None:
    """Put the stored documents of SQLite into PostgreSQL, in the same order."""
    postgres = PostgresStore(postgres_url)
    with sqlite3.connect(sqlite_path) as conn:
        texts = [row[0] for row in conn.execute(f"SELECT document FROM {TABLE}")]
    for start in range(0, len(texts), 5000):
        postgres.put_many([json.loads(text) for text in texts[start : start + 5000]])
    postgres.close()


def copy_to_sqlite(sqlite_path: Path, target: Path) -> None:
    """Put the stored documents of one SQLite file into a new one, in order."""
    store = SQLiteStore(target)
    with sqlite3.connect(sqlite_path) as conn:
        texts = [row[0] for row in conn.execute(f"SELECT document FROM {TABLE}")]
    for start in range(0, len(texts), 5000):
        store.put_many([json.loads(text) for text in texts[start : start + 5000]])
    store.close()


def copy_with(src: Path, sqlite_path: Path, target: str, mode: str = "--copy") -> None:
    """Copy the documents by the code under ``src`` (its own schema).

    ``--copy``: :func:`copy_to_postgres`; ``--copy-sqlite``: :func:`copy_to_sqlite`.
    """
    subprocess.run(
        [sys.executable, __file__, mode, str(sqlite_path), target],
        env={**os.environ, "PYTHONPATH": str(src)},
        check=True,
    )


def same(store_name: str, old: bytes, new: bytes) -> bool:
    """Whether two bodies are the same: bytes, or for PostgreSQL values and size.

    PostgreSQL before schema version 8 serves ``jsonb``'s key order; from 8 the
    order the documents were written in.
    """
    if store_name == "PostgreSQL":
        return len(old) == len(new) and json.loads(old) == json.loads(new)
    return old == new


def main() -> None:
    if sys.argv[1:2] == ["--copy"]:
        copy_to_postgres(Path(sys.argv[2]), sys.argv[3])
        return
    if sys.argv[1:2] == ["--copy-sqlite"]:
        copy_to_sqlite(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    sqlite_only = "--sqlite-only" in sys.argv
    arguments = [argument for argument in sys.argv[1:] if argument != "--sqlite-only"]
    count = int(arguments[0]) if arguments else 100_000
    base_src = Path(arguments[1] if len(arguments) > 1 else "/tmp/lists-base/src")
    rows = []
    with tempfile.TemporaryDirectory() as folder, ExitStack() as databases:
        sqlite_path = Path(folder) / "lists.db"
        base_sqlite = Path(folder) / "lists-base.db"
        load(count, sqlite_path)
        copy_with(base_src, sqlite_path, str(base_sqlite), "--copy-sqlite")
        stores = [("SQLite", (str(base_sqlite), str(sqlite_path)))]
        if not sqlite_only:
            base_url = databases.enter_context(postgres_database())
            pg_url = databases.enter_context(postgres_database())
            copy_with(base_src, sqlite_path, base_url)  # each tree's schema
            copy_with(SRC, sqlite_path, pg_url)
            stores.append(("PostgreSQL", (base_url, pg_url)))
        for store_name, dbs in stores:
            with server(base_src, dbs[0]) as before, server(SRC, dbs[1]) as after:
                for label, query in ENDPOINTS:
                    old = body(before[0] + LIST + query)
                    new = body(after[0] + LIST + query)
                    if not same(store_name, old, new):
                        Path("/tmp/lists/old.json").write_bytes(old)
                        Path("/tmp/lists/new.json").write_bytes(new)
                        raise SystemExit(f"{store_name} {label}: bodies differ")
                    measured = [
                        measure(root + LIST + query, pid)
                        for root, pid in (before, after)
                    ]
                    load_average = os.getloadavg()[0]
                    rows.append((store_name, label, len(new), load_average, *measured))
    print(f"\nGET list over HTTP, N = {count:,}, wrk -t2 -c16 -d10s, 8 threads\n")
    print(
        "| store | page | body bytes | before req/s (p50, p99) "
        "| after req/s (p50, p99) | after/before "
        "| server CPU ms/request before, after | load average |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for store_name, label, size, load_average, before, after in rows:
        (b, b50, b99, bc), (a, a50, a99, ac) = before, after
        print(
            f"| {store_name} | {label} | {size:,} | {b:,.1f} ({b50}, {b99}) "
            f"| {a:,.1f} ({a50}, {a99}) | {a / b:.1f}x | {bc:.1f}, {ac:.1f} "
            f"| {load_average:.1f} |"
        )


if __name__ == "__main__":
    main()
