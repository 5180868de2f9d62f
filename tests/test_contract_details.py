"""Contract details that fuzzing found (tests/test_fuzz.py), each pinned over HTTP.

A real ``tmf683-server`` serving v4 and v5 over one SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import MINIMAL
from tmf683 import parse_fields, parse_query

VERSIONS = ["v4", "v5"]


@pytest.fixture
def api(server, request) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.bases[request.param], timeout=10.0) as client:
        yield client


@pytest.fixture
def created(http) -> dict[str, object]:
    response = http.post("partyInteraction", json=MINIMAL)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_empty_fields_selects_every_attribute_as_no_fields_does():
    assert parse_query("fields=").fields is None
    assert parse_query("fields=,%20,").fields is None
    assert parse_fields("fields=") is None


@pytest.mark.parametrize("api", VERSIONS, indirect=True)
@pytest.mark.parametrize("fields", ["fields=", "fields=,", "fields=%20"])
def test_an_empty_fields_is_accepted_on_list_and_retrieve(api, created, fields):
    whole = api.get(f"partyInteraction/{created['id']}").json()
    one = api.get(f"partyInteraction/{created['id']}?{fields}")
    assert one.status_code == 200, one.text
    assert one.json() == whole
    listed = api.get(f"partyInteraction?id={created['id']}&{fields}")
    assert listed.status_code == 200, listed.text
    assert listed.json() == [whole]
