"""The text SQLite stores a document as: orjson's, ``json.dumps``'s where it refuses.

A wrong fallback would lose a document orjson cannot write (an integer past 64
bits, an unpaired surrogate) or change its value; a text that is not the wire
form would cost every list page a decode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from tmf683 import SQLiteStore
from tmf683.storage.sqlite._dialect import dumps


@pytest.mark.parametrize(
    "document",
    [
        {"id": "A", "x": 1e-7, "y": -0.000025, "z": 1e16, "t": 'é\n\u2028"\\'},
        {"id": "B", "big": 2**70, "small": -(2**64)},
        {"id": "C", "odd": "\ud800"},
    ],
)
def test_the_text_reads_back_as_the_document(document: dict[str, Any]) -> None:
    text = dumps(document)
    assert json.loads(text) == document
    assert dumps(document) == text  # deterministic: change_again compares texts
    try:
        wire = orjson.dumps(document).decode()
    except orjson.JSONEncodeError:
        assert text == json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    else:
        assert text == wire


def test_a_document_orjson_refuses_is_stored_and_updated(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    try:
        store.add({"id": "A", "x-big": 2**70, "reason": "r"})
        updated = store.update("A", lambda d: {**d, "reason": "s"})
        assert updated == {"id": "A", "x-big": 2**70, "reason": "s"}
        assert store.get("A") == {"id": "A", "x-big": 2**70, "reason": "s"}
    finally:
        store.close()
