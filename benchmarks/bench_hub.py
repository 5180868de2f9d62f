"""Hub cost on writes and on the dispatcher's due lookup, SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/bench_hub.py [--stores sqlite,postgres]
[--subscriptions 5000] [--creates 200] [--pending 90000] [--callbacks 1,100,1000]

Creates: on a fresh store, times ``--creates`` creates through
PartyInteractionService with no hub subscription, then registers
``--subscriptions`` that cannot match a create (a quarter each:
``eventType=PartyInteractionDeleteEvent``; ``eventType=...CreateEvent`` with a
``status`` no interaction has; a ``relatedParty.id`` nobody is; an ``id`` no
interaction has; a fifth of them v5 subscriptions in v5 names when ``--v5``), then
times as many creates again. Prints both times, their ratio and the deliveries
written (0 expected).

Due lookup: fills the outbox of a fresh store with ``--pending`` pending
deliveries spread over N callbacks (each of ``--callbacks``), straight into the
table, and prints the median time of one ``due_deliveries(now, limit)`` pass with
every head due and with none due (all waiting for a retry), for each ``--limits``
(default: 100, ``run_once``'s, and the poll loop's two per worker,
``Dispatcher.pass_limit()`` with the default 8 workers). PostgreSQL databases
are created on BENCH_POSTGRES with the prefix BENCH_DB_PREFIX and dropped after.
Figures only, no assertion.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import postgres_database

from tmf683 import Dispatcher, PartyInteractionService, PostgresStore, SQLiteStore
from tmf683.storage.base import PartyInteractionStore

BODY = {
    "channel": [{"id": "555"}],
    "direction": "inbounds",
    "reason": "The user wanted to buy TV and internet plan",
    "status": "open",
    "relatedParty": [{"id": "C1", "role": "customer", "@referredType": "Individual"}],
}
CALLBACK = "http://127.0.0.1:9/listener/{n}"
V4_QUERIES = (
    "eventType=PartyInteractionDeleteEvent",
    "eventType=PartyInteractionCreateEvent&event.partyInteraction.status=never{n}",
    "event.partyInteraction.relatedParty.id=nobody{n}",
    "event.partyInteraction.id=none{n}",
)
V5_QUERY = "event.partyInteraction.relatedChannel.channel.id=none{n}"
REPEAT = 21


@contextmanager
def opened(kind: str) -> Iterator[PartyInteractionStore]:
    """A fresh store of ``kind`` (``sqlite`` or ``postgres``), closed after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            store: PartyInteractionStore = SQLiteStore(Path(tmp) / "hub.db")
            try:
                yield store
            finally:
                store.close()
        return
    with postgres_database() as url:
        store = PostgresStore(url)
        try:
            yield store
        finally:
            store.close()


def _timed(action: Callable[[], object], times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        action()
    return time.perf_counter() - started


def creates(kind: str, subscriptions: int, count: int, v5: bool) -> None:
    """Print the time of ``count`` creates without and with the subscriptions."""
    with opened(kind) as store:
        service = PartyInteractionService(store, max_subscriptions=None)
        try:
            _timed(lambda: service.create(BODY), 20)  # warm up
            alone = _timed(lambda: service.create(BODY), count)
            for n in range(subscriptions):
                if v5 and n % 5 == 4:
                    service.events.add_subscription(
                        CALLBACK.format(n=n), V5_QUERY.format(n=n), version="v5"
                    )
                else:
                    query = V4_QUERIES[n % len(V4_QUERIES)].format(n=n)
                    service.events.register(
                        {"callback": CALLBACK.format(n=n), "query": query}
                    )
            service.create(BODY)  # the first write after registering reads them
            loaded = _timed(lambda: service.create(BODY), count)
            written = store.outbox_stats().pending
        finally:
            service.close()
    label = f"{kind}{' +v5' if v5 else ''}"
    print(
        f"{label:<12} {count:>7} {alone:>9.3f} {subscriptions:>6} {loaded:>9.3f} "
        f"{loaded / alone:>6.2f} {written:>9}"
    )


def _fill(store: Any, pending: int, callbacks: int, due_at: float) -> None:
    rows = [
        (
            f"d{n}",
            f"s{n % callbacks}",
            CALLBACK.format(n=n % callbacks),
            json.dumps({"eventId": f"e{n}", "eventTime": "2024-01-01T00:00:00.000Z"}),
            due_at,
        )
        for n in range(pending)
    ]
    sql = (
        "INSERT INTO event_delivery (id, subscription_id, callback, event, "
        "next_attempt_at) VALUES "
    )
    if isinstance(store, SQLiteStore):
        with store._write() as conn:
            conn.executemany(sql + "(?, ?, ?, ?, ?)", rows)
    else:
        with store._write() as conn, conn.cursor() as cursor:
            cursor.executemany(sql + "(%s, %s, %s, %s, %s)", rows)


def _set_due(store: Any, due_at: float) -> None:
    with store._write() as conn:
        conn.execute(f"UPDATE event_delivery SET next_attempt_at = {due_at}")
    if not isinstance(store, SQLiteStore):
        with store._write() as conn:
            conn.execute("ANALYZE event_delivery")


def _median_ms(action: Callable[[], object]) -> float:
    action()
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def due(kind: str, pending: int, callbacks: int, limits: list[int]) -> None:
    """Print the median time of one due pass over ``pending`` deliveries."""
    now = time.time()
    with opened(kind) as store:
        _fill(store, pending, callbacks, 0.0)
        for limit in limits:
            _set_due(store, 0.0)
            found = len(store.due_deliveries(now, limit))
            all_due = _median_ms(lambda: store.due_deliveries(now, limit))  # noqa: B023
            _set_due(store, now + 3600)
            none_due = _median_ms(lambda: store.due_deliveries(now, limit))  # noqa: B023
            print(
                f"{kind:<12} {pending:>8} {callbacks:>9} {limit:>6} {found:>6} "
                f"{all_due:>9.2f} {none_due:>9.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--subscriptions", type=int, default=5000)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--pending", type=int, default=90_000)
    parser.add_argument("--callbacks", default="1,100,1000")
    parser.add_argument(
        "--limits",
        default=f"100,{Dispatcher(None).pass_limit()}",  # type: ignore[arg-type]
    )
    parser.add_argument("--v5", action="store_true", help="also a run with v5 hubs")
    parser.add_argument("--skip", default="", help="creates or due")
    args = parser.parse_args()
    kinds = args.stores.split(",")
    limits = [int(limit) for limit in args.limits.split(",")]
    if args.skip != "creates":
        print(
            f"{'store':<12} {'creates':>7} {'none s':>9} {'subs':>6} {'with s':>9} "
            f"{'ratio':>6} {'delivered':>9}"
        )
        for kind in kinds:
            creates(kind, args.subscriptions, args.creates, False)
            if args.v5:
                creates(kind, args.subscriptions, args.creates, True)
    if args.skip != "due":
        print(
            f"{'store':<12} {'pending':>8} {'callbacks':>9} {'limit':>6} {'heads':>6} "
            f"{'due ms':>9} {'none ms':>9}"
        )
        for kind in kinds:
            for callbacks in (int(c) for c in args.callbacks.split(",")):
                due(kind, args.pending, callbacks, limits)


if __name__ == "__main__":
    main()
