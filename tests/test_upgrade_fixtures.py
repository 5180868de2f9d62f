"""The previous release's files, upgraded in place: nothing lost, the leaf index built.

``sqlite-v4.db`` and ``postgres-v3.sql`` in ``tests/schema_fixtures`` were written
by the stores of the release before the leaf index (its ``make_fixtures.py``). Each
is opened by today's store, which upgrades it; every document, version,
subscription and pending delivery must be there, and queries over every kind of
indexed path must answer as the in-memory oracle does on the same documents.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.schema_fixtures.make_fixtures import (
    DELETED,
    POSTGRES_FILE,
    SQLITE_FILE,
    SQLITE_V9_FILE,
    expected,
)
from tmf683 import (
    MemoryStore,
    PostgresStore,
    SQLiteStore,
    StoreConfigurationError,
    parse_query,
)
from tmf683.storage._sql.leaves import LEAF_TABLE, PREFIX
from tmf683.storage._sql.text_index import TEXT_TABLE, TRIGRAM_TABLE
from tmf683.storage.base import PartyInteractionStore
from tmf683.storage.postgres._schema import SCHEMA_VERSION as POSTGRES_SCHEMA
from tmf683.storage.sqlite._schema import SCHEMA_VERSION as SQLITE_SCHEMA
from tmf683.storage.sqlite._schema import SEQ_INDEX

LONG_NOTE = "long text " * 80 + "0"
QUERIES = [
    # first-level texts: equality, ranges, ne, ORs
    "reason=alpha",
    "reason=alpha,zoë,日本",
    "reason.gt=delta",
    "reason.lte=beta&reason.gte=alpha",
    "reason.ne=alpha",
    "reason=",
    "description=delta",
    "reason=gamma;description=alpha",
    # date-times without an indexed column
    "interactionDate.endDateTime.lt=2024-02-10T09:00:00Z",
    "interactionDate.endDateTime.gte=2024-02-20T00:00:00Z",
    # extensions
    "x-ext.gte=a",
    "x-ext.ne=beta",
    "x-rev=2",
    # array elements, same element, nested arrays
    "channel.id=C1",
    "relatedParty.name=zoë",
    "relatedParty.id=P3&relatedParty.role=agent",
    "relatedParty.id=P3;relatedParty.name=Émile",
    "note.author=gamma",
    "note.date.gt=2024-03-15T00:00:00Z",
    "interactionItem.relatedParty.id=P1",
    "interactionItem.reason.gte=b",
    # numbers
    "attachment.size.amount=0.1",
    "attachment.size.amount.gt=2",
    "attachment.size.amount.lte=0",
    "interactionItem.attachment.size.amount.lt=9007199254740993",
    # texts longer than the index keeps
    f"note.text={LONG_NOTE}",
    f"note.text.gt={'long text ' * 60}",
    "note.text.gte=long",
    # sort and page
    "sort=reason&relatedParty.role=agent",
    "sort=-reason,description&offset=3&limit=5",
    "status=open&note.author=alpha,beta",
    # regex through the trigram index
    "reason.regex=hanged",
    "note.text.regex=ext long.*9$",
    "relatedParty.name.regex=(?i)mile",
]


def _oracle() -> MemoryStore:
    oracle = MemoryStore()
    oracle.add_many([document for document, _ in expected().values()])
    return oracle


def _check(store: PartyInteractionStore) -> None:
    held = expected()
    assert len(LONG_NOTE) > PREFIX
    for id, (document, version) in held.items():
        found = store.get(id)
        assert (dict(found), found.version) == (document, version), id
    assert store.find(parse_query(f"id={DELETED}")).total_count == 0
    assert [s["id"] for s in store.subscriptions()] == ["S1", "S2"]
    assert store.subscriptions()[1]["query"] == "status=open"
    due = store.due_deliveries(now=10.0)
    assert [(d.id, d.subscription_id, d.event["eventId"]) for d in due] == [
        ("D1", "S1", "E1")
    ]
    oracle = _oracle()
    for query_string in QUERIES:
        query = parse_query(query_string)
        wanted, actual = oracle.find(query), store.find(query)
        assert [d["id"] for d in actual.items] == [d["id"] for d in wanted.items], (
            query_string
        )
        assert actual.total_count == wanted.total_count, query_string
    # the index follows writes after the upgrade
    store.update("F03", lambda d: {**d, "reason": "after the upgrade"})
    assert [
        d["id"] for d in store.find(parse_query("reason=after the upgrade")).items
    ] == ["F03"]


def _said_upgrade(caplog: pytest.LogCaptureFixture, old: int, new: int) -> bool:
    return any(
        record.levelno == logging.WARNING
        and f"upgrading the schema from version {old} to {new} in place"
        in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.parametrize(("fixture", "old"), [(SQLITE_FILE, 4), (SQLITE_V9_FILE, 9)])
def test_an_older_sqlite_file_is_upgraded_in_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fixture: Path, old: int
) -> None:
    path = tmp_path / "old.db"
    shutil.copy(fixture, path)
    store = SQLiteStore(path)
    assert _said_upgrade(caplog, old, SQLITE_SCHEMA)
    # from 9 no index is built from the documents: the warning does not say so
    assert ("can take minutes" in caplog.text) == (old < 9)
    caplog.clear()
    SQLiteStore(path).close()  # opened again: nothing to upgrade, nothing said
    assert not _said_upgrade(caplog, old, SQLITE_SCHEMA)
    try:
        _check(store)
    finally:
        store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA
        tables = {
            row[0] for row in connection.execute("SELECT name FROM sqlite_master")
        }
        assert "party_interaction_reference" not in tables
        assert SEQ_INDEX in tables  # version 9
        (rows,) = connection.execute(f"SELECT count(*) FROM {LEAF_TABLE}").fetchone()
        assert rows > 29 * 20
        # version 10: the texts of the file are in the FTS5 index, the index whole
        (waiting,) = connection.execute(
            f"SELECT count(*) FROM {TEXT_TABLE} WHERE indexed = 0"
        ).fetchone()
        assert waiting == 1  # the text _check's update wrote
        connection.execute(
            f"INSERT INTO {TRIGRAM_TABLE} ({TRIGRAM_TABLE}) VALUES ('integrity-check')"
        )
    finally:
        connection.close()


def test_a_schema_3_postgres_dump_is_upgraded_in_place(
    postgres_databases: Any, caplog: pytest.LogCaptureFixture
) -> None:
    if shutil.which("psql") is None:
        pytest.skip("psql is needed to restore the dump")
    url = postgres_databases.create()
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(POSTGRES_FILE), url],
        check=True,
        capture_output=True,
    )
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM tmf683_schema").fetchall() == [(3,)]
    store = PostgresStore(url)
    assert _said_upgrade(caplog, 3, POSTGRES_SCHEMA)
    try:
        _check(store)
    finally:
        store.close()
    with psycopg.connect(url) as conn:
        (version,) = conn.execute("SELECT version FROM tmf683_schema").fetchall()
        assert version == (POSTGRES_SCHEMA,)
        gone = conn.execute(
            "SELECT to_regclass('party_interaction_reference') IS NULL"
        ).fetchone()
        assert gone == (True,)
        found = conn.execute(f"SELECT count(*) FROM {LEAF_TABLE}").fetchone()
        assert found is not None
        assert found[0] > 29 * 20


def test_a_file_of_a_newer_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SQLITE_SCHEMA + 1}")
    with pytest.raises(StoreConfigurationError) as raised:
        SQLiteStore(path)
    message = str(raised.value)
    assert message.count(str(path)) == 1, message
    assert (
        f"has schema version {SQLITE_SCHEMA + 1}; this tmf683 knows {SQLITE_SCHEMA}: "
        "upgrade tmf683"
    ) in message
    assert "cannot be opened as a SQLite database" not in message  # it is one
