"""HTTP figures: tmf683-server beside a bare Falcon + waitress app, on loopback.

Run: .venv/bin/python benchmarks/bench_http.py [N]      (default N = 10000)

Loads N interactions into a fresh SQLite file, starts ``tmf683-server`` and the bare
app (benchmarks/bare_app.py) on it, and drives each with wrk (Debian package ``wrk``;
the load generator) for GET by id, a filtered list page and create. Prints
requests/s and p50/p99 latency side by side, and GET by id as a share of the bare
app's rate. Both servers run 8 waitress threads; wrk runs 2 threads, 16 connections,
10 seconds per endpoint, all on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import customer_id, interactions

from tmf683 import PartyInteractionService, SQLiteStore

HERE = Path(__file__).resolve().parent
DURATION = "10s"
BASE = "/tmf-api/partyInteraction/v4"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def wrk(url: str, script: Path | None = None) -> tuple[float, str, str]:
    command = ["wrk", "-t2", "-c16", f"-d{DURATION}", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    distribution = output.split("Latency Distribution", 1)[1]
    p50 = re.search(r"50%\s+(\S+)", distribution).group(1)
    p99 = re.search(r"99%\s+(\S+)", distribution).group(1)
    return rate, p50, p99


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "http.db"
        store = SQLiteStore(db)
        service = PartyInteractionService(store)
        bodies = list(interactions(count))
        created = []
        for start in range(0, count, 1000):
            created += service.create_many(bodies[start : start + 1000])
        store.close()
        some_id = created[count // 2]["id"]
        tmf_port, bare_port = free_port(), free_port()
        tmf = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tmf683_falcon",
                "--port",
                str(tmf_port),
                "--db",
                str(db),
                "--threads",
                "8",
            ],
            stderr=subprocess.DEVNULL,
        )
        bare = subprocess.Popen(
            [sys.executable, str(HERE / "bare_app.py"), str(db), str(bare_port), "8"]
        )
        post = Path(folder) / "post.lua"
        post.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [[{json.dumps(bodies[0])}]]\n"
        )
        try:
            wait_for(tmf_port)
            wait_for(bare_port)
            tmf_root = f"http://127.0.0.1:{tmf_port}{BASE}"
            rows = [
                (
                    "GET by id, bare Falcon + waitress + SQLite",
                    wrk(f"http://127.0.0.1:{bare_port}/partyInteraction/{some_id}"),
                ),
                (
                    "GET by id, tmf683-server",
                    wrk(f"{tmf_root}/partyInteraction/{some_id}"),
                ),
                (
                    "GET list status=open&limit=100, tmf683-server",
                    wrk(f"{tmf_root}/partyInteraction?status=open&limit=100"),
                ),
                (
                    "GET list relatedParty.id (customer), tmf683-server",
                    wrk(
                        f"{tmf_root}/partyInteraction?relatedParty.id={customer_id(7)}"
                    ),
                ),
                (
                    "POST create, tmf683-server",
                    wrk(f"{tmf_root}/partyInteraction", post),
                ),
            ]
        finally:
            for process in (tmf, bare):
                process.terminate()
                process.wait(10)
    print(
        f"\nHTTP on 127.0.0.1, N = {count:,} interactions, wrk -t2 -c16 -d{DURATION}\n"
    )
    print("| endpoint | requests/s | p50 | p99 |")
    print("|---|---|---|---|")
    for label, (rate, p50, p99) in rows:
        print(f"| {label} | {rate:,.0f} | {p50} | {p99} |")
    share = rows[1][1][0] / rows[0][1][0]
    print(f"\nGET by id: tmf683-server serves {share:.0%} of the bare app's rate.")


if __name__ == "__main__":
    main()
