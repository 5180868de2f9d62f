"""Reading a list query's count and page from PostgreSQL (inside one snapshot).

The statements come from :mod:`tmf683.storage._postgres_sql`; this module runs the
count, picks the page query by it, and answers the compiler's ``regex`` lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from tmf683.query.ast import Path, Query
from tmf683.query.regex import search
from tmf683.storage._postgres_sql import TABLE, Compiled, compile_query, json_path_text
from tmf683.storage._sql import COLUMNS

__all__ = ["SELECTIVE_MATCHES", "count", "page_sql", "regex_matches"]

SELECTIVE_MATCHES = 20_000
"""Up to this many matches, a page is collected through the filter's indexes first."""


def count(conn: psycopg.Connection[Any], query: Query) -> tuple[Compiled, int]:
    """Compile a query and count its matches.

    Args:
        conn: a connection inside the query's transaction.
        query: the parsed query.

    Returns:
        The compiled clauses and the number of matches.
    """
    compiled = compile_query(
        query, lambda path, patterns: regex_matches(conn, path, patterns)
    )
    row = conn.execute(
        f"SELECT count(*) FROM {TABLE} {compiled.where}",  # noqa: S608 - see _postgres_sql
        compiled.params,
    ).fetchone()
    return compiled, int(row[0]) if row else 0


def page_sql(compiled: Compiled, total: int, selective_matches: int) -> str:
    """The page query, with ``%(limit)s`` and ``%(offset)s`` placeholders.

    Args:
        compiled: the query's clauses.
        total: its number of matches.
        selective_matches: up to this many matches, the matches are collected
            through the filter's indexes first (a ``MATERIALIZED`` CTE) and then
            ordered; more are found by walking the requested order.

    Returns:
        The SQL text.
    """
    page = f"{compiled.order_by} LIMIT %(limit)s OFFSET %(offset)s"
    if compiled.where and total <= selective_matches:
        return (
            f"WITH matches AS MATERIALIZED (SELECT seq FROM {TABLE} "  # noqa: S608
            f"{compiled.where}) SELECT document FROM {TABLE} "
            f"WHERE seq IN (SELECT seq FROM matches) {page}"
        )
    return f"SELECT document FROM {TABLE} {compiled.where} {page}"  # noqa: S608


def regex_matches(
    conn: psycopg.Connection[Any], path: Path, patterns: Sequence[str]
) -> list[str]:
    """The distinct texts at ``path`` (in this snapshot) matching a pattern (RE2).

    Args:
        conn: a connection inside the query's transaction.
        path: attribute names from the document root.
        patterns: RE2 patterns, ORed.

    Returns:
        The texts, each once.
    """
    if path in COLUMNS:
        column = COLUMNS[path]
        sql = (
            f"SELECT DISTINCT {column} FROM {TABLE} "  # noqa: S608 - whitelisted column
            f"WHERE {column} IS NOT NULL"
        )
        rows = conn.execute(sql).fetchall()
    else:
        rows = conn.execute(
            f"SELECT DISTINCT value #>> '{{}}' FROM {TABLE}, "  # noqa: S608 - constant
            "jsonb_path_query(document, %s::jsonpath) AS found(value) "
            "WHERE jsonb_typeof(value) = 'string'",
            [json_path_text(path)],
        ).fetchall()
    return [
        row[0] for row in rows if any(search(pattern, row[0]) for pattern in patterns)
    ]
