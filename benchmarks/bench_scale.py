"""The issue-13 query set on a store built once, at any size (1M: issue 13).

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_scale.py build
--store sqlite --target /tmp/scale-1m.db --count 1000000
then PYTHONPATH=src .venv/bin/python benchmarks/bench_scale.py query
--store sqlite --target /tmp/scale-1m.db [--repeat 7] [--plans]
(``--store postgres --target NAME``: a database NAME on BENCH_POSTGRES, an admin
URL, default the local server as user postgres; ``build`` creates it, ``drop``
drops it).

``build`` writes ``count`` interactions of ``data.interactions(extended=True)``,
completed by :class:`PartyInteractionService` as a create would (ids, dates), one in
``count // 100`` with its second note "Escalated to tier 3, ticket T<n>"
(``bench_regex.py``'s literal), through the store's ``put_many`` in batches of
``--batch`` (the write of ``tmf683 import``: no outbox), then ``ANALYZE``
(PostgreSQL: ``VACUUM (ANALYZE)``). It prints the load time, the rate and the size
on disk, and keeps what ``query`` needs (the first id, the ``creationDate`` of the
last 1%) in ``<target>.json`` (SQLite) or ``/tmp/<target>.json`` (PostgreSQL).

``query`` runs ``bench_library.py``'s queries and ``bench_regex.py``'s, each with
limit=100, and prints for each the median ms of ``--repeat`` runs and the exact
total count as a Markdown table row, the load average before and after, and with
``--plans`` each query's plan (``store.explain``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_library import NARROW_START
from bench_library import QUERIES as LIBRARY_QUERIES
from bench_regex import QUERIES as REGEX_QUERIES
from data import customer_id, interactions
from databases import POSTGRES_ADMIN

from tmf683 import PartyInteractionService, PostgresStore, SQLiteStore, parse_query

QUERIES = {
    **LIBRARY_QUERIES,
    # doubled braces: the templates are formatted (``{2}`` is the pattern's)
    **{
        f"regex {label}": text.replace("{", "{{").replace("}", "}}")
        for label, text in REGEX_QUERIES.items()
    },
}


def documents(count: int, service: PartyInteractionService) -> Iterator[dict]:
    """The stored documents: create bodies completed as ``create`` would."""
    every = max(1, count // 100)
    for n, body in enumerate(interactions(count, extended=True)):
        if n % every == every // 2:
            body["note"][1]["text"] = f"Escalated to tier 3, ticket T{n}"
        yield service._new_document(body)


def url_of(name: str) -> str:
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name


def open_store(kind: str, target: str) -> Any:
    if kind == "sqlite":
        return SQLiteStore(target, query_timeout=None)
    return PostgresStore(url_of(target), query_timeout=None)


def meta_path(kind: str, target: str) -> Path:
    return Path(target + ".json") if kind == "sqlite" else Path(f"/tmp/{target}.json")


def size_on_disk(kind: str, target: str) -> int:
    if kind == "sqlite":
        path = Path(target)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    import psycopg

    with psycopg.connect(url_of(target)) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0])


def admin(statement: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL(statement))


def build(kind: str, target: str, count: int, batch: int) -> None:
    if kind == "postgres":
        admin(f'CREATE DATABASE "{target}"')
    store = open_store(kind, target)
    service = PartyInteractionService(store)
    started = time.perf_counter()
    first = since = None
    chunk: list[dict] = []
    for n, document in enumerate(documents(count, service)):
        if since is None and n >= count * 0.99:
            since = document["creationDate"]
        first = first or document["id"]
        chunk.append(document)
        if len(chunk) == batch:
            store.put_many(chunk)
            chunk = []
            if (n + 1) % 100_000 == 0:
                spent = time.perf_counter() - started
                print(f"  {n + 1:,} in {spent:.0f} s", file=sys.stderr, flush=True)
    if chunk:
        store.put_many(chunk)
    loaded = time.perf_counter() - started
    if kind == "sqlite":
        store._db().execute("ANALYZE")
    else:
        import psycopg

        with psycopg.connect(url_of(target), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
    analyzed = time.perf_counter() - started - loaded
    store.close()
    size = size_on_disk(kind, target)
    meta = {"count": count, "first": first, "since": since, "load_s": loaded}
    meta |= {"analyze_s": analyzed, "bytes": size}
    meta_path(kind, target).write_text(json.dumps(meta))
    print(
        f"{kind} {count:,}: load {loaded:.0f} s ({count / loaded:,.0f}/s), "
        f"analyze {analyzed:.0f} s, {size / 1e9:.2f} GB "
        f"({size / count:,.0f} bytes/interaction), load average "
        f"{os.getloadavg()[0]:.1f}"
    )


def query(kind: str, target: str, repeat: int, plans: bool, only: str) -> None:
    meta = json.loads(meta_path(kind, target).read_text())
    count = meta["count"]
    narrow_end = (NARROW_START + timedelta(days=365 * 100 / count)).isoformat()
    values = {
        "customer": customer_id(7),
        "since": quote(meta["since"]),
        "narrow_end": quote(narrow_end.replace("+00:00", "Z")),
        "deep": count // 2,
    }
    store = open_store(kind, target)
    print(f"## {kind} N={count:,}, load average {os.getloadavg()[0]:.1f}")
    for label, template in QUERIES.items():
        if only and only not in label:
            continue
        parsed = parse_query(template.format(**values))
        total = store.find(parsed).total_count
        times = []
        for _ in range(repeat):
            begun = time.perf_counter()
            store.find(parsed)
            times.append((time.perf_counter() - begun) * 1000)
        print(
            f"| {label} | {statistics.median(times):.2f} ms ({total:,}) |", flush=True
        )
        if plans:
            for line in store.explain(parsed):
                print(f"    {line[:300]}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "query", "drop"])
    parser.add_argument("--store", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--target", required=True, help="SQLite file or database")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--only", default="", help="the queries whose label has it")
    args = parser.parse_args()
    if args.action == "build":
        build(args.store, args.target, args.count, args.batch)
    elif args.action == "query":
        query(args.store, args.target, args.repeat, args.plans, args.only)
    elif args.store == "postgres":
        admin(f'DROP DATABASE IF EXISTS "{args.target}" WITH (FORCE)')
    else:
        for path in Path(args.target).parent.glob(Path(args.target).name + "*"):
            path.unlink()


if __name__ == "__main__":
    main()
