"""List-filter speed of the core library on SQLite and PostgreSQL, side by side.

Run: .venv/bin/python benchmarks/bench_library.py [--stores sqlite,postgres] [N ...]
(default N: 10000 100000 1000000; default stores: both; BENCH_REPEAT=5 runs each
query 5 times instead of 15; BENCH_SKIP_V5=1 leaves out the v5 twins)

For each N and store it loads N realistic interactions through
PartyInteractionService into a fresh SQLite file or a fresh PostgreSQL database
(created on BENCH_POSTGRES, an admin URL, default the local server as user postgres,
and dropped afterwards), then prints the median time (ms) of each query with
limit=100 and its exact total count, the load rate, the size on disk per
interaction and the query plans (the selective filters must use an index).

Then each v5 query beside its v4 twin (``relatedChannel.channel.id`` beside
``channel.id``...), and v5 retrieve and create beside v4's, the two run in turn, with
the ratio v5/v4 and whether the v5 query got the v4 query's plan.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import customer_id, interactions, v5_create_body
from databases import postgres_database

from tmf683 import (
    V5_PARTY_INTERACTION_SCHEMA,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PostgresStore,
    SQLiteStore,
    parse_query,
)
from tmf683.versions.v5query import to_canonical

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
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
    "sort=-interactionDate.startDateTime": (
        "sort=-interactionDate.startDateTime&limit=100"
    ),
    "fields=status,channel (status=open)": (
        "status=open&fields=status,channel&limit=100"
    ),
    "deep page (offset N/2)": "offset={deep}&limit=100",
    "regex on reason": "reason.regex=^billing&limit=100",
    # issue 13: about 100 matches each, on attributes without a column of their own
    "reason= (~100)": "reason=callback%20requested&limit=100",
    "relatedParty.name= (~100)": "relatedParty.name=Team%203&limit=100",
    "note.author= (~100)": "note.author=agent-3&limit=100",
    "extension x-campaign= (~100)": "x-campaign=K3&limit=100",
    "x-campaign=K3;note.author=agent-4 (~200)": (
        "x-campaign=K3;note.author=agent-4&limit=100"
    ),
    "x-campaign=K3,K4 (~200)": "x-campaign=K3,K4&limit=100",
    "interactionDate.endDateTime range (~100)": (
        "interactionDate.endDateTime.gte=2024-06-01T00:00:00Z"
        "&interactionDate.endDateTime.lt={narrow_end}&limit=100"
    ),
    "sort=reason (x-campaign=K3)": "x-campaign=K3&sort=reason&limit=100",
    "deep page (x-campaign=K3, offset 50)": "x-campaign=K3&offset=50&limit=100",
}
SHARED_TWINS = (
    # v4 measures whose query string is also a v5 one (attributes named alike)
    "status=open",
    "interactionDate range of ~100 matches",
    "sort=-interactionDate.startDateTime",
    "deep page (offset N/2)",
)
V5_TWINS = {
    # v5 measure -> (its query, the v4 measure it must run as fast as: same index)
    "relatedChannel.channel.id=email": (
        "relatedChannel.channel.id=email&limit=100",
        "channel.id=email",
    ),
    "relatedParty.partyOrPartyRole.id (customer)": (
        "relatedParty.partyOrPartyRole.id={customer}&limit=100",
        "relatedParty.id (customer)",
    ),
    "partyOrPartyRole.id + role (same element)": (
        "relatedParty.partyOrPartyRole.id={customer}&relatedParty.role=customer"
        "&limit=100",
        "customer + role (same element)",
    ),
    **{label: (QUERIES[label], label) for label in SHARED_TWINS},
    "fields=status,relatedChannel (status=open)": (
        "status=open&fields=status,relatedChannel&limit=100",
        "fields=status,channel (status=open)",
    ),
}


def medians_ms(*actions, repeat=REPEAT) -> list[float]:
    """The median ms of each action, run in turn so that all meet the same load."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for action, into in zip(actions, times, strict=True):
            started = time.perf_counter()
            action()
            into.append((time.perf_counter() - started) * 1000)
    return [statistics.median(each) for each in times]


def median_ms(action, repeat=REPEAT):
    return medians_ms(action, repeat=repeat)[0]


def run(count: int, folder: Path, kind: str) -> tuple[list[Row], list[Twin]]:
    if kind == "sqlite":
        # no query deadline: the slow queries of before are measured, not stopped
        store = SQLiteStore(folder / f"bench-{count}.db", query_timeout=None)
        return measure(count, store, folder)
    with postgres_database() as url:
        return measure(count, PostgresStore(url, query_timeout=None), folder)


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


Row = tuple[str, float, int]
Twin = tuple[str, float, float, int, int]  # label, v4 ms, v5 ms, v4 total, v5 total


def now_text() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def load(count: int, service: PartyInteractionService) -> tuple[float, str, str]:
    """Load N interactions; return the rate (per second), one id and ``since``."""
    started = time.perf_counter()
    first = None
    batch = max(1, min(1000, count // 100))
    bodies = interactions(count, extended=True)
    loaded = 0
    since = None
    while loaded < count:
        if since is None and loaded >= count * 0.99:
            since = now_text()
        chunk = [next(bodies) for _ in range(min(batch, count - loaded))]
        created = service.create_many(chunk)
        first = first or created[0]
        loaded += len(chunk)
    rate = count / (time.perf_counter() - started)
    return rate, first["id"], since or now_text()


def operation(label: str, v4_action, v5_action) -> Twin:
    """One v4 operation beside its v5 twin, on one interaction."""
    v4_ms, v5_ms = medians_ms(v4_action, v5_action)
    return label, v4_ms, v5_ms, 1, 1


def measure(count: int, store, folder: Path) -> tuple[list[Row], list[Twin]]:
    service = PartyInteractionService(store)
    rate, first_id, since = load(count, service)
    analyze(store)
    rows = [("load (interactions/s)", rate, count)]
    size = size_on_disk(store, folder, count)
    rows.append(("size on disk (bytes/interaction)", size / count, count))
    rows.append(("retrieve by id", median_ms(lambda: service.retrieve(first_id)), 1))
    narrow_end = (NARROW_START + timedelta(days=365 * 100 / count)).isoformat()
    values = {
        "customer": customer_id(7),
        "since": quote(since),
        "narrow_end": quote(narrow_end.replace("+00:00", "Z")),
        "deep": count // 2,
    }
    plans = {}
    totals = {}
    for label, template in QUERIES.items():
        query = parse_query(template.format(**values))
        totals[label] = service.list(query).total_count
        rows.append((label, median_ms(lambda q=query: service.list(q)), totals[label]))
        plans[label] = store.explain(query)
    v5 = PartyInteractionServiceV5(service)
    twins: list[Twin] = []
    v5_plans = {}
    skip_v5 = os.environ.get("BENCH_SKIP_V5") == "1"  # the v5 twins take long
    for label, (template, twin) in ({} if skip_v5 else V5_TWINS).items():
        # both sides from their query strings: both parse, filter and render
        v4_string = QUERIES[twin].format(**values)
        v5_string = template.format(**values)
        v5_total = v5.list(v5_string).total_count
        v4_ms, v5_ms = medians_ms(
            lambda q=v4_string: service.list(q), lambda q=v5_string: v5.list(q)
        )
        twins.append((label, v4_ms, v5_ms, totals[twin], v5_total))
        canonical = to_canonical(
            parse_query(v5_string, schema=V5_PARTY_INTERACTION_SCHEMA)
        )
        v5_plans[label] = (
            ["evaluated in memory: a path with no canonical twin"]
            if canonical is None
            else ["the same plan as v4"]
            if store.explain(canonical) == plans[twin]
            else store.explain(canonical)
        )
    v4_body = next(interactions(1))
    v5_body = v5_create_body(v5.retrieve(first_id))
    twins += (
        []
        if skip_v5
        else [
            operation(
                "retrieve by id",
                lambda: service.retrieve(first_id),
                lambda: v5.retrieve(first_id),
            ),
            # last, so that the rows they add change no total above
            operation(
                "create", lambda: service.create(v4_body), lambda: v5.create(v5_body)
            ),
        ]
    )
    store.close()
    print(f"\n## {type(store).__name__}, N = {count:,}  (query plans)")
    for label, lines in plans.items():
        # long literal lists (a regex's accepted texts) are cut to keep plans legible
        print(f"- {label}: " + " | ".join(line[:300] for line in lines))
    for label, lines in v5_plans.items():
        print(f"- v5 {label}: " + " | ".join(line[:300] for line in lines))
    return rows, twins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("sizes", nargs="*", type=int)
    args = parser.parse_args()
    sizes = args.sizes or [10_000, 100_000, 1_000_000]
    kinds = [kind.strip() for kind in args.stores.split(",") if kind.strip()]
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    results = {}
    twins = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        for count in sizes:
            for kind in kinds:
                results[count, kind], twins[count, kind] = run(
                    count, Path(folder), kind
                )
    columns = [(count, kind) for count in sizes for kind in kinds]
    header = " | ".join(f"{names[k]} N={n:,}" for n, k in columns)
    labels = [label for label, _, _ in results[columns[0]]]
    print(f"\n| measure | {header} |")
    print("|---|" + "---|" * len(columns))
    for index, label in enumerate(labels):
        cells = []
        for column in columns:
            _, value, total = results[column][index]
            if label.startswith(("load", "size")):
                cells.append(f"{value:,.0f}")
            else:
                cells.append(f"{value:.2f} ms ({total:,})")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(
        f"\nQuery cells: median ms of {REPEAT} runs, page of 100 with its exact "
        "total count (in parentheses)."
    )
    print(f"\n| v5 measure | {header} |")
    print("|---|" + "---|" * len(columns))
    for index, (label, *_) in enumerate(twins[columns[0]]):
        cells = []
        for column in columns:
            _, v4_ms, v5_ms, v4_total, v5_total = twins[column][index]
            differ = "" if v4_total == v5_total else f" TOTALS {v4_total}/{v5_total}"
            cells.append(f"{v4_ms:.2f} / {v5_ms:.2f} ms = {v5_ms / v4_ms:.2f}x{differ}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(
        "\nv5 cells: median ms of the v4 twin / of the v5 measure = v5/v4; the two "
        f"run in turn, {REPEAT} times each."
    )


if __name__ == "__main__":
    main()
