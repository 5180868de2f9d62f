"""The largest bodies the server accepts: how long each takes to be answered.

Run: .venv/bin/python benchmarks/bench_bodies.py [REPEAT]      (default REPEAT = 5)

Starts ``tmf683-server`` (both versions, the default 1 MiB body limit) on a fresh
SQLite file and POSTs, in v4 and in v5, the worst case for the body check: as many
small related parties as fit in 1 MiB (thousands of objects, each checked against the
contract), once valid (201) and once with one bad party at the end (400, so the whole
body is checked and the refusal built). Prints the median and the slowest answer in
seconds, over loopback, for each. The goal of the body limit is that any body it lets
through is answered within a second on the development machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import free_port, wait_for

from tmf683 import DEFAULT_BASE_PATH, V5_BASE_PATH

LIMIT = 1_048_576  # the server's default --max-body-bytes


def v4_party(number: int) -> dict[str, object]:
    return {"id": f"p{number:06d}", "role": "customer", "@referredType": "Individual"}


def v5_party(number: int) -> dict[str, object]:
    return {
        "@type": "RelatedPartyOrPartyRole",
        "role": "customer",
        "partyOrPartyRole": {"@type": "PartyRef", "id": f"p{number:06d}"},
    }


V4_HEAD = {"direction": "inbound", "reason": "big", "channel": [{"id": "1"}]}
V5_HEAD = {
    "@type": "PartyInteraction",
    "direction": "inbound",
    "reason": "big",
    "relatedChannel": [
        {
            "@type": "RelatedChannel",
            "role": "c",
            "channel": {"@type": "ChannelRef", "id": "1"},
        }
    ],
}


def largest(head: dict[str, object], party) -> tuple[bytes, int]:
    """The body of ``head`` plus as many parties as fit under the limit."""
    size = len(json.dumps({**head, "relatedParty": []}).encode())
    one = len(json.dumps(party(0)).encode()) + 2
    parties = [party(n) for n in range((LIMIT - size - 64) // one)]
    body = json.dumps({**head, "relatedParty": parties}).encode()
    assert len(body) <= LIMIT, len(body)
    return body, len(parties)


def spoiled(body: bytes) -> bytes:
    """The body with its last party's role a number: refused after a full check."""
    document = json.loads(body)
    document["relatedParty"][-1]["role"] = 5
    return json.dumps(document).encode()


def answer_seconds(url: str, body: bytes, expected: int) -> float:
    request = urllib.request.Request(
        url, body, {"Content-Type": "application/json"}, method="POST"
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as refused:
        refused.read()
        status = refused.code
    seconds = time.perf_counter() - started
    if status != expected:
        raise RuntimeError(f"{url}: {status}, expected {expected}")
    return seconds


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = []
    with tempfile.TemporaryDirectory() as name:
        port = free_port()
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "tmf683_falcon", "--port", str(port)),
                *("--db", str(Path(name) / "bodies.db"), "--versions", "v4,v5"),
            ],
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port)
            for version, base, head, party in (
                ("v4", DEFAULT_BASE_PATH, V4_HEAD, v4_party),
                ("v5", V5_BASE_PATH, V5_HEAD, v5_party),
            ):
                url = f"http://127.0.0.1:{port}{base}/partyInteraction"
                body, parties = largest(head, party)
                for label, data, status in (
                    ("valid", body, 201),
                    ("one bad party at the end", spoiled(body), 400),
                ):
                    answer_seconds(url, data, status)  # warm up (loads the contract)
                    times = [answer_seconds(url, data, status) for _ in range(repeat)]
                    rows.append((version, label, len(data), parties, times))
        finally:
            server.terminate()
            server.wait(10)
    print(f"\nLargest bodies under the {LIMIT:,}-byte limit, {repeat} POSTs each\n")
    print("| version | body | bytes | related parties | median s | slowest s |")
    print("|---|---|---|---|---|---|")
    for version, label, size, parties, times in rows:
        print(
            f"| {version} | {label} | {size:,} | {parties:,} | "
            f"{statistics.median(times):.3f} | {max(times):.3f} |"
        )


if __name__ == "__main__":
    main()
