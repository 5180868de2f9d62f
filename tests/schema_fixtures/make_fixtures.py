"""Make the previous-schema fixtures the upgrade tests open (run by hand, once).

``sqlite-v4.db`` (SQLite schema 4) and ``postgres-v3.sql`` (a plain ``pg_dump``
of a PostgreSQL database at schema 3), beside this script, were written by the
stores of the release before the generic leaf index (commit 0f0eec8 of main), with
the same content: :func:`documents` (some updated, one deleted), two hub
subscriptions and one pending delivery. Run from the repository root, with that
release's ``src`` on the path and a PostgreSQL server to dump from::

    PYTHONPATH=src python tests/schema_fixtures/make_fixtures.py \\
        postgresql://postgres@127.0.0.1:5432/postgres

It creates and drops a scratch database ``h_index_fixture``.

``sqlite-v9.db`` (SQLite schema 9, the last before the texts waiting for the FTS5
index) holds the same content, written by commit 55ae2e3 of main::

    PYTHONPATH=src python tests/schema_fixtures/make_fixtures.py \
        --sqlite tests/schema_fixtures/sqlite-v9.db

The upgrade tests
(``tests/test_upgrade_fixtures.py``) import :func:`documents` and :data:`CHANGES`
from here to know what the fixtures hold.
"""

from __future__ import annotations

import random
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SQLITE_FILE = HERE / "sqlite-v4.db"
SQLITE_V9_FILE = HERE / "sqlite-v9.db"
POSTGRES_FILE = HERE / "postgres-v3.sql"
SCRATCH = "h_index_fixture"

WORDS = ("alpha", "beta", "gamma", "delta", "Émile", "zoë", "日本", "a,b", "")
NUMBERS = (0, 1, -3, 2.5, 0.1, 2**53 + 1, 2.0**53, 1e30, -0.0, 5e-324, 2**62, 7)
LONG = "long text " * 80
"""Longer than the leaf index keeps of a text (its exact test is a recheck)."""


def documents() -> list[dict[str, Any]]:
    """The 30 documents the fixtures were created with, before :data:`CHANGES`."""
    pick = random.Random(683)  # noqa: S311 - fixed content, not a secret
    found: list[dict[str, Any]] = []
    for n in range(30):
        document: dict[str, Any] = {
            "id": f"F{n:02d}",
            "@type": "PartyInteraction",
            "status": pick.choice(["open", "closed", "inProgress"]),
            "direction": pick.choice(["inbound", "outbound"]),
            "reason": pick.choice(WORDS),
            "creationDate": f"2024-01-{1 + n % 28:02d}T10:00:00.000000Z",
            "interactionDate": {
                "startDateTime": f"2024-02-{1 + n % 28:02d}T08:00:00.000000Z",
                "endDateTime": f"2024-02-{1 + n % 28:02d}T09:{n:02d}:00.000000Z",
            },
            "channel": [{"id": f"C{n % 4}", "name": pick.choice(WORDS)}],
            "relatedParty": [
                {"id": f"P{(n + k) % 7}", "name": pick.choice(WORDS), "role": role}
                for k, role in enumerate(["customer", "agent"][: 1 + n % 2])
            ],
            "note": [
                {
                    "author": pick.choice(WORDS),
                    "text": LONG + str(n) if n % 9 == 0 else pick.choice(WORDS),
                    "date": f"2024-03-{1 + n % 28:02d}T00:00:00.000000Z",
                }
            ],
            "attachment": [
                {
                    "name": f"file-{n % 5}.pdf",
                    "size": {"amount": pick.choice(NUMBERS), "units": "KB"},
                }
            ],
        }
        if n % 3 == 0:
            document["x-ext"] = pick.choice(
                [pick.choice(WORDS), pick.choice(NUMBERS), True, {"a": 1}]
            )
        if n % 4 == 0:
            document["x-priority"] = n % 5
            document["description"] = pick.choice(WORDS)
        if n % 5 == 0:
            document["interactionItem"] = [
                {
                    "id": f"I{n}",
                    "reason": pick.choice(WORDS),
                    "relatedParty": [{"id": f"P{n % 3}", "role": "customer"}],
                    "attachment": [{"size": {"amount": pick.choice(NUMBERS)}}],
                }
            ]
        found.append(document)
    return found


CHANGES = {"F01": 2, "F02": 3}
"""Ids updated after their create, and the version each is left at."""
DELETED = "F29"
"""The id created and then deleted."""


def expected() -> dict[str, tuple[dict[str, Any], int]]:
    """The documents the fixtures hold, by id, with their versions."""
    held = {}
    for document in documents():
        if document["id"] == DELETED:
            continue
        version = CHANGES.get(document["id"], 1)
        held[document["id"]] = (_changed(document, version), version)
    return held


def _changed(document: dict[str, Any], version: int) -> dict[str, Any]:
    if version == 1:
        return document
    return {**document, "reason": f"changed {version}", "x-rev": version}


def fill(store: Any) -> None:
    """Write the fixture content into an empty store (its schema as it is)."""
    from tmf683.storage.base import Delivery

    docs = documents()
    store.add_many(docs[:-1])
    for id, version in CHANGES.items():
        for step in range(2, version + 1):
            store.update(id, lambda d, step=step: _changed(d, step))
    store.add_subscription({"id": "S1", "callback": "http://h/1", "query": ""})
    store.add_subscription(
        {"id": "S2", "callback": "http://h/2", "query": "status=open"}
    )

    def outbox(old: Any, new: Any) -> list[Delivery]:
        event = {"eventId": "E1", "eventType": "PartyInteractionCreateEvent"}
        return [Delivery("D1", "S1", "http://h/1", event, next_attempt_at=1.5)]

    store.add(docs[-1], outbox)
    store.delete(DELETED)


def sqlite_fixture(path: Path) -> None:
    """Write the SQLite fixture at ``path`` (replacing it), one file, no WAL."""
    from tmf683 import SQLiteStore

    path.unlink(missing_ok=True)
    sqlite = SQLiteStore(path)
    fill(sqlite)
    sqlite.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def main(admin_url: str) -> None:
    """Write both fixtures of the release before the leaf index (replacing them)."""
    import psycopg

    from tmf683 import PostgresStore

    sqlite_fixture(SQLITE_FILE)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        conn.execute(f"CREATE DATABASE {SCRATCH}")
    url = urllib.parse.urlsplit(admin_url)._replace(path=f"/{SCRATCH}").geturl()
    try:
        postgres = PostgresStore(url)
        fill(postgres)
        postgres.close()
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        POSTGRES_FILE.write_text(dump)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sqlite"]:
        sqlite_fixture(Path(sys.argv[2]))
    else:
        main(
            sys.argv[1]
            if len(sys.argv) > 1
            else "postgresql://postgres@127.0.0.1:5432/postgres"
        )
