"""No lost updates over HTTP: ``ETag`` and ``If-Match`` on v4 and v5, every SQL store.

Real ``tmf683-server`` processes serving both versions over one store (a SQLite file
or a PostgreSQL database, the ``database`` fixture), real HTTP clients.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import MINIMAL, V5_BODY
from tests.receiver import receiving
from tests.servers import ServerProcess

MERGE = {"Content-Type": "application/merge-patch+json"}
STRONG_TAG = re.compile(r'"[1-9][0-9]*"')


@pytest.fixture
def server(database) -> Iterator[ServerProcess]:
    with ServerProcess("--db", database) as running:
        yield running


@pytest.fixture
def v4(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.bases["v4"], timeout=10.0) as client:
        yield client


@pytest.fixture
def v5(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.bases["v5"], timeout=10.0) as client:
        yield client


def created(client: httpx.Client, body: dict[str, Any] = MINIMAL) -> httpx.Response:
    response = client.post("partyInteraction", json=body)
    assert response.status_code == 201, response.text
    return response


def assert_precondition_failed(response: httpx.Response, *, v5: bool) -> None:
    assert response.status_code == 412, response.text
    body = response.json()
    assert (body["code"], body["status"]) == ("preconditionFailed", "412")
    assert "has changed" in body["message"]
    assert body.get("@type") == ("Error" if v5 else None)


def test_every_response_with_the_document_has_an_etag_that_every_write_changes(v4, v5):
    made = created(v4)
    id, tags = made.json()["id"], [made.headers["ETag"]]
    assert STRONG_TAG.fullmatch(tags[0])
    url = f"partyInteraction/{id}"
    assert v4.get(url).headers["ETag"] == tags[0]
    assert v4.head(url).headers["ETag"] == tags[0]
    assert v4.get(url, params={"fields": "status"}).headers["ETag"] == tags[0]
    assert v5.get(url).headers["ETag"] == tags[0]  # one record, one version
    for client, change in [(v4, "a"), (v5, "b"), (v4, "b")]:  # the last changes none
        patched = client.patch(url, json={"description": change}, headers=MERGE)
        assert patched.status_code == 200
        tags.append(patched.headers["ETag"])
        assert v4.get(url).headers["ETag"] == v5.get(url).headers["ETag"] == tags[-1]
    assert len(set(tags)) == 4
    assert "ETag" not in v4.delete(url).headers
    assert "ETag" not in v4.get(url).headers  # 404
    assert created(v5, V5_BODY).headers["ETag"] == tags[0]  # a first version too


@pytest.mark.parametrize("writer", ["v4", "v5"])
def test_a_stale_if_match_is_412_and_writes_nothing(request, v4, writer):
    client = request.getfixturevalue(writer)
    id = created(v4).json()["id"]
    url = f"partyInteraction/{id}"
    read = client.get(url).headers["ETag"]
    first = client.patch(
        url, json={"description": "one"}, headers={**MERGE, "If-Match": read}
    )
    assert first.status_code == 200
    stale = client.patch(
        url, json={"description": "two"}, headers={**MERGE, "If-Match": read}
    )
    assert_precondition_failed(stale, v5=writer == "v5")
    gone = client.delete(url, headers={"If-Match": read})
    assert_precondition_failed(gone, v5=writer == "v5")
    after = client.get(url)
    assert (after.json()["description"], after.headers["ETag"]) == (
        "one",
        first.headers["ETag"],
    )
    assert (
        client.delete(url, headers={"If-Match": first.headers["ETag"]}).status_code
        == 204
    )
    assert client.get(url).status_code == 404


def test_if_match_forms_star_weak_lists_foreign_tags_and_missing_ids(v4, v5):
    id = created(v4).json()["id"]
    url = f"partyInteraction/{id}"
    tag = v4.get(url).headers["ETag"]

    def patch(client: httpx.Client, if_match: str) -> httpx.Response:
        return client.patch(
            url, json={"description": if_match}, headers={**MERGE, "If-Match": if_match}
        )

    star = patch(v4, "*")
    assert star.status_code == 200  # any existing version
    assert star.headers["ETag"] != tag
    tag = star.headers["ETag"]
    weak = patch(v5, f"W/{tag}")  # as a compressing proxy may hand it on
    assert weak.status_code == 200
    tag = weak.headers["ETag"]
    listed = patch(v4, f'"999", {tag}')
    assert listed.status_code == 200
    tag = listed.headers["ETag"]
    assert_precondition_failed(patch(v4, '"abc", "0"'), v5=False)  # not ours
    for malformed in ["7", tag[1:-1], "junk", '"7" x']:
        refused = patch(v5, malformed)
        assert refused.status_code == 400, malformed
        assert refused.json()["@type"] == "Error"
        assert "If-Match" in refused.json()["message"]
    assert v4.get(url).headers["ETag"] == tag  # none of those wrote
    missing = "partyInteraction/no-such-id"
    assert (
        v4.patch(missing, json={}, headers={**MERGE, "If-Match": "*"}).status_code
        == 404
    )
    assert v5.delete(missing, headers={"If-Match": tag}).status_code == 404
    assert v4.delete(url, headers={"If-Match": "*"}).status_code == 204


def test_a_refused_write_raises_no_event_and_an_accepted_one_raises_its_own(v4):
    with receiving() as receiver:
        assert v4.post("hub", json={"callback": receiver.url}).status_code == 201
        made = created(v4)
        url = f"partyInteraction/{made.json()['id']}"
        stale = made.headers["ETag"]
        accepted = v4.patch(
            url, json={"status": "done"}, headers={**MERGE, "If-Match": stale}
        )
        assert accepted.status_code == 200
        refused = v4.patch(
            url, json={"status": "again"}, headers={**MERGE, "If-Match": stale}
        )
        assert refused.status_code == 412
        assert v4.delete(url, headers={"If-Match": stale}).status_code == 412
        assert v4.delete(url, headers={"If-Match": accepted.headers["ETag"]}).is_success
        # events to one callback arrive in order: one raised by a refused write
        # would come before the delete's
        events = receiver.wait_for(4)
    assert [e["eventType"] for e in events] == [
        "PartyInteractionCreateEvent",
        "PartyInteractionAttributeValueChangeEvent",
        "PartyInteractionStatusChangeEvent",
        "PartyInteractionDeleteEvent",
    ]
    assert "again" not in str(events)


def read_modify_write(
    roots: list[str], id: str, workers: int, changes: int
) -> tuple[list[int], int]:
    """``workers`` threads each add one to a counter ``changes`` times, with
    ``If-Match``, retrying on 412; they cycle through ``roots`` (v4 and v5 APIs,
    one or more servers). For their first change all read before any writes, so
    all but one of those writes must be refused.

    Returns:
        The counter values the server acknowledged, and how many 412s came back.
    """
    acknowledged: list[int] = []
    refused = itertools.count()
    errors: list[BaseException] = []
    lock = threading.Lock()
    all_read = threading.Barrier(workers)

    def work(worker: int) -> None:
        try:
            with httpx.Client(timeout=30.0) as client:
                for n in range(changes):
                    root = roots[(worker + n) % len(roots)]
                    url = f"{root}partyInteraction/{id}"
                    while True:
                        read = client.get(url)
                        assert read.status_code == 200, read.text
                        value = int(read.json().get("description") or "0") + 1
                        if n == 0 and value == 1:
                            all_read.wait(60)
                        written = client.patch(
                            url,
                            json={"description": str(value)},
                            headers={**MERGE, "If-Match": read.headers["ETag"]},
                        )
                        if written.status_code == 412:
                            next(refused)
                            continue
                        assert written.status_code == 200, written.text
                        assert written.json()["description"] == str(value)
                        with lock:
                            acknowledged.append(value)
                        break
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    return acknowledged, next(refused)


def assert_no_update_lost(
    root: str, id: str, acknowledged: list[int], expected: int
) -> None:
    # every acknowledged write read the one before it: 1, 2, ... with no value twice
    assert sorted(acknowledged) == list(range(1, expected + 1))
    final = httpx.get(f"{root}partyInteraction/{id}")
    assert final.json()["description"] == str(expected)
    assert final.headers["ETag"] == f'"{1 + expected}"'


@pytest.mark.slow
def test_sixteen_read_modify_writers_lose_no_update_on_sqlite(tmp_path):
    with ServerProcess("--db", str(tmp_path / "rmw.db")) as server:
        id = httpx.post(f"{server.base}partyInteraction", json=MINIMAL).json()["id"]
        roots = [server.bases["v4"], server.bases["v5"]]
        acknowledged, refused = read_modify_write(roots, id, workers=16, changes=6)
        assert_no_update_lost(server.base, id, acknowledged, 16 * 6)
        assert refused >= 15  # the 412s are what kept every update


@pytest.mark.slow
def test_sixteen_read_modify_writers_on_two_servers_lose_no_update_on_postgres(
    postgres_databases,
):
    database = postgres_databases.create()
    with (
        ServerProcess("--db", database) as first,
        ServerProcess("--db", database) as second,
    ):
        id = httpx.post(f"{first.base}partyInteraction", json=MINIMAL).json()["id"]
        roots = [first.bases["v4"], second.bases["v5"], second.bases["v4"]]
        roots.append(first.bases["v5"])
        acknowledged, refused = read_modify_write(roots, id, workers=16, changes=6)
        assert_no_update_lost(second.base, id, acknowledged, 16 * 6)
        assert refused >= 15
