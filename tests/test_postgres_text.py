"""PostgreSQL's ``document_text`` (schema version 8): the documents' JSON as written,
beside the ``jsonb`` the queries read; what every read serves."""

import orjson
import psycopg
import pytest

from tmf683 import PostgresStore, encode_json, parse_query
from tmf683.storage.encoded import wire_rows
from tmf683.storage.postgres._schema import SCHEMA_VERSION

WRITTEN = {
    "id": "A",
    "reason": "r",
    "direction": "in",
    "channel": [{"name": "web", "id": "1"}],
    "x-ratio": 0.1,
    "x-tiny": 1e-7,
    "x-ünï": "ç",
}
"""Keys in an order ``jsonb`` does not keep (it sorts them by length, then
bytes), floats ``jsonb`` holds as other texts."""


@pytest.fixture
def store(postgres_databases):
    opened = PostgresStore(postgres_databases.create())
    yield opened
    opened.close()


def _texts(store):
    with psycopg.connect(store.conninfo) as conn:
        return dict(
            conn.execute(
                "SELECT id, document_text FROM party_interaction ORDER BY seq"
            ).fetchall()
        )


def _keys(document):
    return list(document)


def test_every_read_serves_the_written_key_order(store):
    store.add(WRITTEN)
    assert _texts(store) == {"A": encode_json(WRITTEN).decode()}
    assert _keys(store.get("A")) == _keys(WRITTEN)
    assert _keys(store.find(parse_query("")).items[0]) == _keys(WRITTEN)
    assert [list(d) for d in next(store.scan(parse_query("")))] == [_keys(WRITTEN)]
    encoded = store.find_encoded(parse_query(""), ["href"])
    assert encoded.items == [("A", encode_json(WRITTEN))]


def test_every_write_path_writes_the_text(store):
    store.add_many([WRITTEN | {"id": "B"}])
    store.update("B", lambda d: d | {"description": "changed"})
    store.put_many([WRITTEN | {"id": "C"}])
    store.put_many([WRITTEN | {"id": "C", "description": "put"}], replace=True)
    texts = _texts(store)
    changed = WRITTEN | {"id": "B", "description": "changed"}
    assert texts["B"] == encode_json(changed).decode()
    assert (
        texts["C"] == encode_json(WRITTEN | {"id": "C", "description": "put"}).decode()
    )
    assert store.get("C")["description"] == "put"


def test_an_omitted_key_is_decoded_and_the_others_go_on_as_they_are(store):
    store.add_many([WRITTEN, WRITTEN | {"id": "B", "_v5": {"a": 1}}])
    items = store.find_encoded(parse_query("sort=id"), ["_v5"]).items
    assert items[0] == ("A", encode_json(WRITTEN))
    assert items[1] == WRITTEN | {"id": "B", "_v5": {"a": 1}}


def test_wire_texts_without_keys_to_omit_are_not_read():
    rows = [("A", b'{"id":"A","x":1e-7,"y":NaN}')]  # no wire text: never looked at
    assert wire_rows(rows, (), wire=True) == rows
    assert wire_rows(rows, ()) != rows


def test_a_version_7_database_gets_the_texts_of_its_rows(postgres_databases):
    url = postgres_databases.create()
    first = PostgresStore(url)
    first.add_many([WRITTEN | {"id": f"D{n}"} for n in range(3)])
    first.close()
    with psycopg.connect(url) as conn:  # as version 7 left it
        conn.execute("ALTER TABLE party_interaction DROP COLUMN document_text CASCADE")
        conn.execute("UPDATE tmf683_schema SET version = 7")
    upgraded = PostgresStore(url)
    try:
        got = upgraded.get("D1")
        assert got == WRITTEN | {"id": "D1"}
        assert _keys(got) == sorted(
            _keys(WRITTEN), key=lambda k: (len(k.encode()), k.encode())
        )
        page = upgraded.find_encoded(parse_query("sort=id"), [])
        assert page.items == [
            (d["id"], encode_json(d))
            for d in upgraded.find(parse_query("sort=id")).items
        ]
        with psycopg.connect(url) as conn:
            version = conn.execute("SELECT max(version) FROM tmf683_schema")
            assert version.fetchone() == (SCHEMA_VERSION,)
            assert conn.execute(
                "SELECT is_nullable FROM information_schema.columns "
                "WHERE table_name = 'party_interaction' "
                "AND column_name = 'document_text'"
            ).fetchone() == ("NO",)
    finally:
        upgraded.close()


def test_numbers_read_back_as_written_beyond_64_bits_and_negative_zero(store):
    wide = WRITTEN | {"x-big": [2**70, -(2**64), 7, True, {"z": -0.0}]}
    store.add(wide)
    got = store.get("A")
    assert got == wide
    assert type(got["x-big"][0]) is int
    assert str(got["x-big"][-1]["z"]) == "-0.0"
    assert store.find(parse_query("")).items == [wide]
    assert _texts(store)["A"].endswith(
        '"x-big":[1180591620717411303424,-18446744073709551616,7,true,{"z":-0.0}]}'
    )


def test_an_older_servers_update_of_the_document_alone_refreshes_the_text(store):
    """A schema-7 server, still running during a rolling update, writes ``document``
    only: every read must serve its write, and the next patch must start from it."""
    store.add({"id": "A", "description": "new"})
    with psycopg.connect(store.conninfo) as conn:
        conn.execute(
            "UPDATE party_interaction SET document = %s::jsonb, version = version + 1 "
            "WHERE id = 'A'",
            ['{"id": "A", "description": "old server"}'],
        )
    assert store.get("A")["description"] == "old server"
    assert store.find(parse_query("")).items == [
        {"id": "A", "description": "old server"}
    ]
    [(id, text)] = store.find_encoded(parse_query(""), ["href"]).items
    assert (id, orjson.loads(text)) == ("A", {"id": "A", "description": "old server"})
    patched = store.update("A", lambda d: d | {"status": "open"})
    assert patched == {"id": "A", "description": "old server", "status": "open"}
    assert _texts(store) == {"A": encode_json(patched).decode()}


def test_an_older_servers_insert_without_the_text_is_stored_and_served(store):
    with psycopg.connect(store.conninfo) as conn:
        conn.execute(
            "INSERT INTO party_interaction (id, document) VALUES ('B', %s::jsonb)",
            ['{"id": "B", "reason": "old server"}'],
        )
    assert store.get("B") == {"id": "B", "reason": "old server"}


def test_this_servers_writes_keep_their_own_text(store):
    """The fill triggers never run for a write that writes both columns (their
    text would be ``jsonb``'s key order, not the one written)."""
    store.add(WRITTEN)
    store.update("A", lambda d: d | {"description": "changed"})
    store.update("A", lambda d: dict(d))  # the same document again
    changed = WRITTEN | {"description": "changed"}
    assert _texts(store) == {"A": encode_json(changed).decode()}
