"""List-filter speed of the core library on SQLite and PostgreSQL, side by side.

Run: .venv/bin/python benchmarks/bench_library.py [--stores sqlite,postgres] [N ...]
(default N: 10000 100000 1000000; default stores: both)

For each N and store it loads N realistic interactions through
PartyInteractionService into a fresh SQLite file or a fresh PostgreSQL database
(created on BENCH_POSTGRES, an admin URL, default the local server as user postgres,
and dropped afterwards), then prints the median time (ms) of each query with
limit=100 and its exact total count, the load rate, the size on disk per
interaction and the query plans (the selective filters must use an index).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import customer_id, interactions

from tmf683 import (
    PartyInteractionService,
    PartyInteractionServiceV5,
    PostgresStore,
    SQLiteStore,
    parse_query,
)

POSTGRES_ADMIN = os.environ.get(
    "BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)

REPEAT = 15
NARROW_START = datetime(2024, 6, 1, tzinfo=UTC)
QUERIES = {
    "no filter (the whole collection)": "limit=100",
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
V5_TWINS = {
    # v5 query -> the v4 measure it must run as fast as (the same index)
    "v5 relatedChannel.channel.id=email": (
        "relatedChannel.channel.id=email&limit=100",
        "channel.id=email",
    ),
    "v5 relatedParty.partyOrPartyRole.id (customer)": (
        "relatedParty.partyOrPartyRole.id={customer}&limit=100",
        "relatedParty.id (customer)",
    ),
    "v5 customer + role (same element)": (
        "relatedParty.partyOrPartyRole.id={customer}&relatedParty.role=customer"
        "&limit=100",
        "customer + role (same element)",
    ),
}


def median_ms(action, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg
    from psycopg import sql

    name = f"tmf683_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run(count: int, folder: Path, kind: str) -> list[tuple[str, float, int]]:
    if kind == "sqlite":
        return measure(count, SQLiteStore(folder / f"bench-{count}.db"), folder)
    with postgres_database() as url:
        return measure(count, PostgresStore(url), folder)


def size_on_disk(store, folder: Path, count: int) -> int:
    if isinstance(store, SQLiteStore):
        return sum(p.stat().st_size for p in folder.glob(f"bench-{count}.db*"))
    import psycopg

    with psycopg.connect(store.conninfo) as conn:
        (size,) = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(size)


def analyze(store) -> None:
    if isinstance(store, SQLiteStore):
        store._db().execute("ANALYZE")
        return
    import psycopg

    with psycopg.connect(store.conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")  # every table, as autovacuum would


def measure(count: int, store, folder: Path) -> list[tuple[str, float, int]]:
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
    analyze(store)
    size = size_on_disk(store, folder, count)
    rows = [("load (interactions/s)", count / load_seconds, count)]
    rows.append(("size on disk (bytes/interaction)", size / count, count))
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
    v5 = PartyInteractionServiceV5(service)
    for label, (template, twin) in V5_TWINS.items():
        query_string = template.format(customer=customer_id(7))
        page = v5.list(query_string)
        ms = median_ms(lambda q=query_string: v5.list(q))
        # the v4 twin from its query string too: both sides parse, filter and render
        twin_string = QUERIES[twin].format(customer=customer_id(7))
        twin_ms = median_ms(lambda q=twin_string: service.list(q))
        rows.append((label, ms, page.total_count))
        rows.append((f"{label}: ratio to the v4 twin", ms / twin_ms, 0))
    store.close()
    print(f"\n## {type(store).__name__}, N = {count:,}  (query plans)")
    for label, lines in plans.items():
        # long literal lists (a regex's accepted texts) are cut to keep plans legible
        print(f"- {label}: " + " | ".join(line[:300] for line in lines))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("sizes", nargs="*", type=int)
    args = parser.parse_args()
    sizes = args.sizes or [10_000, 100_000, 1_000_000]
    kinds = [kind.strip() for kind in args.stores.split(",") if kind.strip()]
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    results = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        for count in sizes:
            for kind in kinds:
                results[count, kind] = run(count, Path(folder), kind)
    columns = [(count, kind) for count in sizes for kind in kinds]
    labels = [label for label, _, _ in results[columns[0]]]
    print(
        "\n| measure | " + " | ".join(f"{names[k]} N={n:,}" for n, k in columns) + " |"
    )
    print("|---|" + "---|" * len(columns))
    for index, label in enumerate(labels):
        cells = []
        for column in columns:
            _, value, total = results[column][index]
            if label.startswith(("load", "size")):
                cells.append(f"{value:,.0f}")
            elif label.endswith("ratio to the v4 twin"):
                cells.append(f"{value:.2f}x")
            else:
                cells.append(f"{value:.2f} ms ({total:,})")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(
        "\nQuery cells: median ms of 15 runs, page of 100 with its exact total count "
        "(in parentheses)."
    )


if __name__ == "__main__":
    main()
