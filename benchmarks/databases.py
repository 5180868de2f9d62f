"""A fresh PostgreSQL database for one benchmark run, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

POSTGRES_ADMIN = os.environ.get(
    "BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
"""An admin URL of the server the benchmarks create their databases on."""
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "tmf683_bench_")
"""The prefix of those databases' names."""


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a database ``DB_PREFIX + 8 hex digits``; yield its URL; drop it."""
    import psycopg
    from psycopg import sql

    name = f"{DB_PREFIX}{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
