"""Writes over HTTP: tmf683-server (this tree and another) beside a bare app.

Run: .venv/bin/python benchmarks/bench_writes.py [--before SRC] [--count N]
     [--duration 10s] [--stores full,normal,postgres]

For each store setting (SQLite ``synchronous=full``, SQLite ``normal``, PostgreSQL
with its default durability), each subject gets a fresh store preloaded with N
interactions (default 10,000): the bare Falcon + waitress app of
``benchmarks/bare_writes.py`` (insert or read-merge-update the same JSON, same
durability), ``tmf683-server`` from the ``src`` folder ``--before`` names (e.g. a
worktree of main; left out when not given) and ``tmf683-server`` from this tree. wrk
(2 threads, 16 connections) drives creates (the same v4 body each time, the body of
``benchmarks/bench_http.py``) and merge patches (``status`` alternating between two
values, on 1,000 of the preloaded interactions picked at random), then the v5 twins
on the tmf683 servers. Prints requests/s, p50 and p99 and each rate as a share of the
bare app's. All servers run 8 waitress threads on 127.0.0.1.

PostgreSQL: a database per subject on ``$BENCH_POSTGRES`` named
``$BENCH_DB_PREFIX`` + 8 hex digits, dropped afterwards (see ``databases.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import free_port, wait_for, warm_up, wrk
from data import interactions, v5_create_body
from databases import postgres_database

from tmf683 import (
    DEFAULT_BASE_PATH,
    V5_BASE_PATH,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PostgresStore,
    SQLiteStore,
)
from tmf683.storage.base import PartyInteractionStore

HERE = Path(__file__).resolve().parent
THIS_SRC = HERE.parent / "src"
PATCHED_IDS = 1000


def load(store: PartyInteractionStore, count: int) -> tuple[list[str], dict[str, Any]]:
    """Preload ``count`` interactions; their ids and the v5 create body of the first."""
    service = PartyInteractionService(store)
    ids: list[str] = []
    bodies = list(interactions(count))
    for start in range(0, count, 1000):
        ids += [d["id"] for d in service.create_many(bodies[start : start + 1000])]
    v5_body = v5_create_body(PartyInteractionServiceV5(service).retrieve(ids[0]))
    return ids, v5_body


def post_script(folder: Path, name: str, body: dict[str, Any]) -> Path:
    script = folder / f"post-{name}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [[{json.dumps(body)}]]\n"
    )
    return script


def patch_script(folder: Path, name: str, prefix: str, ids: list[str]) -> Path:
    """A wrk script: merge patches of ``status`` on ids picked at random."""
    script = folder / f"patch-{name}.lua"
    listed = ",".join(f'"{id}"' for id in ids)
    script.write_text(
        f"ids = {{{listed}}}\n"
        "counter = 0\n"
        'headers = {["Content-Type"] = "application/merge-patch+json"}\n'
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local id = ids[math.random(#ids)]\n"
        '  local body = (counter % 2 == 0) and \'{"status":"closed"}\' '
        'or \'{"status":"held"}\'\n'
        f'  return wrk.format("PATCH", "{prefix}" .. id, headers, body)\n'
        "end\n"
    )
    return script


@contextmanager
def server(command: list[str], src: Path | None, port: int) -> Iterator[str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def fresh_store(setting: str, folder: Path, count: int) -> Iterator[tuple[str, Any]]:
    """A new store holding ``count`` interactions: (--db value, load's result)."""
    if setting == "postgres":
        with postgres_database() as url:
            store: PartyInteractionStore = PostgresStore(url)
            loaded = load(store, count)
            store.close()
            yield url, loaded
        return
    db = folder / f"{setting}.db"
    for leftover in folder.glob(f"{setting}.db*"):
        leftover.unlink()
    store = SQLiteStore(db)
    loaded = load(store, count)
    store.close()
    yield str(db), loaded


Row = tuple[str, tuple[float, str, str]]


def measure(
    setting: str, subject: str, src: Path | None, folder: Path, count: int
) -> list[Row]:
    """Wrk figures of one subject on one store setting."""
    port = free_port()
    synchronous = "normal" if setting == "normal" else "full"
    with fresh_store(setting, folder, count) as (db, (ids, v5_body)):
        v4_body = next(interactions(1))
        if subject == "bare":
            command = [sys.executable, str(HERE / "bare_writes.py")]
            command += [db, str(port), "8", synchronous]
            with server(command, None, port) as root:
                url = f"{root}/partyInteraction"
                name = f"{setting}-{subject}"
                return [
                    ("v4 create", wrk(url, post_script(folder, name, v4_body))),
                    (
                        "v4 patch",
                        wrk(
                            url,
                            patch_script(
                                folder, name, "/partyInteraction/", ids[:PATCHED_IDS]
                            ),
                        ),
                    ),
                ]
        command = [sys.executable, "-m", "tmf683_falcon", "--port", str(port)]
        command += ["--db", db, "--threads", "8", "--versions", "v4,v5"]
        command += ["--sqlite-synchronous", synchronous]
        rows: list[Row] = []
        with server(command, src, port) as root:
            for version, base, body in (
                ("v4", DEFAULT_BASE_PATH, v4_body),
                ("v5", V5_BASE_PATH, v5_body),
            ):
                url = f"{root}{base}/partyInteraction"
                name = f"{setting}-{subject}-{version}"
                warm_up(url, body)
                post = post_script(folder, name, body)
                rows.append((f"{version} create", wrk(url, post)))
                prefix = f"{base}/partyInteraction/"
                patch = patch_script(folder, name, prefix, ids[:PATCHED_IDS])
                rows.append((f"{version} patch", wrk(url, patch)))
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", type=Path, help="src folder of the code before")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--stores", default="full,normal,postgres")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    import bench_http

    bench_http.DURATION = args.duration
    subjects: list[tuple[str, Path | None]] = [("bare", None)]
    if args.before:
        subjects.append(("before", args.before.resolve()))
    subjects.append(("this tree", THIS_SRC))
    print(
        f"\nWrites over HTTP, N = {args.count:,} preloaded, wrk -t2 -c16 "
        f"-d{args.duration}, 8 waitress threads\n"
    )
    print("| store | server | operation | requests/s | p50 | p99 | of bare |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for setting in args.stores.split(","):
            label = {
                "full": "SQLite synchronous=full",
                "normal": "SQLite synchronous=normal",
                "postgres": "PostgreSQL",
            }[setting]
            bare: dict[str, float] = {}
            for subject, src in subjects:
                for operation, (rate, p50, p99) in measure(
                    setting, subject, src, folder, args.count
                ):
                    kind = operation.split()[1]
                    if subject == "bare":
                        bare[kind] = rate
                    share = rate / bare[kind]
                    print(
                        f"| {label} | {subject} | {operation} | {rate:,.0f} | "
                        f"{p50} | {p99} | {share:.0%} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
