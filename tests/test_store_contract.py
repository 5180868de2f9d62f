"""One contract, every store: fixture ids ``memory``, ``sqlite`` and ``postgres``."""

import sqlite3
import threading

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.postgres import delete_documents
from tmf683 import (
    ConflictError,
    MemoryStore,
    NotFoundError,
    PreconditionFailedError,
    SQLiteStore,
    parse_query,
)
from tmf683.query.ast import Query
from tmf683.storage.base import (
    FAILED_BEHIND,
    TRIMMED,
    AttemptOutcome,
    Delivery,
    PartyInteractionStore,
)
from tmf683.storage.sqlite._schema import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from tmf683.testing import party_interactions, query_strings


def doc(id, **values):
    return {
        "id": id,
        "channel": [{"id": "1"}],
        "direction": "in",
        "reason": "r",
        **values,
    }


def test_is_a_party_interaction_store(store):
    assert isinstance(store, PartyInteractionStore)


def test_add_then_get_returns_an_independent_copy(store):
    original = doc("A", note=[{"text": "x"}])
    store.add(original)
    original["note"][0]["text"] = "changed by caller"
    read = store.get("A")
    assert read["note"] == [{"text": "x"}]
    read["reason"] = "changed again"
    assert store.get("A")["reason"] == "r"


def test_add_refuses_a_taken_id(store):
    store.add(doc("A"))
    with pytest.raises(ConflictError):
        store.add(doc("A", reason="other"))
    assert store.get("A")["reason"] == "r"


@pytest.mark.parametrize("id", ["nope", "a\ud800b", "a\x00b", 5, None])
def test_missing_ids_raise_not_found(store, id):
    # ids no store can hold (not text, an unpaired surrogate, NUL) are simply absent
    with pytest.raises(NotFoundError):
        store.get(id)
    with pytest.raises(NotFoundError):
        store.update(id, lambda d: d)
    with pytest.raises(NotFoundError):
        store.delete(id)
    with pytest.raises(NotFoundError):
        store.get_subscription(id)


def test_update_writes_the_change_and_a_failing_change_writes_nothing(store):
    store.add(doc("A"))
    assert store.update("A", lambda d: {**d, "status": "open"})["status"] == "open"

    def failing(current):
        current["status"] = "half-written"
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        store.update("A", failing)
    assert store.get("A")["status"] == "open"


def test_delete_returns_the_last_state(store):
    store.add(doc("A", status="open"))
    assert store.delete("A")["status"] == "open"
    assert store.find(parse_query("")).total_count == 0


def test_find_filters_sorts_pages_and_counts(store):
    for id, status in [("c", "open"), ("a", "closed"), ("b", "open"), ("d", "held")]:
        store.add(doc(id, status=status))
    page = store.find(parse_query("status=open,held&sort=-status&limit=2"))
    assert [d["id"] for d in page.items] == ["b", "c"]
    assert page.total_count == 3
    default = store.find(parse_query("offset=1&limit=2"))
    assert [d["id"] for d in default.items] == ["a", "b"]
    assert store.find(parse_query("limit=0")).items == []
    assert store.find(parse_query("limit=0")).total_count == 4


def test_concurrent_writers_lose_no_update(store):
    store.add(doc("A", note=[]))
    errors = []

    def append_notes(worker):
        try:
            for n in range(20):
                store.update(
                    "A",
                    lambda d, n=n: {**d, "note": [*d["note"], {"id": f"{worker}-{n}"}]},
                )
                store.add(doc(f"{worker}-{n}"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append_notes, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(store.get("A")["note"]) == 80
    assert store.find(parse_query("limit=0")).total_count == 81


def test_every_write_gives_a_new_version_read_with_the_document(store):
    store.add(doc("A"))
    assert store.get("A").version == 1
    updated = store.update("A", lambda d: {**d, "status": "open"})
    assert (updated["status"], updated.version) == ("open", 2)
    unchanged = store.update("A", lambda d: d)  # a write, even one changing nothing
    assert unchanged.version == 3
    read = store.get("A")
    assert (read["status"], read.version) == ("open", 3)
    assert read == {**doc("A"), "status": "open"}  # a dict; the version aside


def test_a_conditional_update_writes_only_at_the_expected_version(store):
    store.add(doc("A"))
    calls = []

    def change(current):
        calls.append(current["reason"])
        return {**current, "reason": f"r{len(calls)}"}

    assert store.update("A", change, expected_version=1).version == 2
    with pytest.raises(PreconditionFailedError) as failed:
        store.update("A", change, expected_version=1)
    assert (failed.value.id, failed.value.version) == ("A", 2)
    assert calls == ["r"]  # the change is not even computed from a stale version
    assert store.update("A", change, expected_version={5, 2}).version == 3
    with pytest.raises(PreconditionFailedError):
        store.update("A", change, expected_version=())  # nothing expected matches
    assert store.get("A")["reason"] == "r2"
    assert store.get("A").version == 3


def test_a_conditional_delete_removes_only_at_the_expected_version(store):
    store.add(doc("A"))
    store.update("A", lambda d: {**d, "status": "open"})
    with pytest.raises(PreconditionFailedError):
        store.delete("A", expected_version=1)
    assert store.get("A")["status"] == "open"
    assert store.delete("A", expected_version=2)["status"] == "open"
    with pytest.raises(NotFoundError):  # a missing document is missing, not changed
        store.delete("A", expected_version=2)
    with pytest.raises(NotFoundError):
        store.update("A", lambda d: d, expected_version=2)


def test_a_refused_conditional_write_raises_no_delivery(store):
    store.add(doc("A"))
    raised = []

    def outbox(before, after):
        raised.append((before, after))
        return []

    with pytest.raises(PreconditionFailedError):
        store.update("A", lambda d: d, outbox, expected_version=7)
    with pytest.raises(PreconditionFailedError):
        store.delete("A", outbox, expected_version=7)
    assert raised == []


def test_concurrent_conditional_writers_lose_no_update(store):
    # read-modify-write with the version read: a writer that lost the race retries
    store.add(doc("A", note=[]))
    errors, refused = [], []

    def append_notes(worker):
        try:
            for n in range(10):
                while True:
                    current = store.get("A")
                    note = [*current["note"], {"id": f"{worker}-{n}"}]
                    try:
                        store.update(
                            "A",
                            lambda d, note=note: {**d, "note": note},
                            expected_version=current.version,
                        )
                        break
                    except PreconditionFailedError:
                        refused.append(worker)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append_notes, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    final = store.get("A")
    assert sorted(n["id"] for n in final["note"]) == sorted(
        f"{w}-{n}" for w in range(8) for n in range(10)
    )
    assert final.version == 1 + 80


def test_sqlite_data_survives_reopening(tmp_path):
    first = SQLiteStore(tmp_path / "x.db")
    first.add(doc("A", description="ünïcode"))
    first.close()
    second = SQLiteStore(tmp_path / "x.db")
    assert second.get("A")["description"] == "ünïcode"
    assert second.find(parse_query("description=%C3%BCn%C3%AFcode")).total_count == 1
    second.close()


def test_sqlite_uses_wal(tmp_path):
    opened = SQLiteStore(tmp_path / "x.db")
    opened.add(doc("A"))
    connection = sqlite3.connect(tmp_path / "x.db")
    try:
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()
        opened.close()
    assert journal == "wal"


def _empty(conn):
    delete_documents(conn)


# Every SQL path must agree with the in-memory evaluator (the oracle).
@pytest.mark.slow
@settings(max_examples=300)
@given(st.lists(party_interactions(stored=True), max_size=12), query_strings())
def test_sql_stores_agree_with_the_in_memory_oracle(
    tmp_path_factory, postgres_for_properties, docs, query_string
):
    query = parse_query(query_string)
    postgres_store, postgres_conn = postgres_for_properties
    oracle = MemoryStore()
    folder = tmp_path_factory.mktemp("prop")
    selective = SQLiteStore(folder / "p.db")
    dense = SQLiteStore(folder / "d.db", selective_matches=0)
    _empty(postgres_conn)
    try:
        documents = [{"id": f"id-{n:02d}", **values} for n, values in enumerate(docs)]
        for store in (oracle, selective, dense, postgres_store):
            store.add_many(documents)
        expected = oracle.find(query)
        for name, sql, selective_matches in [
            ("sqlite", selective, None),
            ("sqlite dense", dense, None),
            ("postgres", postgres_store, 20_000),
            ("postgres dense", postgres_store, 0),
        ]:
            if selective_matches is not None:
                sql.selective_matches = selective_matches
                sql.selective_share = float("inf")
            actual = sql.find(query)
            assert [d["id"] for d in actual.items] == [
                d["id"] for d in expected.items
            ], name
            assert actual.total_count == expected.total_count, name
            assert actual.items == expected.items, name
    finally:
        selective.close()
        dense.close()


def test_a_condition_without_values_matches_nothing(store):
    from tmf683.query.ast import Condition, Operator, Query

    store.add(doc("A"))
    page = store.find(Query(conditions=(Condition(("id",), Operator.EQ, ()),)))
    assert (page.items, page.total_count) == ([], 0)


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("EQ", "\ud800"),
        ("NE", "\ud800"),
        ("GT", "b\ud800"),
        ("GTE", "b\ud800x"),
        ("LT", "b\udfff"),
        ("LTE", "\ud800"),
    ],
)
def test_a_text_no_store_holds_is_compared_as_the_oracle_does(store, operator, value):
    """An unpaired surrogate in a condition built in code (a party restriction, a
    ``Query`` of one's own; the parser refuses it): no 500 on any store, and the
    answer of the in-memory evaluator, by code point."""
    from tmf683.query.ast import Condition, Operator

    oracle = MemoryStore()
    for id, reason in [("A", "a"), ("B", "b"), ("C", "b\ue000"), ("D", "\ue001")]:
        for target in (store, oracle):
            target.add(doc(id, reason=reason))
    query = Query(conditions=(Condition(("reason",), Operator[operator], (value,)),))
    expected = oracle.find(query)
    assert expected.total_count not in (0, 4) or operator in ("EQ", "NE")
    found = store.find(query)
    assert [d["id"] for d in found.items] == [d["id"] for d in expected.items]
    assert found.total_count == expected.total_count


def test_sqlite_refuses_what_is_not_a_database(tmp_path):
    from tmf683 import StoreConfigurationError

    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    with pytest.raises(StoreConfigurationError, match="cannot be opened"):
        SQLiteStore(text)
    with pytest.raises(StoreConfigurationError, match="cannot be opened"):
        SQLiteStore(tmp_path / "missing-dir" / "x.db")


def test_add_many_is_all_or_none(store):
    store.add(doc("B"))
    with pytest.raises(ConflictError):
        store.add_many([doc("A"), doc("B"), doc("C")])
    with pytest.raises(ConflictError):
        store.add_many([doc("D"), doc("D")])
    assert [d["id"] for d in store.find(parse_query("")).items] == ["B"]
    store.add_many([doc("A"), doc("C")])
    assert [d["id"] for d in store.find(parse_query("")).items] == ["B", "A", "C"]


def test_element_filters_follow_updates_and_deletes(store):
    store.add(doc("A", relatedParty=[{"id": "P1"}], channel=[{"id": "email"}]))
    store.add(doc("B", relatedParty=[{"id": "P2"}], channel=[{"id": "phone"}]))
    assert [d["id"] for d in store.find(parse_query("relatedParty.id=P1")).items] == [
        "A"
    ]
    store.update("A", lambda d: {**d, "relatedParty": [{"id": "P2"}]})
    assert store.find(parse_query("relatedParty.id=P1")).total_count == 0
    assert [d["id"] for d in store.find(parse_query("relatedParty.id=P2")).items] == [
        "A",
        "B",
    ]
    store.delete("B")
    assert [d["id"] for d in store.find(parse_query("channel.id=phone")).items] == []
    page = store.find(parse_query("relatedParty.id=P2,P9&channel.id=email"))
    assert ([d["id"] for d in page.items], page.total_count) == (["A"], 1)


def test_a_failed_update_keeps_the_element_index(store):
    store.add(doc("A", relatedParty=[{"id": "P1"}]))

    def failing(current):
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        store.update("A", failing)
    assert store.find(parse_query("relatedParty.id=P1")).total_count == 1


def test_sqlite_upgrades_a_version_1_file(tmp_path):
    import json
    import sqlite3

    path = tmp_path / "v1.db"
    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE party_interaction (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, "
        "document TEXT NOT NULL);"
        "CREATE UNIQUE INDEX idx_party_interaction_id ON party_interaction (id);"
        "PRAGMA user_version = 1;"
    )
    old = doc("A", status="open", relatedParty=[{"id": "P1"}])
    connection.execute(
        "INSERT INTO party_interaction (id, document) VALUES (?, ?)",
        ["A", json.dumps(old)],
    )
    connection.commit()
    connection.close()
    upgraded = SQLiteStore(path)
    try:
        assert upgraded.find(parse_query("relatedParty.id=P1")).total_count == 1
        assert upgraded.find(parse_query("status=open")).total_count == 1
        assert upgraded.get("A").version == 1  # rows from before versions start at 1
        assert upgraded.update("A", lambda d: d, expected_version=1).version == 2
        connection = sqlite3.connect(path)
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        finally:
            connection.close()
        assert version == SQLITE_SCHEMA_VERSION
    finally:
        upgraded.close()


def test_sqlite_upgrades_a_version_3_file_with_versions_from_1(tmp_path):
    path = tmp_path / "v3.db"
    before = SQLiteStore(path)
    before.add(doc("A", status="open"))
    before.close()
    connection = sqlite3.connect(path)  # as the release before versions left it
    connection.execute("ALTER TABLE party_interaction DROP COLUMN version")
    connection.execute("PRAGMA user_version = 3")
    connection.commit()
    connection.close()
    upgraded = SQLiteStore(path)
    try:
        assert upgraded.get("A").version == 1
        with pytest.raises(PreconditionFailedError):
            upgraded.delete("A", expected_version=2)
        assert upgraded.update("A", lambda d: d, expected_version=1).version == 2
    finally:
        upgraded.close()


def test_sqlite_refuses_a_newer_schema(tmp_path):
    import sqlite3

    from tmf683 import StoreConfigurationError

    path = tmp_path / "future.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(StoreConfigurationError, match="upgrade tmf683"):
        SQLiteStore(path)


def test_sqlite_plans_use_indexes_for_selective_filters(tmp_path):
    sqlite = SQLiteStore(tmp_path / "plan.db")
    try:
        sqlite.add_many([doc(f"I{n}", status="open") for n in range(50)])
        for query in [
            "id=I3",
            "status=open",
            "relatedParty.id=P1",
            "channel.id=1",
            "creationDate.gte=2024-01-01T00:00:00Z",
            "interactionDate.startDateTime.lt=2024-01-01T00:00:00Z",
        ]:
            plan = " | ".join(sqlite.explain(parse_query(query)))
            assert "SCAN party_interaction " not in plan + " ", (query, plan)
    finally:
        sqlite.close()


def subscribe(store, n):
    store.add_subscription({"id": f"S{n}", "callback": f"http://h/{n}", "query": ""})


def test_hub_subscriptions_are_kept_in_registration_order(store):
    for n in (2, 1, 3):
        subscribe(store, n)
    with pytest.raises(ConflictError):
        store.add_subscription({"id": "S1", "callback": "http://other/", "query": ""})
    assert [s["id"] for s in store.subscriptions()] == ["S2", "S1", "S3"]
    assert store.get_subscription("S1")["callback"] == "http://h/1"
    store.delete_subscription("S1")
    for call in (store.get_subscription, store.delete_subscription):
        with pytest.raises(NotFoundError):
            call("S1")
    assert [s["id"] for s in store.subscriptions()] == ["S2", "S3"]


def _outbox(callbacks):
    def deliveries(old, new):
        document = new or old
        kind = "create" if old is None else "delete" if new is None else "change"
        return [
            Delivery(
                id=f"{document['id']}-{kind}-{n}",
                subscription_id=f"S{n}",
                callback=callback,
                event={"eventType": kind, "id": document["id"]},
            )
            for n, callback in enumerate(callbacks)
        ]

    return deliveries


def test_the_outbox_is_written_with_the_change_and_served_in_order(store):
    for n in range(2):
        subscribe(store, n)
    outbox = _outbox(["http://h/0", "http://h/1"])
    store.add(doc("A"), outbox)
    store.update("A", lambda d: {**d, "status": "open"}, outbox)

    def refuse(current):
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        store.update("A", refuse, outbox)
    store.delete("A", outbox)

    # the oldest pending delivery of each callback, and only when due
    due = store.due_deliveries(100.0)
    assert [d.id for d in due] == ["A-create-0", "A-create-1"]
    store.record_attempt(due[0].id, delivered=False, next_attempt_at=200.0, error="503")
    assert [d.id for d in store.due_deliveries(150.0)] == ["A-create-1"]
    retry = next(d for d in store.due_deliveries(200.0) if d.callback == "http://h/0")
    assert (retry.id, retry.attempts, retry.last_error) == ("A-create-0", 1, "503")

    sent = []

    def send(delivery):
        sent.append(delivery.id)
        return AttemptOutcome(delivered=True)

    assert store.attempt_delivery(retry, 200.0, send)
    assert [d.id for d in store.due_deliveries(200.0)] == ["A-create-1", "A-change-0"]
    store.record_attempt("A-change-0", delivered=False, error="gone for good")
    # the events queued behind it for that callback fail with it, at once
    failed = store.failed_deliveries()
    assert [d.id for d in failed] == ["A-change-0", "A-delete-0"]
    assert [d.last_error for d in failed] == ["gone for good", FAILED_BEHIND]
    assert [d.id for d in store.due_deliveries(200.0)] == ["A-create-1"]
    # a later event to that callback is attempted as usual
    store.add(doc("B"), outbox)
    assert [d.id for d in store.due_deliveries(200.0)] == ["A-create-1", "B-create-0"]
    store.delete_subscription("S0")
    assert [d.id for d in store.due_deliveries(200.0)] == ["A-create-1"]
    assert store.failed_deliveries() == []
    assert sent == ["A-create-0"]


def test_a_taken_delivery_id_fails_the_write_and_is_no_id_conflict(store):
    """An event id factory that repeats itself is the caller's fault: the write is
    refused whole, and not as a ConflictError naming the interaction (which would
    tell a client its new interaction's id was taken)."""
    subscribe(store, 0)

    def repeated(old, new):
        document = new or old
        return [Delivery("E1", "S0", "http://h/0", {"id": document["id"]})]

    store.add(doc("A"), repeated)
    for write in (
        lambda: store.add(doc("B"), repeated),
        lambda: store.add_many([doc("C"), doc("D")], repeated),
        lambda: store.update("A", lambda d: {**d, "status": "open"}, repeated),
        lambda: store.delete("A", repeated),
    ):
        with pytest.raises(
            (ValueError, sqlite3.IntegrityError, psycopg.errors.UniqueViolation)
        ) as raised:
            write()
        assert not isinstance(raised.value, ConflictError), raised.value
    assert [d["id"] for d in store.find(Query()).items] == ["A"]
    assert "status" not in store.get("A")
    assert [d.id for d in store.due_deliveries(1.0)] == ["E1"]


def test_a_callback_keeps_at_most_its_pending_limit_the_oldest_fail(store):
    subscribe(store, 0)
    store.max_pending_per_callback = 3
    outbox = _outbox(["http://h/0"])
    for name in "ABCDE":
        store.add(doc(name), outbox)
    failed = store.failed_deliveries()
    assert [d.id for d in failed] == ["A-create-0", "B-create-0"]
    assert {d.last_error for d in failed} == {TRIMMED}
    assert [d.id for d in store.due_deliveries(1.0)] == ["C-create-0"]


# --- failed deliveries: at most max_failed_per_callback per callback, newest kept --


def _ids(deliveries):
    return [d.id for d in deliveries]


def _give_up(store, delivery_id):
    store.record_attempt(delivery_id, delivered=False, error="down for good")


def test_past_the_pending_limit_a_callback_keeps_its_newest_failed(store):
    subscribe(store, 0)
    store.max_pending_per_callback = 2
    store.max_failed_per_callback = 3
    outbox = _outbox(["http://h/0"])
    for name in "ABCDEFGH":
        store.add(doc(name), outbox)
    # A..F were trimmed from the queue; only the newest three of them stay
    failed = store.failed_deliveries()
    assert _ids(failed) == ["D-create-0", "E-create-0", "F-create-0"]
    assert {d.last_error for d in failed} == {TRIMMED}
    # the pending ones are untouched
    assert _ids(store.due_deliveries(1.0)) == ["G-create-0"]
    store.record_attempt("G-create-0", delivered=True)
    assert _ids(store.due_deliveries(1.0)) == ["H-create-0"]
    # an update and a delete trim too
    store.update("H", lambda d: {**d, "status": "open"}, outbox)
    store.delete("G", outbox)
    assert _ids(store.failed_deliveries()) == ["E-create-0", "F-create-0", "H-create-0"]


def test_giving_up_keeps_the_newest_failed_of_that_callback_only(store):
    for n in range(2):
        subscribe(store, n)
    store.max_failed_per_callback = 2
    outbox = _outbox(["http://h/0", "http://h/1"])
    for name in "ABC":
        store.add(doc(name), outbox)
        _give_up(store, f"{name}-create-0")
    failed = store.failed_deliveries()
    assert _ids(failed) == ["B-create-0", "C-create-0"]
    assert [(d.attempts, d.last_error) for d in failed] == [(1, "down for good")] * 2
    # the other callback's queue is untouched
    assert _ids(store.due_deliveries(1.0)) == ["A-create-1"]
    for name in "ABC":
        store.record_attempt(f"{name}-create-1", delivered=True)
    assert store.due_deliveries(1.0) == []
    assert _ids(store.failed_deliveries()) == ["B-create-0", "C-create-0"]


def test_the_queue_failed_behind_a_give_up_keeps_its_newest(store):
    for n in range(2):
        subscribe(store, n)
    store.max_failed_per_callback = 2
    outbox = _outbox(["http://h/0", "http://h/1"])
    for name in "ABCDE":
        store.add(doc(name), outbox)
    _give_up(store, "A-create-1")  # B..E fail behind it
    failed = store.failed_deliveries()
    assert _ids(failed) == ["D-create-1", "E-create-1"]
    assert {d.last_error for d in failed} == {FAILED_BEHIND}
    # the other callback's pending deliveries are untouched
    assert _ids(store.due_deliveries(1.0)) == ["A-create-0"]
    _give_up(store, "A-create-0")
    # each callback keeps its own newest two: trimming one leaves the other's
    assert _ids(store.failed_deliveries()) == [
        "D-create-0",
        "D-create-1",
        "E-create-0",
        "E-create-1",
    ]


def test_a_failed_limit_of_0_keeps_no_failed_delivery(store):
    for n in range(2):
        subscribe(store, n)
    store.max_pending_per_callback = 2
    store.max_failed_per_callback = 0
    outbox = _outbox(["http://h/0", "http://h/1"])
    for name in "ABC":  # A is trimmed from both queues
        store.add(doc(name), outbox)
    assert store.failed_deliveries() == []
    assert _ids(store.due_deliveries(1.0)) == ["B-create-0", "B-create-1"]
    _give_up(store, "B-create-0")  # and C-create-0 behind it
    assert store.failed_deliveries() == []
    assert _ids(store.due_deliveries(1.0)) == ["B-create-1"]
    store.record_attempt("B-create-1", delivered=True)
    assert _ids(store.due_deliveries(1.0)) == ["C-create-1"]


def test_without_a_failed_limit_every_failed_delivery_stays(store):
    subscribe(store, 0)
    store.max_pending_per_callback = 1
    for name in "ABCDE":
        store.add(doc(name), _outbox(["http://h/0"]))
    assert len(store.failed_deliveries()) == 4


def test_sqlite_trims_failed_deliveries_through_an_index(tmp_path):
    """The ``(state, callback, seq)`` index serves the failed range too."""
    sqlite = SQLiteStore(tmp_path / "plan.db")
    try:
        plan = " | ".join(
            str(row[-1])
            for row in sqlite._db().execute(
                "EXPLAIN QUERY PLAN SELECT seq FROM event_delivery "
                "WHERE state = 'failed' AND callback = ? ORDER BY seq DESC "
                "LIMIT 1 OFFSET ?",
                ["http://h/", 5],
            )
        )
    finally:
        sqlite.close()
    assert "USING COVERING INDEX idx_event_delivery_pending" in plan, plan


def test_a_delivery_being_attempted_is_not_attempted_again_meanwhile(store):
    """A second dispatcher on the store (here: another thread) sends nothing."""
    subscribe(store, 0)
    store.add(doc("A"), _outbox(["http://h/0"]))
    store.add(doc("B"), _outbox(["http://h/0"]))
    (head,) = store.due_deliveries(1.0)
    nested = []

    def other_dispatcher():
        nested.append(store.attempt_delivery(head, 1.0, lambda d: 1 / 0))
        # neither it nor the next one of its callback is due for anyone else
        nested.append([d.id for d in store.due_deliveries(1.0)])

    def send(delivery):
        other = threading.Thread(target=other_dispatcher)
        other.start()
        other.join(30)
        return AttemptOutcome(delivered=True)

    assert store.attempt_delivery(head, 1.0, send)
    assert nested[0] is False
    assert nested[1] in ([], [head.id])  # PostgreSQL's read skips the locked row
    assert [d.id for d in store.due_deliveries(1.0)] == ["B-create-0"]


# --- scan: every match in creation order, batch by batch, under the deadline ----


def test_scan_yields_every_match_in_creation_order_in_batches(store):
    store.add_many([doc(f"D{n}", status="odd" if n % 2 else "even") for n in range(7)])
    batches = list(store.scan(parse_query("status=odd"), batch_size=2))
    assert [[d["id"] for d in batch] for batch in batches] == [
        ["D1", "D3"],
        ["D5"],
    ]
    everything = [d["id"] for batch in store.scan(parse_query("")) for d in batch]
    assert everything == [f"D{n}" for n in range(7)]
    assert list(store.scan(parse_query("status=none"))) == []


def test_a_scan_sees_once_each_document_that_stays(store):
    store.add_many([doc(f"D{n}") for n in range(6)])
    seen = []
    for batch in store.scan(parse_query(""), batch_size=2):
        seen += [d["id"] for d in batch]
        if len(seen) == 2:  # between batches: one gone ahead, one behind, one new
            store.delete("D0")
            store.delete("D3")
            store.add(doc("D6"))
    # D0, D3 and D6 were written meanwhile (may or may not be seen); the rest once
    assert [id for id in seen if id not in ("D0", "D3", "D6")] == [
        "D1",
        "D2",
        "D4",
        "D5",
    ]
    assert len(seen) == len(set(seen))


def test_a_scan_past_the_query_timeout_stops(store):
    import time

    from tmf683 import QueryTimeoutError

    store.add_many([doc(f"D{n}") for n in range(4)])
    store.query_timeout = 0.05
    batches = store.scan(parse_query(""), batch_size=1)
    started = time.monotonic()
    next(batches)
    # the caller's own work between batches counts: wait on the clock itself
    while time.monotonic() < started + 0.1:
        pass
    with pytest.raises(QueryTimeoutError, match=r"deadline of 0\.05 s"):
        next(batches)


def test_the_memory_store_find_stops_at_its_deadline():
    from tmf683 import QueryTimeoutError

    store = MemoryStore(query_timeout=0.0)
    store.add_many([doc(f"D{n}") for n in range(1000)])
    with pytest.raises(QueryTimeoutError):
        store.find(parse_query("reason.regex=x"))
    assert MemoryStore().query_timeout == 5.0  # the SQL stores' default
    assert len(MemoryStore(query_timeout=None).find(parse_query("")).items) == 0


def test_a_regex_on_a_number_matches_nothing(store):
    # a pattern tests texts only; the trigram index has no candidates to offer
    store.add_many(
        [
            doc("N1", attachment=[{"size": {"amount": 123, "units": "B"}}]),
            doc("N2", attachment=[{"size": {"amount": "123", "units": "B"}}]),
        ]
    )
    assert store.find(parse_query("attachment.size.amount.regex=123")).total_count == 0
    assert store.find(parse_query("attachment.size.units.regex=B")).total_count == 2
