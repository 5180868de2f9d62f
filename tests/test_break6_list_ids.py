"""The list splice (``encode_items``) on ids that are awkward in JSON.

A wire row goes out as its stored text with ``href`` spliced in after the id;
the bytes must equal :func:`encode_json` of the decoded page for ids with quotes,
backslashes, ``\\u`` escapes, ``/``, non-ASCII, U+2028, control characters,
JSON-looking ids, an empty id and a very long one.
"""

from __future__ import annotations

from pathlib import Path

from tmf683 import PartyInteractionService, SQLiteStore, encode_json

BASE = "https://api.example.com/tmf-api/partyInteraction/v4"
IDS = [
    'a"b',
    "a\\b",
    "\\u0041",
    "a/b",
    "/",
    "é☃𝄞",
    "\u2028\u2029",
    "a\x7fb",
    "a\x01b",
    '{"id":"z"}',
    '","href":"x',
    "",
    '"',
    "\\",
    "x" * 5000,
    "1e+16",
]


def test_awkward_ids_list_as_encode_json_writes_them(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "ids.db")
    try:
        store.add_many(
            [{"id": id, "status": "open", "x-f": 0.5, "x-t": id} for id in IDS]
        )
        store.update("a/b", lambda d: {**d, "x-f": 1.25, "x-t": "changed"})
        service = PartyInteractionService(store, base_url=BASE)
        for query in ["", "sort=-id", "sort=x-t", "limit=3&offset=2", "status=open"]:
            expected = encode_json(service.list(query).items)
            assert service.list_json(query).body == expected, query
    finally:
        store.close()
