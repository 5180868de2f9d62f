"""HTTP figures: tmf683-server beside a bare Falcon + waitress app, on loopback.

Run: .venv/bin/python benchmarks/bench_http.py [N]      (default N = 10000)

Loads N interactions into a fresh SQLite file, starts ``tmf683-server`` and the bare
app (benchmarks/bare_app.py) on it, and drives each with wrk (Debian package ``wrk``;
the load generator) for GET by id, a filtered list page and create, in v4 and in
v5 (the server serves both, ``--versions v4,v5``; the v5 rows name the same
interactions in v5 paths). Prints requests/s and p50/p99 latency side by side, GET by
id as a share of the bare app's rate, and each v5 endpoint's rate as a share of its v4
twin's. Both servers run 8 waitress threads; wrk runs 2 threads, 16 connections,
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
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import customer_id, interactions, v5_create_body

from tmf683 import (
    DEFAULT_BASE_PATH,
    V5_BASE_PATH,
    PartyInteractionService,
    PartyInteractionServiceV5,
    SQLiteStore,
)

HERE = Path(__file__).resolve().parent
DURATION = "10s"
VERSIONS = {
    # version -> (base path, the path of a related party's id in its filters)
    "v4": (DEFAULT_BASE_PATH, "relatedParty.id"),
    "v5": (V5_BASE_PATH, "relatedParty.partyOrPartyRole.id"),
}


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
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if failed:
        raise RuntimeError(f"{url}: {failed.group(1)} answers were not 2xx")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    distribution = output.split("Latency Distribution", 1)[1]
    p50 = re.search(r"50%\s+(\S+)", distribution).group(1)
    p99 = re.search(r"99%\s+(\S+)", distribution).group(1)
    return rate, p50, p99


def post_script(folder: Path, version: str, body: dict) -> Path:
    script = folder / f"post-{version}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [[{json.dumps(body)}]]\n"
    )
    return script


def warm_up(url: str, body: dict) -> None:
    """One create before measuring (the first v5 one loads the OAS validators)."""
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def endpoints(root: str, version: str, some_id: str, post: Path) -> list:
    """The tmf683-server endpoints of one API version: (label, URL, wrk script)."""
    base, party_id = VERSIONS[version]
    url = f"{root}{base}/partyInteraction"
    return [
        (f"{version} GET by id, tmf683-server", f"{url}/{some_id}", None),
        (
            f"{version} GET list status=open&limit=100, tmf683-server",
            f"{url}?status=open&limit=100",
            None,
        ),
        (
            f"{version} GET list {party_id} (customer), tmf683-server",
            f"{url}?{party_id}={customer_id(7)}",
            None,
        ),
        (f"{version} POST create, tmf683-server", url, post),
    ]


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db = folder / "http.db"
        store = SQLiteStore(db)
        service = PartyInteractionService(store)
        bodies = list(interactions(count))
        created = []
        for start in range(0, count, 1000):
            created += service.create_many(bodies[start : start + 1000])
        some_id = created[count // 2]["id"]
        creates = {  # the first interaction, as each version's client sends it
            "v4": bodies[0],
            "v5": v5_create_body(
                PartyInteractionServiceV5(service).retrieve(created[0]["id"])
            ),
        }
        store.close()
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
                "--versions",
                "v4,v5",
            ],
            stderr=subprocess.DEVNULL,
        )
        bare = subprocess.Popen(
            [sys.executable, str(HERE / "bare_app.py"), str(db), str(bare_port), "8"]
        )
        try:
            wait_for(tmf_port)
            wait_for(bare_port)
            root = f"http://127.0.0.1:{tmf_port}"
            rows = [
                (
                    "GET by id, bare Falcon + waitress + SQLite",
                    wrk(f"http://127.0.0.1:{bare_port}/partyInteraction/{some_id}"),
                )
            ]
            twins: dict[str, list] = {version: [] for version in VERSIONS}
            for version, body in creates.items():
                warm_up(f"{root}{VERSIONS[version][0]}/partyInteraction", body)
            each = [
                endpoints(root, version, some_id, post_script(folder, version, body))
                for version, body in creates.items()
            ]
            for pair in zip(*each, strict=True):  # each v4 endpoint, then its v5 twin
                for version, (label, url, script) in zip(VERSIONS, pair, strict=True):
                    twins[version].append((label, wrk(url, script)))
        finally:
            for process in (tmf, bare):
                process.terminate()
                process.wait(10)
    rows += twins["v4"] + twins["v5"]
    print(
        f"\nHTTP on 127.0.0.1, N = {count:,} interactions, wrk -t2 -c16 -d{DURATION}\n"
    )
    print("| endpoint | requests/s | p50 | p99 |")
    print("|---|---|---|---|")
    for label, (rate, p50, p99) in rows:
        print(f"| {label} | {rate:,.0f} | {p50} | {p99} |")
    share = rows[1][1][0] / rows[0][1][0]
    print(f"\nGET by id: tmf683-server serves {share:.0%} of the bare app's rate.")
    print("\nv5 requests/s as a share of the v4 twin's:")
    for (label, (v4_rate, _, _)), (_, (v5_rate, _, _)) in zip(
        twins["v4"], twins["v5"], strict=True
    ):
        print(f"- {label.removeprefix('v4 ')}: {v5_rate / v4_rate:.0%}")


if __name__ == "__main__":
    main()
