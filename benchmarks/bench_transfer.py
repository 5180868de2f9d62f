"""Export and import speed of the ``tmf683`` command, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/bench_transfer.py [--count N] [--stores LIST]
(LIST: sqlite,postgres, the default)
(default N: 100000; for the 1M figure: --count 1000000, about 10 minutes and 3 GB
of disk: the NDJSON file, the SQLite file and the PostgreSQL database)

It writes N realistic interactions (benchmarks/data.py, with ids, 1 in 10 with v5-only
data under ``_v5``) as an NDJSON file, then for each store runs the real command
with a fresh target: ``tmf683 import`` of the file (a new SQLite file; a fresh
PostgreSQL database created on BENCH_POSTGRES, an admin URL, default the local
server as user postgres, named BENCH_DB_PREFIX + random, dropped afterwards), then
``tmf683 export`` of that store to a file, and checks that the export holds the same
documents. It prints records/s each way, by the wall clock and per CPU second of the
command and its workers (steadier on a shared machine; PostgreSQL's own CPU is not
counted), with the load average at the end of each row. The goal (issue 12):
1M interactions at 5,000/s or more each way.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import interactions
from databases import postgres_database

from tmf683._serialization import unstructure
from tmf683._validation import validate_party_interaction


def records(count: int) -> Iterator[dict]:
    """Stored documents: the v4 create form, ids, and v5-only data for 1 in 10."""
    for number, body in enumerate(interactions(count)):
        stored = {
            "id": f"PI-{number:08d}",
            **unstructure(validate_party_interaction(body)),
        }
        if number % 10 == 0:
            stored["_v5"] = {
                "attributes": {
                    "lastUpdate": stored.get("creationDate", "2024-01-01T00:00:00Z"),
                    "externalIdentifier": [
                        {
                            "@type": "ExternalIdentifier",
                            "id": f"E{number}",
                            "owner": "crm",
                        }
                    ],
                }
            }
        yield stored


def tmf683(*args) -> tuple[float, float]:
    """Run the command; return its wall-clock and CPU seconds (workers included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tmf683.cli", *map(str, args), "--quiet"], check=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def same_documents(a: Path, b: Path) -> bool:
    with a.open(encoding="utf-8") as left, b.open(encoding="utf-8") as right:
        for x, y in zip(left, right, strict=True):
            if json.loads(x) != json.loads(y):
                return False
    return True


def measure(store: str, db: str, source: Path, out: Path, args) -> None:
    count = args.count
    wall_in, cpu_in = tmf683(
        "import",
        "--db",
        db,
        "--batch-size",
        args.batch_size,
        "--jobs",
        args.jobs,
        source,
    )
    wall_out, cpu_out = tmf683("export", "--db", db, "--output", out)
    equal = same_documents(source, out)
    print(
        f"| {store} | {count:,} | {count / wall_in:,.0f} ({count / cpu_in:,.0f}) "
        f"| {count / wall_out:,.0f} ({count / cpu_out:,.0f}) "
        f"| {args.jobs} | {os.getloadavg()[0]:.1f} | {'yes' if equal else 'NO'} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_transfer_") as tmp:
        folder = Path(tmp)
        source = folder / "source.ndjson"
        started = time.perf_counter()
        with source.open("w", encoding="utf-8") as output:
            for document in records(args.count):
                output.write(json.dumps(document, separators=(",", ":")) + "\n")
        print(
            f"{args.count:,} records written in {time.perf_counter() - started:.1f} s "
            f"({source.stat().st_size / args.count:,.0f} bytes each)",
            flush=True,
        )
        print(
            "| store | N | import, records/s (per CPU second) | export, records/s "
            "(per CPU second) | jobs | load average | same documents |"
        )
        print("|---|---|---|---|---|---|---|")
        stores = args.stores.split(",")
        if "sqlite" in stores:
            measure(
                "SQLite",
                str(folder / "target.db"),
                source,
                folder / "sqlite.ndjson",
                args,
            )
        if "postgres" in stores:
            with postgres_database() as url:
                measure(
                    "PostgreSQL",
                    url,
                    source,
                    folder / "postgres.ndjson",
                    args,
                )


if __name__ == "__main__":
    main()
