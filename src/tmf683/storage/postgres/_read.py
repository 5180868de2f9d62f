"""Reading a list query's count and page from PostgreSQL (inside one snapshot).

The statements come from :mod:`tmf683.storage._sql.compiler`; this module runs the
count, picks the page query by it, and answers the compiler's ``regex`` lookups.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from tmf683._errors import QueryTimeoutError
from tmf683.query.ast import Path, Query
from tmf683.query.regex import search
from tmf683.storage._sql.compiler import Compiled, compile_query
from tmf683.storage._sql.tables import COLUMNS, TABLE
from tmf683.storage._sql.text_index import TEXT_TABLE, requirement, text_path
from tmf683.storage.postgres._counts import COUNTED
from tmf683.storage.postgres._dialect import DIALECT, json_path_text, like_sql

STORED = DIALECT.stored_document
"""The column of the documents' texts the pages read."""

SELECTIVE_SHARE = 0.1
"""... and when they are at most this share of the table's rows."""


def count(
    conn: psycopg.Connection[Any], query: Query, deadline: float | None = None
) -> tuple[Compiled, int]:
    """Compile a query and count its matches.

    Args:
        conn: a connection inside the query's transaction.
        query: the parsed query.
        deadline: a :func:`time.monotonic` time the ``regex`` matching in this
            process may not pass (:class:`TimeoutError`); ``None``: none.

    Returns:
        The compiled clauses and the number of matches (with no filter, from
        ``party_interaction_count``: exact, see ``_counts``).
    """
    compiled = compile_filter(conn, query, deadline)
    # no filter: the sum the triggers keep, not a read of every row
    if compiled.where:
        row = conn.execute(compiled.count, compiled.params).fetchone()
    else:
        row = conn.execute(COUNTED).fetchone()
    return compiled, int(row[0]) if row else 0


def compile_filter(
    conn: psycopg.Connection[Any], query: Query, deadline: float | None = None
) -> Compiled:
    """Compile a query, looking up on ``conn`` the texts its ``regex`` accepts.

    Args:
        conn: a connection inside the query's transaction.
        query: the parsed query.
        deadline: as for :func:`count`.

    Returns:
        The compiled clauses.
    """
    return compile_query(
        query,
        DIALECT,
        regex_matches=lambda path, patterns: regex_matches(
            conn, path, patterns, deadline
        ),
    )


def page_sql(
    compiled: Compiled,
    total: int,
    rows: float,
    selective_matches: int,
    selective_share: float,
) -> str:
    """The page query, with ``%(limit)s`` and ``%(offset)s`` placeholders.

    Walking the requested order (an index) and testing each row meets a page of
    matches soon when matches are many and spread out, but walks the whole table
    when they gather at its far end (the newest 1 %, say). So when the matches are
    few (at most ``selective_matches``, and at most ``selective_share`` of the
    table), they are
    collected through the filter's indexes first, with their sort keys; the page is
    picked among them, and only its rows are read. Otherwise the walk selects
    the page's ``seq`` alone, and only the page's documents are read.

    Args:
        compiled: the query's clauses.
        total: its number of matches.
        rows: the table's estimated number of rows (``pg_class.reltuples``; 0 or
            less when unknown).
        selective_matches: the most matches collected first.
        selective_share: the largest share of the table collected first.

    Returns:
        The SQL text, selecting ``(id, document_text)`` rows.
    """
    page = "LIMIT %(limit)s OFFSET %(offset)s"
    selective = total <= selective_matches and (
        rows <= 0 or total <= rows * selective_share
    )
    if not (compiled.where and selective):
        # the page's seqs first (an array: the planner then reads the page by the
        # primary key), then its documents: the rows an OFFSET skips are read from
        # an index alone where one answers (1M rows, no filter, offset 500,000:
        # index-only on the primary key instead of 500,000 heap reads)
        return (
            f"SELECT id, {STORED} FROM {TABLE} WHERE seq = ANY (ARRAY(SELECT seq "  # noqa: S608
            f"FROM {TABLE} {compiled.where} {compiled.order_by} {page})) "
            f"{compiled.order_by}"
        )
    names = [f"k{n}" for n in range(len(compiled.sort))]
    keys = "".join(
        f", {value} AS {name}"
        for (value, _), name in zip(compiled.sort, names, strict=True)
    )
    return (
        f"WITH matches AS MATERIALIZED (SELECT seq, id{keys} FROM {TABLE} "  # noqa: S608
        f"{compiled.where}) SELECT t.id, t.{STORED} FROM (SELECT * FROM matches "
        f"{compiled.order(names)} {page}) AS page JOIN {TABLE} AS t USING (seq) "
        f"{compiled.order(names, 'page.')}"
    )


def table_rows(conn: psycopg.Connection[Any]) -> float:
    """The planner's estimate of the table's rows (``-1`` before any ANALYZE)."""
    row = conn.execute(
        "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [TABLE]
    ).fetchone()
    return float(row[0]) if row else -1.0


def regex_matches(
    conn: psycopg.Connection[Any],
    path: Path,
    patterns: Sequence[str],
    deadline: float | None = None,
) -> list[str]:
    """The distinct texts at ``path`` (in this snapshot) matching a pattern (RE2).

    When the patterns require literals, only the texts of the trigram index at the
    path holding them are read (``pg_trgm``); else all texts at the path.

    Args:
        conn: a connection inside the query's transaction.
        path: attribute names from the document root.
        patterns: RE2 patterns, ORed.
        deadline: a :func:`time.monotonic` time not to pass; ``None``: none.

    Returns:
        The texts, each once.

    Raises:
        TimeoutError: the deadline passed.
    """
    need = requirement(patterns)
    if need is not None:
        params: dict[str, Any] = {}

        def bind(value: Any) -> str:
            params[f"p{len(params)}"] = value
            return f"%(p{len(params) - 1})s"

        rows = conn.execute(
            f"SELECT DISTINCT text FROM {TEXT_TABLE} "  # noqa: S608 - constants
            f"WHERE path = {bind(text_path(path))} AND {like_sql(bind, need)}",
            params,
        ).fetchall()
    elif path in COLUMNS:
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
    found = []
    for index, (text,) in enumerate(rows):
        if deadline is not None and index % 256 == 0 and time.monotonic() > deadline:
            raise TimeoutError("the query's deadline passed")
        if any(search(pattern, text) for pattern in patterns):
            found.append(text)
    return found


def find_rows(
    conn: psycopg.Connection[Any],
    query: Query,
    timeout: float | None,
    page: Callable[[psycopg.Connection[Any], Compiled, int], str],
) -> tuple[list[tuple[str, str]], int]:
    """Read a list query's count and page in one read-only snapshot.

    Args:
        conn: a connection in a new transaction (its first statement is this
            function's).
        query: the parsed query.
        timeout: the most seconds the count and page may take, or ``None``.
        page: the page statement for the compiled filter and the count.

    Returns:
        The page's ``(id, document_text)`` rows and the count of all matches.

    Raises:
        QueryTimeoutError: the statements took longer than ``timeout``.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if timeout is not None:
        # milliseconds, for this transaction only
        conn.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
    try:
        compiled, total = count(conn, query, deadline)
        rows: list[tuple[str, str]] = []
        if total > query.offset and query.limit != 0:
            rows = conn.execute(
                page(conn, compiled, total),
                {**compiled.params, "limit": query.limit, "offset": query.offset},
            ).fetchall()
    except (pg_errors.QueryCanceled, TimeoutError) as exc:
        raise QueryTimeoutError(timeout or 0.0) from exc
    return rows, total
