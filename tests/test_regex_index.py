"""``regex`` filters through the trigram index: exactly RE2's results, index used."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import postgres
from tmf683 import MemoryStore, PostgresStore, SQLiteStore, parse_query
from tmf683.storage._sql.leaves import LEAF_TABLE, leaf_texts
from tmf683.storage._sql.text_index import TEXT_TABLE, texts
from tmf683.storage.postgres._read import count
from tmf683.storage.postgres._schema import SCHEMA_VERSION as POSTGRES_SCHEMA
from tmf683.storage.sqlite._schema import SCHEMA_VERSION as SQLITE_SCHEMA
from tmf683.testing import party_interactions, query_strings

_REGEX_QUERIES = st.one_of(
    query_strings(operators=["regex"], controls=False, max_clauses=2),
    query_strings(operators=["regex", "eq"], max_clauses=3),
)


def _documents(drawn: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": f"id-{n:02d}", **values} for n, values in enumerate(drawn)]


@pytest.mark.slow
@settings(max_examples=200)
@given(
    docs=st.lists(party_interactions(stored=True), max_size=10),
    query_string=_REGEX_QUERIES,
)
def test_regex_filters_agree_with_the_oracle_on_both_stores(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_for_properties: tuple[PostgresStore, psycopg.Connection[Any]],
    docs: list[dict[str, Any]],
    query_string: str,
) -> None:
    query = parse_query(query_string)
    postgres_store, postgres_conn = postgres_for_properties
    postgres.delete_documents(postgres_conn)
    oracle = MemoryStore()
    sqlite_store = SQLiteStore(tmp_path_factory.mktemp("regex") / "r.db")
    try:
        documents = _documents(docs)
        for store in (oracle, sqlite_store, postgres_store):
            store.add_many(documents)
        expected = oracle.find(query)
        for name, store in (("sqlite", sqlite_store), ("postgres", postgres_store)):
            actual = store.find(query)
            assert actual.items == expected.items, (name, query_string)
            assert actual.total_count == expected.total_count, (name, query_string)
    finally:
        sqlite_store.close()


def _note(id: str, *texts: str, **values: Any) -> dict[str, Any]:
    return {
        "id": id,
        "channel": [{"id": "1"}],
        "direction": "in",
        "reason": "r",
        "note": [{"text": text} for text in texts],
        **values,
    }


_URLS: dict[int, str] = {}


@pytest.fixture(params=["sqlite", "postgres"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    opened: Any
    if request.param == "sqlite":
        opened = SQLiteStore(tmp_path / "t.db")
    else:
        url = request.getfixturevalue("postgres_url")
        postgres.empty(url)
        opened = PostgresStore(url)
        _URLS[id(opened)] = url
    yield opened
    opened.close()


def _ids(store: Any, query: str) -> list[str]:
    return [document["id"] for document in store.find(parse_query(query)).items]


def _agree(store: Any, documents: list[dict[str, Any]], *queries: str) -> None:
    oracle = MemoryStore()
    oracle.add_many(documents)
    store.add_many(documents)
    for query in queries:
        expected = oracle.find(parse_query(query))
        assert expected.items, query  # the example finds something
        assert store.find(parse_query(query)) == expected, query


def test_the_index_follows_every_write(sql_store: Any) -> None:
    sql_store.add_many([_note("a", "first Needle"), _note("b", "other")])
    assert _ids(sql_store, "note.text.regex=Needle") == ["a"]
    sql_store.update("a", lambda doc: {**doc, "note": [{"text": "plain"}]})
    sql_store.update("b", lambda doc: {**doc, "note": [{"text": "a Needle too"}]})
    assert _ids(sql_store, "note.text.regex=Needle") == ["b"]
    sql_store.put_many([_note("b", "gone"), _note("c", "Needle here")], replace=True)
    assert _ids(sql_store, "note.text.regex=Needle") == ["c"]
    sql_store.delete("c")
    assert _ids(sql_store, "note.text.regex=Need") == []
    left = [sql_store.get(id) for id in ("a", "b")]
    if isinstance(sql_store, SQLiteStore):  # each distinct text once
        expected = Counter(set().union(*(leaf_texts(doc) for doc in left)))
    else:  # each text once per document holding it
        expected = Counter(pair for doc in left for pair in texts(doc))
    assert _text_rows(sql_store) == expected


def _text_rows(store: Any) -> Counter[tuple[str, str]]:
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            rows = conn.execute(f"SELECT path, text FROM {TEXT_TABLE}").fetchall()
    else:
        with psycopg.connect(_URLS[id(store)]) as conn:
            rows = conn.execute(f"SELECT path, text FROM {TEXT_TABLE}").fetchall()
    return Counter((path, text) for path, text in rows)


def test_a_case_insensitive_literal_finds_every_case(sql_store: Any) -> None:
    documents = [_note("a", "NEEDLE"), _note("b", "needle"), _note("c", "neeDle x")]
    _agree(sql_store, documents, "note.text.regex=(?i)needle", "note.text.regex=needle")
    assert _ids(sql_store, "note.text.regex=(?i)needle") == ["a", "b", "c"]


def test_same_element_semantics_hold_with_the_index(sql_store: Any) -> None:
    documents = [
        {**_note("a"), "note": [{"text": "Needle", "author": "x"}]},
        {**_note("b"), "note": [{"text": "Needle"}, {"author": "x"}]},
        {**_note("c"), "note": [{"text": "Needle"}, {"text": "other", "author": "x"}]},
    ]
    _agree(
        sql_store,
        documents,
        "note.text.regex=Needle&note.author=x",
        "note.text.regex=Needle",
        "note.text.regex=Needle;note.author=x",
    )


def test_regex_with_other_filters_and_like_characters(sql_store: Any) -> None:
    documents = [
        _note("a", "50% off", status="open"),
        _note("b", "50x off", status="open"),
        _note("c", "50% off", status="closed"),
        _note("d", "a_b\\c", status="open"),
    ]
    _agree(
        sql_store,
        documents,
        "note.text.regex=50%25&status=open",
        "note.text.regex=a_b",
        "note.text.regex=_b%5C%5Cc",
        "reason.regex=^r$|nothing",
        "note.text.regex=0.%20off;status=nothing",
    )
    assert _ids(sql_store, "note.text.regex=50%25&status=open") == ["a"]


def test_sqlite_reads_the_trigram_index_for_a_literal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    try:
        store.add_many([_note(f"n{n}", f"text {n}") for n in range(50)])
        with_literal = store.explain(parse_query("note.text.regex=ext 4"))
        without = store.explain(parse_query("note.text.regex=t.4"))
    finally:
        store.close()
    used = "party_interaction_trigram VIRTUAL TABLE"
    assert any(used in line for line in with_literal), with_literal
    assert not any("party_interaction_trigram" in line for line in without)


def test_postgres_reads_the_trigram_index_for_a_literal(
    postgres_url: str,
) -> None:
    """The texts by the trigram index, once; their documents by the leaf index."""
    postgres.empty(postgres_url)
    store = PostgresStore(postgres_url)
    try:
        store.put_many([_note(f"n{n}", f"text {n}") for n in range(20_000)])
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"ANALYZE {TEXT_TABLE}")
            conn.execute(f"ANALYZE {LEAF_TABLE}")
            with conn.transaction():
                searches = []
                conn.add_notice_handler(  # a notice is readable in its handler only
                    lambda notice: searches.append(notice.message_primary or "")
                )
                conn.execute("LOAD 'auto_explain'")
                conn.execute("SET auto_explain.log_min_duration = 0")
                conn.execute("SET auto_explain.log_level = NOTICE")
                _, total = count(conn, parse_query("note.text.regex=ext 1234"))
        plan = "\n".join(store.explain(parse_query("note.text.regex=ext 1234")))
    finally:
        store.close()
    assert total == 11  # text 1234 and text 12340 to 12349
    assert sum("party_interaction_text_trgm_idx" in n for n in searches) == 1, searches
    assert "party_interaction_leaf_text_idx" in plan, plan
    assert "party_interaction_text" not in plan.replace("_text_idx", ""), plan


def test_sqlite_upgrades_a_version_4_file_with_its_texts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.add_many([_note("a", "Needle")])
    store.close()
    with sqlite3.connect(path) as conn:  # back to version 4: no text index
        conn.execute("DROP TABLE party_interaction_trigram")
        conn.execute(f"DROP TABLE {TEXT_TABLE}")
        conn.execute("PRAGMA user_version = 4")
    store = SQLiteStore(path)
    try:
        assert _ids(store, "note.text.regex=Needle") == ["a"]
        assert store.explain(parse_query("note.text.regex=Needle"))
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA
        assert json.loads(
            conn.execute("SELECT document FROM party_interaction").fetchone()[0]
        )["note"] == [{"text": "Needle"}]


def test_postgres_upgrades_a_version_3_schema_with_its_texts(
    postgres_databases: Any,
) -> None:
    url = postgres_databases.create()
    PostgresStore(url).close()
    with psycopg.connect(url) as conn:  # as version 3 left it, with a document
        conn.execute(f"DROP TABLE {TEXT_TABLE}")
        conn.execute("ALTER TABLE party_interaction DROP COLUMN document_text CASCADE")
        conn.execute("UPDATE tmf683_schema SET version = 3")
        conn.execute(
            "INSERT INTO party_interaction (id, document) VALUES (%s, %s::jsonb)",
            ["a", json.dumps(_note("a", "Needle"))],
        )
    upgraded = PostgresStore(url)
    try:
        assert _ids(upgraded, "note.text.regex=Needle") == ["a"]
    finally:
        upgraded.close()
    with psycopg.connect(url) as conn:
        (version,) = conn.execute("SELECT version FROM tmf683_schema").fetchall()
        assert version == (POSTGRES_SCHEMA,)
        assert conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname = %s",
            [f"{TEXT_TABLE}_trgm_idx"],
        ).fetchall()


def test_postgres_without_pg_trgm_still_answers_regex(
    postgres_databases: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A role that may create tables but not extensions: no index, same answers."""
    url = postgres_databases.create()
    role = "h_regex_no_extensions"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
        conn.execute("DROP EXTENSION IF EXISTS pg_trgm")
    limited = psycopg.conninfo.make_conninfo(url, user=role)
    try:
        with caplog.at_level("WARNING"):
            store = PostgresStore(limited)
        try:
            assert "pg_trgm is not available" in caplog.text
            documents = [_note("a", "Needle"), _note("b", "other")]
            queries = ("note.text.regex=Needle", "note.text.regex=(?i)oth")
            _agree(store, documents, *queries)
        finally:
            store.close()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_long_texts_are_found_past_the_leaf_cut(sql_store: Any) -> None:
    head = "x" * 600  # longer than the leaf index keeps: candidates through the cut
    documents = [
        _note("a", head + " Needle at the end"),
        _note("b", head + " other end"),
        _note("c", "Needle " + head),
        _note("d", "plain"),
    ]
    _agree(sql_store, documents, "note.text.regex=Needle", "note.text.regex=other e")
    sql_store.delete("a")  # "b" shares its cut: still found
    assert _ids(sql_store, "note.text.regex=other e") == ["b"]
    assert _ids(sql_store, "note.text.regex=Needle at") == []


def test_sqlite_finds_candidates_by_the_leaf_key(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    try:
        store.add_many([_note(f"n{n}", f"text {n}") for n in range(50)])
        plan = "\n".join(store.explain(parse_query("note.text.regex=ext 4")))
    finally:
        store.close()
    assert "party_interaction_leaf USING PRIMARY KEY (path=? AND value=?)" in plan, plan
