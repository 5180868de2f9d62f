"""List-filter speed of the core library on SQLite at 10k, 100k and 1M interactions.

Run: .venv/bin/python benchmarks/bench_library.py [N ...]
(default N: 10000 100000 1000000)

For each N it loads N realistic interactions through PartyInteractionService into a
fresh SQLite file, then prints the median time (ms) of each query with limit=100 and
its exact total count, the load rate, the file size per interaction and the query
plans (the selective filters must use an index, never a scan).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import customer_id, interactions

from tmf683 import PartyInteractionService, SQLiteStore, parse_query

REPEAT = 15
NARROW_START = datetime(2024, 6, 1, tzinfo=UTC)
QUERIES = {
    "status=open": "status=open&limit=100",
    "relatedParty.id (customer)": "relatedParty.id={customer}&limit=100",
    "relatedParty.id (agent)": "relatedParty.id=A0042&limit=100",
    "channel.id=email": "channel.id=email&limit=100",
    "interactionDate range of ~100 matches": (
        "interactionDate.startDateTime.gte=2024-06-01T00:00:00Z"
        "&interactionDate.startDateTime.lt={narrow_end}&limit=100"
    ),
    "interactionDate range 1h": (
        "interactionDate.startDateTime.gte=2024-06-01T10:00:00Z"
        "&interactionDate.startDateTime.lt=2024-06-01T11:00:00Z&limit=100"
    ),
    "interactionDate range 1 month": (
        "interactionDate.startDateTime.gte=2024-06-01T00:00:00Z"
        "&interactionDate.startDateTime.lt=2024-07-01T00:00:00Z&limit=100"
    ),
    "creationDate range (last 1%)": "creationDate.gte={since}&limit=100",
    "customer + role (same element)": (
        "relatedParty.id={customer}&relatedParty.role=customer&limit=100"
    ),
    "regex on reason": "reason.regex=^billing&limit=100",
}


def median_ms(action, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(count: int, folder: Path) -> list[tuple[str, float, int]]:
    path = folder / f"bench-{count}.db"
    store = SQLiteStore(path)
    service = PartyInteractionService(store)
    started = time.perf_counter()
    first = None
    batch = max(1, min(1000, count // 100))
    bodies = interactions(count)
    loaded = 0
    since = None
    while loaded < count:
        if since is None and loaded >= count * 0.99:
            since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        chunk = [next(bodies) for _ in range(min(batch, count - loaded))]
        created = service.create_many(chunk)
        first = first or created[0]
        loaded += len(chunk)
    load_seconds = time.perf_counter() - started
    store._db().execute("ANALYZE")
    size = sum(p.stat().st_size for p in folder.glob(f"bench-{count}.db*"))
    rows = [("load (interactions/s)", count / load_seconds, count)]
    rows.append(("file size (bytes/interaction)", size / count, count))
    rows.append(("retrieve by id", median_ms(lambda: service.retrieve(first["id"])), 1))
    since = since or datetime.now(UTC).isoformat().replace("+00:00", "Z")
    plans = {}
    for label, template in QUERIES.items():
        narrow_end = (NARROW_START + timedelta(days=365 * 100 / count)).isoformat()
        query_string = template.format(
            customer=customer_id(7),
            since=quote(since),
            narrow_end=quote(narrow_end.replace("+00:00", "Z")),
        )
        query = parse_query(query_string)
        page = service.list(query)
        rows.append(
            (label, median_ms(lambda q=query: service.list(q)), page.total_count)
        )
        plans[label] = store.explain(query)
    store.close()
    print(f"\n## N = {count:,}  (query plans)")
    for label, lines in plans.items():
        print(f"- {label}: " + " | ".join(lines))
    return rows


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    results = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        for count in sizes:
            results[count] = run(count, Path(folder))
    labels = [label for label, _, _ in results[sizes[0]]]
    print("\n| measure | " + " | ".join(f"N={n:,}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for index, label in enumerate(labels):
        cells = []
        for count in sizes:
            _, value, total = results[count][index]
            if label.startswith(("load", "file")):
                cells.append(f"{value:,.0f}")
            else:
                cells.append(f"{value:.2f} ms ({total:,})")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(
        "\nQuery cells: median ms of 15 runs, page of 100 with its exact total count "
        "(in parentheses)."
    )


if __name__ == "__main__":
    main()
