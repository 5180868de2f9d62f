"""``list_json``: the same bytes as today's ``encode_json(service.list(...).items)``.

Every store, generated documents (any JSON in an extension, floats with exponents,
non-ASCII and escaped text, the reserved v5 part, ``id`` not first, any key
order), generated queries with ``fields=`` of first-level and nested attributes
(the SQLite store writes those from the selected values' texts); texts an older
release stored; the HTTP body.
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.servers import ServerProcess
from tmf683 import (
    MemoryStore,
    PartyInteractionService,
    SQLiteStore,
    encode_json,
)
from tmf683.storage.encoded import _may_match, other_forms, wire_rows
from tmf683.testing import party_interactions, query_strings

BASE = "https://api.example.com/tmf-api/partyInteraction/v4"

texts = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=6
)
keys = texts | st.sampled_from(["a", "status", "channel", "id", "_v5", 'q"'])
"""Keys of generated objects: any text, or a name selected below (a nested
``"status":`` makes the key order unreadable off the text, ``'q"'`` is escaped)."""
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-07, 1e16, -2.5e-05, 1.5e300, 5e-324, -0.0, 1e22])
    | texts
    | st.sampled_from(['"_v5":', "1e-05", ",1e+16", "NaN", 'é\n\t\\"/', "\u2028"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3)
    ),
    max_leaves=8,
)
ids = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00/"),
    min_size=1,
    max_size=5,
)


@st.composite
def stored_documents(draw: st.DrawFn) -> list[dict[str, object]]:
    """Documents as stores hold them: ``id`` mostly first, sometimes a v5 part."""
    documents = []
    for id in draw(st.lists(ids, unique=True, max_size=6)):
        values = draw(party_interactions(stored=True))
        if draw(st.booleans()):
            values["x-any"] = draw(json_values)
        if draw(st.booleans()):
            values["_v5"] = {"attributes": draw(st.dictionaries(texts, json_values))}
        if draw(st.booleans()):
            values["x-b"] = draw(json_values)
        items = list(values.items())
        if draw(st.booleans()):
            items = draw(st.permutations(items))
        at = draw(st.sampled_from([0, 0, 0, len(items)]))
        documents.append(dict([*items[:at], ("id", id), *items[at:]]))
    return documents


SELECTABLE = [
    *["status", "channel", "x-any", "x-b", "_v5", "id", "href", "none", "@type"],
    *["description", "relatedParty", "note", "interactionDate"],
    *["relatedParty.role", "relatedParty.name", "note.text", "channel.id"],
    *["x-any.a", "x-any.status", "x-any.a.a", "x-b.channel", "status.a"],
    *["interactionDate.startDateTime", "_v5.attributes", "id.a", "href.a"],
]
"""First-level and nested attributes of the generated documents, and ones they
lack or that go through a text (``status.a``)."""


@st.composite
def with_fields(draw: st.DrawFn, query_string: str) -> str:
    """The query, its ``fields=`` replaced by a drawn selection half the time."""
    if draw(st.booleans()):
        return query_string
    parts = [part for part in query_string.split("&") if part]
    parts = [part for part in parts if not part.startswith("fields=")]
    selected = draw(st.lists(st.sampled_from(SELECTABLE), max_size=4))
    return "&".join([*parts, "fields=" + ",".join(selected)])


def _empty(conn):
    conn.execute("DELETE FROM party_interaction")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    stored_documents(),
    query_strings().flatmap(with_fields),
    st.sampled_from([None, "P1", "open"]),
)
def test_list_json_is_the_bytes_of_the_listed_items_on_every_store(
    tmp_path_factory, postgres_for_properties, documents, query_string, party
):
    postgres_store, postgres_conn = postgres_for_properties
    _empty(postgres_conn)
    sqlite_store = SQLiteStore(tmp_path_factory.mktemp("lj") / "l.db")
    try:
        for store in (MemoryStore(), sqlite_store, postgres_store):
            store.add_many(documents)
            service = PartyInteractionService(store, base_url=BASE)
            expected = encode_json(service.list(query_string, party=party).items)
            page = service.list_json(query_string, party=party)
            assert page.body == expected, type(store).__name__
            listed = service.list(query_string, party=party)
            assert page.item_count == len(listed.items)
            assert page.total_count == listed.total_count
            assert page.links() == listed.links()
            assert page.is_partial == listed.is_partial
    finally:
        sqlite_store.close()


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    stored_documents(),
    st.lists(st.sampled_from(SELECTABLE), max_size=4),
    st.sampled_from(["", "&sort=-id", "&limit=2&offset=1", "&status=open"]),
)
def test_fields_selections_give_the_same_bytes_on_every_store(
    tmp_path_factory, postgres_for_properties, documents, selected, rest
):
    postgres_store, postgres_conn = postgres_for_properties
    _empty(postgres_conn)
    sqlite_store = SQLiteStore(tmp_path_factory.mktemp("lf") / "l.db")
    query_string = "fields=" + ",".join(selected) + rest
    try:
        for store in (MemoryStore(), sqlite_store, postgres_store):
            store.add_many(documents)
            service = PartyInteractionService(store, base_url=BASE)
            listed = service.list(query_string)
            page = service.list_json(query_string)
            assert page.body == encode_json(listed.items), type(store).__name__
            assert (page.item_count, page.total_count) == (
                len(listed.items),
                listed.total_count,
            )
    finally:
        sqlite_store.close()


def _stored_by_hand(path, documents: list[dict[str, Any]]) -> None:
    """Rows as a release writes them (json.dumps, compact, non-ASCII as is)."""
    with sqlite3.connect(path) as conn:
        for document in documents:
            conn.execute(
                "UPDATE party_interaction SET document = ? WHERE id = ?",
                [
                    json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                    document["id"],
                ],
            )


def test_texts_an_older_release_stored_give_the_same_bytes(tmp_path):
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    documents: list[dict[str, Any]] = [
        {"id": "a", "status": "open", "x": [1e-07, 1e16, -2.5e-05, 1e22, 0.1]},
        {"id": "b", "x": [-1.7976931348623157e308, 5e-324, 123456789.0, -0.0]},
        {"status": "open", "id": "c", "note": [{"text": "1e-05 and 4e-2"}]},
        {"id": 'd"é\n', "description": 'a "_v5": text', "_v5": {"attributes": {}}},
        {"id": "e", "description": "plain, é 日本 \u2028 \\"},
        {"id": "f", "x-any": {"status": 1}, "channel": "c", "status": "open"},
        {"id": "g", "description": "NaN", "status": "s", "x-any": [{"a": "b"}]},
        {"id": 'k",', "status": "open"},  # its escaped quote is not the id's end
        {"id": "m\\", "status": "open"},
    ]
    store.add_many([{"id": d["id"]} for d in documents])
    _stored_by_hand(path, documents)
    service = PartyInteractionService(store, base_url=BASE)
    for query in (
        *["", "fields=status,x", "sort=-id", "fields=note.text", "fields=x"],
        *["fields=status,channel", "fields=description", "fields=status.a,id"],
        *["fields=note.text,x-any.status", "fields=x-any.a,status", "fields=_v5"],
    ):
        assert service.list_json(query).body == encode_json(service.list(query).items)
    body = service.list_json("fields=channel,status,x-any.a").body
    assert b'"channel":"c","status":"open"}' in body  # not the nested key's place
    assert b'"status":"s","x-any":[{"a":"b"}]}' in body
    body = service.list_json("").body
    assert b'"x":[1e-7,1e+16,-0.000025,1e+22,0.1]' in body  # as orjson 3.13 writes
    assert b'{"id":"c","href":"' + f"{BASE}/partyInteraction/c".encode() in body
    assert b'"_v5":{' not in body
    store.close()


def test_only_texts_orjson_writes_otherwise_are_decoded():
    rows = [
        ("a", b'{"id":"a","x":1.5,"u":"4ffd4b3-8ffe-4752-9b2e-97471"}'),
        ("b", b'{"id":"b","x":1e-07}'),
        ("c", b'{"id":"c","x":[2.5e+16]}'),
        ("d", b'{"id":"d","x":"NaN"}'),
        ("e", b'{"id":"e","_v5":{}}'),
        ("f", b'{"id":"f","x":"a 1e-05"}'),
    ]
    items = wire_rows(rows, ("_v5",))
    assert items[0] == rows[0]  # e- in a uuid is no number
    assert items[1] == {"id": "b", "x": 1e-07}
    assert items[2] == {"id": "c", "x": [2.5e16]}
    assert items[3] == {"id": "d", "x": "NaN"}  # looked at, decoded exactly
    assert items[4] == {"id": "e", "_v5": {}}
    assert items[5] == rows[5]  # an exponent inside a string is no number
    assert wire_rows(rows[:1] + rows[5:]) == rows[:1] + rows[5:]


def test_the_http_list_body_is_the_libraries_bytes(tmp_path):
    path = tmp_path / "http.db"
    store = SQLiteStore(path)
    store.add_many(
        [
            {"id": "h1", "status": "open", "x": 1e-07, "name": "é"},
            {"id": "h2", "status": "closed", "_v5": {"attributes": {"a": 1}}},
        ]
    )
    with ServerProcess("--db", str(path)) as server:
        root = server.base.rstrip("/")
        service = PartyInteractionService(store, base_url=root)
        with httpx.Client(timeout=10.0) as client:
            for query in ("", "fields=status", "status=open&limit=1"):
                answer = client.get(f"{root}/partyInteraction?{query}")
                listed = service.list(query)
                assert answer.status_code == 200
                assert answer.content == encode_json(listed.items)
                assert (
                    answer.headers["content-type"] == "application/json;charset=utf-8"
                )
                assert answer.headers["x-total-count"] == str(listed.total_count)
                assert answer.headers["x-result-count"] == str(len(listed.items))
            head = client.head(f"{root}/partyInteraction")
            assert head.status_code == 200
            assert head.content == b""
    store.close()


@given(
    json_values | st.lists(st.sampled_from([math.nan, math.inf, -math.inf, 1e-5])),
    st.sampled_from([(), ("_v5",), ("status", "_v5")]),
)
@example(1e-07, ())
@example(-2.5e-05, ())
@example(1.5e300, ())
@example(math.nan, ())
@settings(max_examples=300)
def test_a_text_the_quick_searches_pass_goes_out_as_orjson_writes_it(value, omit):
    # wire_rows and other_forms skip the full pass when _may_match finds nothing:
    # such a text must then be orjson's, without an omitted key, wherever its
    # numbers end ("," "}" "]", a value's end)
    for document in ({"id": "a", "v": value}, {"id": "b", "status": [value, 1]}):
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        data = text.encode()
        if not _may_match(data, omit, False):
            assert encode_json(json.loads(text)) == data
            assert not set(omit) & set(document)
    value_text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if not other_forms([value_text.encode()]):
        assert encode_json(json.loads(value_text)) == value_text.encode()
