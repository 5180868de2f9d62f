from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, settings

from tests import postgres
from tests.servers import ServerProcess
from tmf683 import (
    MemoryStore,
    PartyInteractionService,
    PartyInteractionStore,
    PostgresStore,
    SQLiteStore,
)

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

MINIMAL = {
    "channel": [{"id": "555"}],
    "direction": "inbounds",
    "reason": "The user wanted to buy TV and internet plan",
}

V5_BODY: dict[str, Any] = {
    "@type": "PartyInteraction",
    "reason": "Wants a new plan",
    "direction": "inbound",
    "relatedChannel": [
        {
            "@type": "RelatedChannel",
            "role": "interactionChannel",
            "channel": {"@type": "ChannelRef", "id": "555"},
        }
    ],
}


class FixedClock:
    """A clock tests move by hand: returns ``now`` and advances one second per call."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[postgres.Databases]:
    """Makes fresh PostgreSQL databases; skips (or fails, when required) without one."""
    databases = postgres.Databases()
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def postgres_url(postgres_databases) -> str:
    """One database for the session's store tests; emptied by each user."""
    url: str = postgres_databases.create()
    return url


@pytest.fixture
def postgres_opened(postgres_databases) -> Iterator[tuple[PostgresStore, str]]:
    """A store on a fresh PostgreSQL database of its own, and that database's URL."""
    url = postgres_databases.create()
    store = PostgresStore(url)
    try:
        yield store, url
    finally:
        store.close()


@pytest.fixture(scope="session")
def postgres_for_properties(postgres_databases):
    """A PostgreSQL store on a database of its own (no subscriptions, which other
    tests leave in ``postgres_url``), and a connection to empty it between
    examples."""
    url = postgres_databases.create()
    opened = PostgresStore(url)
    with psycopg.connect(url, autocommit=True) as conn:
        yield opened, conn
    opened.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request, tmp_path) -> Iterator[PartyInteractionStore]:
    opened: PartyInteractionStore
    if request.param == "memory":
        opened = MemoryStore()
    elif request.param == "sqlite":
        opened = SQLiteStore(tmp_path / "t.db")
    else:
        url = request.getfixturevalue("postgres_url")
        postgres.empty(url)
        opened = PostgresStore(url)
    yield opened
    opened.close()


@pytest.fixture(params=["sqlite", "sqlite dense", "postgres", "postgres dense"])
def sql_store(request, tmp_path) -> Iterator[PartyInteractionStore]:
    """An empty SQL store, each in its own file or database.

    "dense" sets ``selective_matches = 0``, so the planner takes its path for filters
    with many matches (the exact JSON test on every candidate) for every query; the
    others plan as in production.
    """
    name: str = request.param
    opened: Any
    if name.startswith("sqlite"):
        opened = SQLiteStore(tmp_path / "sql.db")
    else:
        opened = PostgresStore(request.getfixturevalue("postgres_databases").create())
    if name.endswith("dense"):
        opened.selective_matches = 0
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def service(store, clock) -> PartyInteractionService:
    counter = iter(range(1, 1_000_000))
    return PartyInteractionService(
        store,
        base_url="https://api.example.com/tmf-api/partyInteraction/v4",
        clock=clock,
        id_factory=lambda: f"PI-{next(counter):04d}",
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    db = tmp_path_factory.mktemp("server") / "tmf683.db"
    with ServerProcess("--db", str(db)) as running:
        yield running


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        yield client


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path) -> str:
    """The ``--db`` of a fresh server: a new SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "fresh.db")
    return str(request.getfixturevalue("postgres_databases").create())
