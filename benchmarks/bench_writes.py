"""Writes over HTTP: tmf683-server (this tree and another) beside a bare app.

Run: .venv/bin/python benchmarks/bench_writes.py [--before SRC] [--count N]
     [--duration 10s] [--rounds 3] [--stores full,normal,postgres]
     [--server-options '--no-metrics --log-level WARNING']

For each store setting (SQLite ``synchronous=full``, SQLite ``normal``, PostgreSQL
with its default durability), each subject gets a fresh store preloaded with N
interactions (default 10,000): the bare Falcon + waitress app of
``benchmarks/bare_writes.py`` (insert or read-merge-update the same JSON, same
durability), ``tmf683-server`` from the ``src`` folder ``--before`` names (e.g. a
worktree of main; left out when not given) and ``tmf683-server`` from this tree. wrk
(2 threads, 16 connections) drives creates (the same v4 body each time, the body of
``benchmarks/bench_http.py``) and merge patches (``status`` alternating between two
values, on 1,000 of the preloaded interactions picked at random), then the v5 twins
on the tmf683 servers. Every subject runs at once (idle but the one measured) and the
runs go in turns, ``--rounds`` of each, so that a machine shared with other work
weighs on all alike. Prints the medians of requests/s, p50 and p99, the server's CPU
time per request (user + system of its process over the run, from ``/proc``), and
each rate as a share of the bare app's. All servers run 8 waitress threads on
127.0.0.1.

PostgreSQL: a database per subject on ``$BENCH_POSTGRES`` named
``$BENCH_DB_PREFIX`` + 8 hex digits, dropped afterwards (see ``databases.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_http
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Subject:
    """One server under test: its label, the way to start it and its wrk scripts."""

    name: str
    command: list[str]
    src: Path | None
    port: int
    jobs: dict[str, tuple[str, Path]] = field(default_factory=dict)
    figures: dict[str, list[tuple[float, float, float, float]]] = field(
        default_factory=dict
    )
    pid: int = 0


@contextmanager
def running(subject: Subject) -> Iterator[None]:
    env = dict(os.environ)
    if subject.src is not None:
        env["PYTHONPATH"] = str(subject.src)
    process = subprocess.Popen(subject.command, env=env, stderr=subprocess.DEVNULL)
    subject.pid = process.pid
    try:
        wait_for(subject.port)
        yield
    finally:
        process.terminate()
        process.wait(10)


def millis(text: str) -> float:
    """A latency as wrk writes it (``"850.00us"``, ``"12.3ms"``, ``"1.2s"``) in ms."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text.removesuffix(unit)) * scale
    raise ValueError(text)


def run_job(subject: Subject, job: str) -> None:
    url, script = subject.jobs[job]
    before = cpu_seconds(subject.pid)
    rate, p50, p99 = wrk(url, script)
    spent = cpu_seconds(subject.pid) - before
    seconds = millis(bench_http.DURATION) / 1000
    cpu_ms = spent * 1000 / max(1.0, rate * seconds)
    subject.figures.setdefault(job, []).append((rate, millis(p50), millis(p99), cpu_ms))


_LOAD_WITH = """
import json, sys
sys.path.insert(0, {benchmarks!r})
from bench_writes import load
from tmf683 import open_store
store = open_store(sys.argv[1])
print(json.dumps(load(store, int(sys.argv[2]))))
store.close()
"""


def load_with(src: Path | None, db: str, count: int) -> tuple[list[str], Any]:
    """:func:`load` run by the ``tmf683`` of ``src`` (this tree's if ``None``).

    The code before may know an older schema only: its store is written by it.
    """
    if src is None or src == THIS_SRC:
        store = SQLiteStore(db) if "://" not in db else PostgresStore(db)
        try:
            return load(store, count)
        finally:
            store.close()
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = _LOAD_WITH.format(benchmarks=str(Path(__file__).resolve().parent))
    done = subprocess.run(
        [sys.executable, "-c", code, db, str(count)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    ids, v5_body = json.loads(done.stdout)
    return ids, v5_body


@contextmanager
def fresh_store(
    setting: str, folder: Path, count: int, src: Path | None = None
) -> Iterator[tuple[str, Any]]:
    """A new store holding ``count`` interactions: (--db value, load's result).

    Written by the ``tmf683`` of ``src`` (default this tree's).
    """
    if setting == "postgres":
        with postgres_database() as url:
            yield url, load_with(src, url, count)
        return
    db = folder / f"{setting}.db"
    for leftover in folder.glob(f"{setting}.db*"):
        leftover.unlink()
    yield str(db), load_with(src, str(db), count)


def subjects_of(
    setting: str,
    folder: Path,
    before: Path | None,
    stack: ExitStack,
    count: int,
    server_options: list[str],
) -> list[Subject]:
    """The bare app, the code before (if given) and this tree, each on its store."""
    synchronous = "normal" if setting == "normal" else "full"
    found: list[Subject] = []
    names: list[tuple[str, Path | None]] = [("bare", None)]
    if before is not None:
        names.append(("before", before))
    names.append(("this tree", THIS_SRC))
    v4_body = next(interactions(1))
    for name, src in names:
        db, (ids, v5_body) = stack.enter_context(
            fresh_store(setting, folder / name.replace(" ", "-"), count, src)
        )
        port = free_port()
        tag = f"{setting}-{name.replace(' ', '-')}"
        patched = ids[:PATCHED_IDS]
        if name == "bare":
            command = [sys.executable, str(HERE / "bare_writes.py")]
            command += [db, str(port), "8", synchronous]
            subject = Subject(name, command, None, port)
            url = f"http://127.0.0.1:{port}/partyInteraction"
            subject.jobs["v4 create"] = (url, post_script(folder, tag, v4_body))
            subject.jobs["v4 patch"] = (
                url,
                patch_script(folder, tag, "/partyInteraction/", patched),
            )
        else:
            command = [sys.executable, "-m", "tmf683_falcon", "--port", str(port)]
            command += ["--db", db, "--threads", "8", "--versions", "v4,v5"]
            command += ["--sqlite-synchronous", synchronous, *server_options]
            subject = Subject(name, command, src, port)
            for version, base, body in (
                ("v4", DEFAULT_BASE_PATH, v4_body),
                ("v5", V5_BASE_PATH, v5_body),
            ):
                url = f"http://127.0.0.1:{port}{base}/partyInteraction"
                subject.jobs[f"{version} create"] = (
                    url,
                    post_script(folder, f"{tag}-{version}", body),
                )
                subject.jobs[f"{version} patch"] = (
                    url,
                    patch_script(
                        folder, f"{tag}-{version}", f"{base}/partyInteraction/", patched
                    ),
                )
        stack.enter_context(running(subject))
        for job, (url, _) in subject.jobs.items():
            if job.endswith("create") and name != "bare":
                warm_up(url, v4_body if job.startswith("v4") else v5_body)
        found.append(subject)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", type=Path, help="src folder of the code before")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--stores", default="full,normal,postgres")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--server-options",
        default="",
        help="more tmf683-server options, e.g. '--no-metrics --log-level WARNING'",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    bench_http.DURATION = args.duration
    before = args.before.resolve() if args.before else None
    print(
        f"\nWrites over HTTP, N = {args.count:,} preloaded, wrk -t2 -c16 "
        f"-d{args.duration} x {args.rounds} rounds taken in turns (medians), "
        "8 waitress threads\n"
    )
    print(
        "| store | server | operation | requests/s | p50 ms | p99 ms | "
        "server CPU ms/request | of bare |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for setting in args.stores.split(","):
        label = {
            "full": "SQLite synchronous=full",
            "normal": "SQLite synchronous=normal",
            "postgres": "PostgreSQL",
        }[setting]
        with tempfile.TemporaryDirectory() as name, ExitStack() as stack:
            folder = Path(name)
            for sub in ("bare", "before", "this-tree"):
                (folder / sub).mkdir()
            subjects = subjects_of(
                setting,
                folder,
                before,
                stack,
                args.count,
                shlex.split(args.server_options),
            )
            jobs = list(subjects[-1].jobs)
            for job in jobs:
                for _ in range(args.rounds):
                    for subject in subjects:
                        if job in subject.jobs:
                            run_job(subject, job)
            bare = {
                job.split()[1]: statistics.median(f[0] for f in figures)
                for job, figures in subjects[0].figures.items()
            }
            for subject in subjects:
                for job, figures in subject.figures.items():
                    rate, p50, p99, cpu = (
                        statistics.median(f[i] for f in figures) for i in range(4)
                    )
                    print(
                        f"| {label} | {subject.name} | {job} | {rate:,.0f} | "
                        f"{p50:.1f} | {p99:.1f} | {cpu:.2f} | "
                        f"{rate / bare[job.split()[1]]:.0%} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
