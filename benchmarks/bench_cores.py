"""Several cores: the server as 1, 2 and 4 gunicorn workers, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/bench_cores.py [--count N] [--workers 1,2,4]
     [--stores sqlite,postgres] [--worker-class sync|gthread] [--threads T]
     [--duration 10s] [--connections C]

Loads N interactions (default 100,000; benchmarks/data.py, ids ``PI-00000000``...)
with ``tmf683 import`` into a fresh SQLite file and a fresh PostgreSQL database
(created on BENCH_POSTGRES as BENCH_DB_PREFIX + random, dropped afterwards; see
benchmarks/databases.py), then for each store and each worker count starts
``gunicorn -c python:tmf683_falcon.gunicorn_conf -w W`` on 127.0.0.1 (a free port,
its own session, polled on ``/health`` with a deadline, stopped by SIGTERM and then
SIGKILL after a bounded wait) and drives it with wrk (Debian package ``wrk``):

- GET by id, a random id of the N loaded per request (a Lua script);
- GET ``status=open&limit=100`` (about N/5 matches, the first page);
- POST create (a fixed v4 body).

It prints requests/s, p50 and p99 per worker count with the rate as a ratio of the
1-worker rate; the cores the server's processes used (CPU seconds per second); the
CPU milliseconds per request of the server's processes, of wrk (the load generator
shares the machine's cores with the server) and of the PostgreSQL backends of the
benchmark's database, all from /proc; and the "idle ceiling": the requests/s those
CPU costs allow on the machine's cores were nothing else running (a worker
computes on one core at most; server, wrk and PostgreSQL share them all), with its
ratio to the 1-worker ceiling. On a shared machine the measured rates follow the
neighbours' load; the CPU per request and the ceiling do much less.

The servers run with ``TMF683_LOG_LEVEL=warning`` (no access log line per request).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_transfer import records
from data import interactions
from databases import postgres_database

from tmf683 import DEFAULT_BASE_PATH

START_SECONDS = 60.0
STOP_SECONDS = 20.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(db: str, count: int, folder: Path) -> None:
    """Write N stored documents as NDJSON and ``tmf683 import`` them into ``db``."""
    source = folder / "source.ndjson"
    if not source.exists():
        with source.open("w", encoding="utf-8") as output:
            for document in records(count):
                output.write(json.dumps(document, separators=(",", ":")) + "\n")
    subprocess.run(
        [sys.executable, "-m", "tmf683.cli", "import", "--db", db, "--quiet", source],
        check=True,
    )


def cpu_seconds(match) -> float:
    """CPU seconds (user + system) of the live processes where ``match(title, stat)``.

    ``title`` is the command line (PostgreSQL writes its backends' database
    there); ``stat`` the fields of /proc/PID/stat after the name.
    """
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as stat:
                text = stat.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode(errors="replace")
        except OSError:
            continue
        if match(title, fields):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@contextmanager
def serving(
    command: list[str], port: int, db: str, args: argparse.Namespace
) -> Iterator[tuple[str, int]]:
    """Run ``command`` (a server on ``port``) in its own session; yield root, pid.

    Polls ``/health`` until it answers 200 (within ``START_SECONDS``); at the end
    SIGTERMs the session and SIGKILLs it if it has not exited in ``STOP_SECONDS``.
    """
    env = {
        **os.environ,
        "TMF683_DB": db,
        "TMF683_LOG_LEVEL": "warning",
        "TMF683_THREADS": str(args.threads),
    }
    log = open(args.log_file, "a", encoding="utf-8")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [*niced(args), *command],
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=log,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2]} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"{root}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not answer") from None
                time.sleep(0.05)  # a poll interval, bounded by the deadline
        yield root, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(STOP_SECONDS)
        log.close()


def waitress(db: str, args: argparse.Namespace) -> AbstractContextManager:
    """``tmf683-server`` (one waitress process, ``--threads 8``) on ``db``."""
    port = free_port()
    command = [sys.executable, "-m", "tmf683_falcon", "--port", str(port)]
    return serving([*command, "--db", db, "--threads", "8"], port, db, args)


def gunicorn(db: str, workers: int, args: argparse.Namespace) -> AbstractContextManager:
    """A gunicorn of ``workers`` workers on ``db`` (see :func:`serving`)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:tmf683_falcon.gunicorn_conf",
        "-w",
        str(workers),
        "-k",
        args.worker_class,
        "--threads",
        str(args.threads),
        "-b",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "--graceful-timeout",
        "10",
        "--backlog",
        "2048",
    ]
    return serving(command, port, db, args)


def lua_scripts(folder: Path, count: int) -> dict[str, Path]:
    """The wrk scripts: random ids, and a POST of a fixed create body."""
    ids = folder / "ids.lua"
    ids.write_text(
        "local base = wrk.path\nmath.randomseed(os.time())\n"
        "request = function()\n"
        f'  return wrk.format("GET", base .. string.format("PI-%08d", '
        f"math.random(0, {count - 1})))\nend\n"
    )
    post = folder / "post.lua"
    post.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [[{json.dumps(next(interactions(1)))}]]\n"
    )
    return {"ids": ids, "post": post}


def wrk(url: str, args: argparse.Namespace, script: Path | None) -> dict[str, float]:
    """Run wrk on ``url``; return rate, p50/p99 (ms) and wrk's CPU seconds."""
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}"]
    command += [f"-d{args.duration}", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    output = subprocess.run(
        [*niced(args), *command, url], capture_output=True, text=True, check=True
    ).stdout
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    if failed:
        raise RuntimeError(f"{url}: {failed.group(1)} answers were not 2xx\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    distribution = output.split("Latency Distribution", 1)[1]
    return {
        "rate": rate,
        "requests": total,
        "p50": milliseconds(re.search(r"50%\s+(\S+)", distribution).group(1)),
        "p99": milliseconds(re.search(r"99%\s+(\S+)", distribution).group(1)),
        "wrk_cpu": (after.ru_utime - before.ru_utime)
        + (after.ru_stime - before.ru_stime),
        "errors": errors.group(0) if errors else "",
        "wall": wall,
    }


def niced(args: argparse.Namespace) -> list[str]:
    """The ``nice`` prefix of ``--nice`` (none for 0; below 0 needs root)."""
    return ["nice", "-n", str(args.nice)] if args.nice else []


def milliseconds(text: str) -> float:
    value = float(re.match(r"[\d.]+", text).group(0))
    unit = text[len(re.match(r"[\d.]+", text).group(0)) :]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def measure(root: str, master: int, db: str, args, scripts) -> list[tuple[str, dict]]:
    """Each endpoint once; with the server's, PostgreSQL's and the machine's CPU."""
    base = f"{root}{DEFAULT_BASE_PATH}/partyInteraction"
    endpoints = [
        ("GET by id", f"{base}/", scripts["ids"]),
        ("GET status=open&limit=100", f"{base}?status=open&limit=100", None),
        ("POST create", base, scripts["post"]),
    ]
    rows = []
    for label, url, script in endpoints:
        if args.only and args.only not in label:
            continue
        server_before = cpu_seconds(lambda _, f: int(f[2]) == master)
        database = db.rsplit("/", 1)[-1]

        def ours(title: str, _: list[str], database: str = database) -> bool:
            return title.startswith("postgres: ") and f" {database} " in title

        postgres_before = cpu_seconds(ours)
        busy_before = machine_busy()
        figures = wrk(url, args, script)
        busy_after = machine_busy()
        figures["server_cpu"] = cpu_seconds(lambda _, f: int(f[2]) == master)
        figures["server_cpu"] -= server_before
        figures["postgres_cpu"] = cpu_seconds(ours)
        figures["postgres_cpu"] -= postgres_before
        busy, total = (a - b for a, b in zip(busy_after, busy_before, strict=True))
        figures["busy"] = busy / total
        figures["all_cpu"] = busy / CLOCK_TICKS
        rows.append((label, figures))
    return rows


def report(store: str, results: dict[int, list[tuple[str, dict]]], args) -> None:
    print(
        f"\n{store}, wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}, "
        f"gunicorn -k {args.worker_class} --threads {args.threads}, nice {args.nice}\n"
    )
    print(
        "| endpoint | workers | requests/s | x 1 worker | p50 ms | p99 ms "
        "| server cores | server CPU ms/req | wrk CPU ms/req | PG CPU ms/req "
        "| machine busy | idle ceiling | x 1 worker |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    first = results[next(iter(results))]
    one = {label: figures["rate"] for label, figures in first}
    cores = os.cpu_count() or 1
    lone = {label: ceiling(figures, cores, 1) for label, figures in first}
    labels = [label for label, _ in results[next(iter(results))]]
    for label in labels:
        for workers, rows in results.items():
            figures = dict(rows)[label]
            per = 1000 / max(figures["requests"], 1)
            most = ceiling(figures, cores, workers if isinstance(workers, int) else 1)
            print(
                f"| {label} | {workers} | {figures['rate']:,.0f} "
                f"| {figures['rate'] / one[label]:.2f} | {figures['p50']:.1f} "
                f"| {figures['p99']:.1f} "
                f"| {figures['server_cpu'] / figures['wall']:.2f} "
                f"| {figures['server_cpu'] * per:.2f} "
                f"| {figures['wrk_cpu'] * per:.2f} "
                f"| {figures['postgres_cpu'] * per:.2f} | {figures['busy']:.0%} "
                f"| {most:,.0f} | {most / lone[label]:.2f} |"
                + (f" {figures['errors']}" if figures["errors"] else "")
            )
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)


def ceiling(figures: dict, cores: int, workers: int) -> float:
    """The most requests/s the measured CPU costs allow on ``cores`` idle cores.

    A worker computes on one core at most; the server, wrk and PostgreSQL share
    all of them.
    """
    requests = max(figures["requests"], 1)
    server = figures["server_cpu"] / requests
    everything = server + (figures["wrk_cpu"] + figures["postgres_cpu"]) / requests
    return min(min(workers, cores) / server, cores / everything)


def run_store(store: str, db: str, args, scripts) -> None:
    """Every server on one store: each gunicorn worker count, then waitress."""
    results = {}
    servers = [(workers, gunicorn(db, workers, args)) for workers in args.workers]
    if args.waitress:
        servers.append(("waitress", waitress(db, args)))
    for workers, server in servers:
        with server as (root, master):
            for _ in range(
                3 * (workers if isinstance(workers, int) else 1)
            ):  # each worker's first create loads its code
                warm = urllib.request.Request(
                    f"{root}{DEFAULT_BASE_PATH}/partyInteraction",
                    json.dumps(next(interactions(1))).encode(),
                    {"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(warm, timeout=30) as answer:
                    answer.read()
            results[workers] = measure(root, master, db, args, scripts)
    report(store, results, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run servers and wrk under nice -n N (N < 0: ahead of a busy machine)",
    )
    parser.add_argument("--only", default="", help="endpoints whose label has this")
    parser.add_argument(
        "--waitress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure tmf683-server, one waitress process, for reference",
    )
    parser.add_argument(
        "--log-file", default=os.devnull, help="where the servers' stderr goes"
    )
    args = parser.parse_args()
    args.workers = [int(w) for w in args.workers.split(",")]
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    print(f"{os.cpu_count()} cores; N = {args.count:,}; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench_cores_") as tmp:
        folder = Path(tmp)
        scripts = lua_scripts(folder, args.count)
        stores = args.stores.split(",")
        if "sqlite" in stores:
            db = str(folder / "cores.db")
            load(db, args.count, folder)
            run_store("SQLite", db, args, scripts)
        if "postgres" in stores:
            with postgres_database() as url:
                load(url, args.count, folder)
                run_store("PostgreSQL", url, args, scripts)


if __name__ == "__main__":
    main()
