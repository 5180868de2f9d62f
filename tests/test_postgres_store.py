"""What only the PostgreSQL store has: its schema, exact numbers, indexes, and an
outbox shared by several dispatchers (each store object below stands for one server
process: it has its own connection pool)."""

import random
import subprocess
import sys
import threading
import time
from decimal import Decimal

import psycopg
import pytest

from tests import postgres
from tests.servers import REPO_ROOT
from tests.waiting import wait_for
from tmf683 import (
    NotFoundError,
    PostgresStore,
    PreconditionFailedError,
    StoreConfigurationError,
    open_store,
    parse_query,
)
from tmf683.events.dispatch import Dispatcher
from tmf683.storage.base import AttemptOutcome, Delivery
from tmf683.storage.postgres._schema import SCHEMA_VERSION


def doc(id, **values):
    base = {"id": id, "channel": [{"id": "1"}], "direction": "in", "reason": "r"}
    return base | values


@pytest.fixture
def url(postgres_url):
    postgres.empty(postgres_url)
    return postgres_url


@pytest.fixture
def stores(url):
    """Three stores on one database, as three server processes would open it."""
    opened = [PostgresStore(url, max_connections=12) for _ in range(3)]
    yield opened
    for store in opened:
        store.close()


def test_open_store_selects_postgres_by_url(url):
    store = open_store(url)
    try:
        assert isinstance(store, PostgresStore)
        store.add(doc("A", description="ünïcode"))
    finally:
        store.close()
    again = PostgresStore(url)
    try:
        assert again.get("A")["description"] == "ünïcode"
    finally:
        again.close()


def test_the_schema_is_versioned_and_a_newer_one_is_refused(postgres_databases):
    url = postgres_databases.create()
    PostgresStore(url).close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM tmf683_schema").fetchall() == [
            (SCHEMA_VERSION,)
        ]
        conn.execute("UPDATE tmf683_schema SET version = 99")
    with pytest.raises(StoreConfigurationError, match="upgrade tmf683"):
        PostgresStore(url)


def test_a_version_1_schema_is_upgraded_with_versions_from_1(postgres_databases):
    url = postgres_databases.create()
    store = PostgresStore(url)
    store.add({"id": "A", "channel": [{"id": "1"}], "direction": "in", "reason": "r"})
    store.close()
    with psycopg.connect(url) as conn:  # as the release before versions left it
        conn.execute("ALTER TABLE party_interaction DROP COLUMN version")
        conn.execute("UPDATE tmf683_schema SET version = 1")
    upgraded = PostgresStore(url)
    try:
        assert upgraded.get("A").version == 1
        with pytest.raises(PreconditionFailedError):
            upgraded.update("A", lambda d: d, expected_version=2)
        assert upgraded.update("A", lambda d: d, expected_version=1).version == 2
    finally:
        upgraded.close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM tmf683_schema").fetchall() == [
            (SCHEMA_VERSION,)
        ]


def _failed_index(conn):
    rows = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'event_delivery_failed_idx'"
    ).fetchall()
    return [row[0] for row in rows]


def test_a_version_2_schema_gets_the_index_of_failed_deliveries(postgres_databases):
    url = postgres_databases.create()
    store = PostgresStore(url)
    store.add_subscription({"id": "S", "callback": "http://h/", "query": ""})
    store.close()
    with psycopg.connect(url) as conn:  # as the release before the failed cap left it
        assert _failed_index(conn) != []
        conn.execute("DROP INDEX event_delivery_failed_idx")
        conn.execute("UPDATE tmf683_schema SET version = 2")
    upgraded = PostgresStore(url)
    try:
        assert [s["id"] for s in upgraded.subscriptions()] == ["S"]
    finally:
        upgraded.close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM tmf683_schema").fetchall() == [
            (SCHEMA_VERSION,)
        ]
        (definition,) = _failed_index(conn)
        assert "(callback, seq) WHERE (state = 'failed'::text)" in definition


def test_the_trim_of_failed_deliveries_reads_its_index(postgres_databases):
    """The trim's range comes from the partial index, not from a table scan."""
    url = postgres_databases.create()
    PostgresStore(url).close()
    with psycopg.connect(url) as conn:
        conn.execute("SET enable_seqscan = off")  # a tiny table: the planner's pick
        plan = " ".join(
            row[0]
            for row in conn.execute(
                "EXPLAIN SELECT seq FROM event_delivery WHERE state = 'failed' "
                "AND callback = 'http://h/' ORDER BY seq DESC LIMIT 1 OFFSET 5"
            ).fetchall()
        )
    assert "event_delivery_failed_idx" in plan, plan


def test_processes_starting_together_create_the_schema_once(postgres_databases):
    url = postgres_databases.create()
    opened, errors = [], []

    def open_one():
        try:
            opened.append(PostgresStore(url, max_connections=2))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(opened) == 6
    opened[0].add(doc("A"))
    assert all(store.get("A")["id"] == "A" for store in opened)
    for store in opened:
        store.close()


def test_unreachable_databases_are_a_configuration_error_without_the_password():
    with pytest.raises(StoreConfigurationError) as caught:
        PostgresStore("postgresql://u:s3cret@127.0.0.1:1/x", connect_timeout=2)
    assert "s3cret" not in str(caught.value)
    assert "Connection refused" in str(caught.value)


def test_numbers_keep_their_value_and_type(url):
    store = PostgresStore(url)
    numbers = [0.1, 1e30, 2**53 + 1, 2.0**53, 5e-324, -1.5, 3, 1.0, 2**63 - 1]
    try:
        store.add(doc("A", extra={"numbers": numbers}))
        read = store.get("A")["extra"]["numbers"]
        assert read == numbers
        assert [type(n) for n in read] == [type(n) for n in numbers]
        store.add(doc("B", attachment=[{"size": {"amount": 0.1}}]))
        store.add(doc("C", attachment=[{"size": {"amount": 2**53 + 1}}]))
        assert _ids(store, "attachment.size.amount=0.1") == ["B"]
        assert _ids(store, "attachment.size.amount.gt=9007199254740992") == ["C"]
        assert _ids(store, "attachment.size.amount=9007199254740992") == []
        with psycopg.connect(url) as conn:
            stored = conn.execute(
                "SELECT (document #> '{attachment,0,size,amount}')::numeric "
                "FROM party_interaction WHERE id = 'B'"
            ).fetchone()
        assert stored == (Decimal(0.1),)  # noqa: RUF032 - the float's exact value
    finally:
        store.close()


def _ids(store, query):
    return [d["id"] for d in store.find(parse_query(query)).items]


def test_selective_filters_use_indexes(url):
    store = PostgresStore(url)
    try:
        store.add_many(
            [
                doc(
                    f"I{n}",
                    status=f"s{n % 500}",
                    direction=f"d{n % 400}",
                    creationDate=f"2024-01-01T00:00:{n % 60:02d}.{n:06d}Z",
                    relatedParty=[{"id": f"P{n}", "@referredType": "Individual"}],
                    channel=[{"id": f"C{n % 300}"}],
                )
                for n in range(3000)
            ]
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE party_interaction")
        for query in [
            "id=I3",
            "status=s7",
            "direction=d9",
            "relatedParty.id=P1",
            "channel.id=C1",
            "creationDate.gte=2024-01-01T00:00:59.002999Z",
            "sort=-creationDate&limit=5",
        ]:
            plan = " | ".join(store.explain(parse_query(query)))
            assert "Index" in plan or "Bitmap" in plan, (query, plan)
            assert "Seq Scan" not in plan, (query, plan)
    finally:
        store.close()


def test_regex_filters_run_re2_on_the_texts_of_one_snapshot(url):
    store = PostgresStore(url)
    try:
        store.add(doc("A", status="Ünï\ncode", relatedParty=[{"id": "P[1]"}]))
        store.add(doc("B", status="open", relatedParty=[{"id": "P2"}]))
        # RE2 syntax and semantics: \\pL is a Unicode letter, . stops at a newline
        assert _ids(store, "status.regex=%5E%5CpL") == ["A", "B"]
        assert _ids(store, "status.regex=%5Cp%7BLu%7D.c") == []
        assert _ids(store, "relatedParty.id.regex=%5C%5B1") == ["A"]
        assert _ids(store, "reason.regex=r&status.regex=open") == ["B"]
    finally:
        store.close()


def _delivery(n, callback):
    return Delivery(
        id=f"D{n:03d}",
        subscription_id="S1",
        callback=callback,
        event={"eventId": f"E{n:03d}", "n": n},
    )


def _queue(store, deliveries):
    """Register S1 and write the deliveries with a change, through the outbox."""
    store.add_subscription({"id": "S1", "callback": "http://x", "query": ""})
    store.add(doc("carrier"), lambda old, new: deliveries)


def test_a_delivery_being_sent_is_sent_by_no_other_dispatcher(stores):
    first, second, _ = stores
    _queue(first, [_delivery(1, "http://a/"), _delivery(2, "http://a/")])
    sending, release = threading.Event(), threading.Event()
    sent = []

    def slow(delivery):
        sent.append(delivery.id)
        sending.set()
        release.wait(30)
        return AttemptOutcome(delivered=True)

    (head,) = first.due_deliveries(time.time())
    worker = threading.Thread(
        target=first.attempt_delivery, args=(head, time.time(), slow)
    )
    worker.start()
    assert sending.wait(30)
    # neither the delivery in flight nor the next one to its callback is due now
    assert second.due_deliveries(time.time()) == []
    assert not second.attempt_delivery(head, time.time(), slow)
    release.set()
    worker.join(30)
    (after,) = second.due_deliveries(time.time())
    assert after.id == "D002"
    assert second.attempt_delivery(after, time.time(), slow)
    assert sent == ["D001", "D002"]
    assert second.due_deliveries(time.time()) == []


def test_a_failed_attempt_is_recorded_and_keeps_the_order(stores):
    first, second, _ = stores
    _queue(first, [_delivery(1, "http://a/"), _delivery(2, "http://a/")])
    (head,) = first.due_deliveries(100.0)

    def refused(delivery):
        return AttemptOutcome(delivered=False, next_attempt_at=200.0, error="HTTP 503")

    assert first.attempt_delivery(head, 100.0, refused)
    assert second.due_deliveries(150.0) == []
    (retry,) = second.due_deliveries(200.0)
    assert (retry.id, retry.attempts, retry.last_error) == ("D001", 1, "HTTP 503")
    assert not second.attempt_delivery(retry, 150.0, refused)  # not due yet


def test_a_dispatcher_that_dies_mid_send_releases_the_delivery_at_once(stores, url):
    first, *_ = stores
    _queue(first, [_delivery(1, "http://a/")])
    script = (
        "import sys, time\n"
        "from tmf683 import PostgresStore\n"
        "from tmf683.storage.base import AttemptOutcome\n"
        "store = PostgresStore(sys.argv[1])\n"
        "(head,) = store.due_deliveries(time.time())\n"
        "def hang(delivery):\n"
        "    print('sending', flush=True)\n"
        "    time.sleep(120)\n"
        "    return AttemptOutcome(delivered=True)\n"
        "store.attempt_delivery(head, time.time(), hang)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "sending"
        assert first.due_deliveries(time.time()) == []
        child.kill()
        child.wait(30)
        due = wait_for(lambda: first.due_deliveries(time.time()), 30)
        assert [d.id for d in due] == ["D001"]
    finally:
        child.kill()
        child.wait(30)
        if child.stdout is not None:
            child.stdout.close()


def test_several_dispatchers_send_each_event_once_in_order_per_callback(stores):
    callbacks = [f"http://subscriber-{n}/" for n in range(4)]
    deliveries = [_delivery(n, callbacks[n % 4]) for n in range(120)]
    _queue(stores[0], deliveries)
    log, lock, in_flight, overlaps = [], threading.Lock(), set(), []
    rng = random.Random(683)  # noqa: S311 - pauses, not secrets

    def post(url, event, timeout):
        with lock:
            if url in in_flight:
                overlaps.append(url)
            in_flight.add(url)
            pause = rng.uniform(0, 0.004)
        time.sleep(pause)
        with lock:
            in_flight.discard(url)
            log.append((url, event["n"]))

    dispatchers = [Dispatcher(store, post=post, workers=4) for store in stores]
    stop = threading.Event()
    runners = [
        threading.Thread(target=d.run, args=(stop, 0.01), daemon=True)
        for d in dispatchers
    ]
    for runner in runners:
        runner.start()
    try:
        wait_for(lambda: len(log) >= len(deliveries), 60)
    finally:
        stop.set()
        for runner in runners:
            runner.join(30)
        for dispatcher in dispatchers:
            dispatcher.close()
    assert sorted(n for _, n in log) == list(range(120))  # each exactly once
    assert overlaps == []  # one callback never had two events in flight
    for url in callbacks:
        sent = [n for u, n in log if u == url]
        assert sent == sorted(sent), url
    assert stores[0].due_deliveries(time.time()) == []


def test_concurrent_writers_on_several_processes_lose_no_update(stores):
    stores[0].add(doc("A", note=[]))
    errors = []

    def append_notes(store, worker):
        try:
            for n in range(15):
                store.update(
                    "A",
                    lambda d, n=n: {**d, "note": [*d["note"], {"id": f"{worker}-{n}"}]},
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=append_notes, args=(store, f"{s}.{w}"))
        for s, store in enumerate(stores)
        for w in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    notes = stores[2].get("A")["note"]
    assert len(notes) == 90
    assert len({note["id"] for note in notes}) == 90


def test_a_delivery_of_an_unregistered_subscription_is_dropped(stores, url):
    first, _, _ = stores
    _queue(first, [_delivery(1, "http://a/")])
    (head,) = first.due_deliveries(time.time())
    with psycopg.connect(url) as conn:  # another process, as a racing unregister
        conn.execute("DELETE FROM event_subscription")
    assert not first.attempt_delivery(
        head, time.time(), lambda d: AttemptOutcome(delivered=True)
    )
    assert first.due_deliveries(time.time()) == []


def test_text_with_nul_is_refused_as_invalid_and_never_matches(url):
    from tmf683 import ValidationError

    store = PostgresStore(url)
    try:
        with pytest.raises(ValidationError, match="NUL"):
            store.add(doc("A", description="a\x00b"))
        store.add(doc("B", status="a"))
        store.add(doc("C", status="a\x01"))
        assert _ids(store, "status=a%00") == []
        assert _ids(store, "status.ne=a%00") == ["B", "C"]
        assert _ids(store, "status.gt=a%00") == ["C"]
        assert _ids(store, "status.lte=a%00z") == ["B"]
        with pytest.raises(NotFoundError):
            store.get("A")
    finally:
        store.close()


def test_connections_broken_by_a_database_restart_are_replaced(url):
    store = PostgresStore(url, min_connections=2)
    try:
        store.add(doc("A"))
        with psycopg.connect(postgres.ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s",  # the store's sessions (not other tests')
                [psycopg.conninfo.conninfo_to_dict(url)["dbname"]],
            )
            # the restart is over when the ended sessions are gone (each has
            # sent its last message and closed its socket by then)
            wait_for(
                lambda: (
                    admin.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                        [psycopg.conninfo.conninfo_to_dict(url)["dbname"]],
                    ).fetchone()
                    == (0,)
                )
            )
        assert store.get("A")["id"] == "A"
        assert store.find(parse_query("")).total_count == 1
    finally:
        store.close()


def test_no_free_connection_is_a_503_with_a_tmf_error_body(url):
    import httpx

    from tests.wsgi import serving
    from tmf683 import PartyInteractionService, StoreUnavailableError
    from tmf683_falcon import create_app

    store = PostgresStore(url, max_connections=1, wait_timeout=0.3)
    holding, release = threading.Event(), threading.Event()

    def hold():
        def outbox(old, new):  # runs inside the write, on the only connection
            holding.set()
            release.wait(30)
            return []

        store.add(doc("held"), outbox)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        with pytest.raises(StoreUnavailableError, match="unavailable"):
            store.get("A")
        with serving(create_app(PartyInteractionService(store))) as root:
            answer = httpx.get(f"{root}/tmf-api/partyInteraction/v4/partyInteraction")
        assert answer.status_code == 503
        assert answer.json()["code"] == "serviceUnavailable"
        assert answer.json()["status"] == "503"
    finally:
        release.set()
        holder.join(30)
        store.close()


def test_a_text_too_long_for_an_index_is_invalid_not_a_crash(url):
    import base64
    import os as _os

    from tmf683 import ValidationError

    store = PostgresStore(url)
    try:
        noise = base64.b64encode(_os.urandom(3000)).decode()  # incompressible
        with pytest.raises(ValidationError, match="too long"):
            store.add(doc(noise))
        assert store.find(parse_query("")).total_count == 0
    finally:
        store.close()


def test_ids_with_nul_are_simply_not_found(url):
    store = PostgresStore(url)
    try:
        for call in (
            lambda: store.get("a\x00b"),
            lambda: store.update("a\x00b", lambda d: d),
            lambda: store.delete("a\x00b"),
            lambda: store.get_subscription("a\x00b"),
            lambda: store.delete_subscription("a\x00b"),
        ):
            with pytest.raises(NotFoundError):
                call()
    finally:
        store.close()


def test_a_database_not_in_utf8_is_refused(postgres_databases):
    name = f"tmf683_test_latin1_{random.randrange(10**9)}"  # noqa: S311
    with psycopg.connect(postgres.ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            f"CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
            "TEMPLATE template0"
        )
    postgres_databases.created.append(name)
    url = postgres.ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with pytest.raises(StoreConfigurationError, match="needs a UTF8 database"):
        PostgresStore(url)


def test_unregister_does_not_wait_for_a_delivery_being_sent(stores, url):
    first, second, _ = stores
    _queue(first, [_delivery(1, "http://a/"), _delivery(2, "http://a/")])
    sending, release = threading.Event(), threading.Event()

    def slow(delivery):
        sending.set()
        release.wait(30)
        return AttemptOutcome(delivered=False, next_attempt_at=0.0, error="HTTP 503")

    (head,) = first.due_deliveries(time.time())
    worker = threading.Thread(
        target=first.attempt_delivery, args=(head, time.time(), slow)
    )
    worker.start()
    try:
        assert sending.wait(30)
        second.delete_subscription("S1")  # returns at once: the lock is skipped
        with psycopg.connect(url) as conn:
            left = conn.execute("SELECT id FROM event_delivery").fetchall()
        assert left == [("D001",)]
    finally:
        release.set()
        worker.join(30)
    # the failed attempt left it pending; its subscription is gone, so it is dropped
    assert second.due_deliveries(time.time())[0].id == "D001"
    assert not second.attempt_delivery(head, time.time(), slow)
    assert second.due_deliveries(time.time()) == []


def test_a_frozen_dispatcher_loses_its_lock_after_the_attempt_timeout(url):
    frozen = PostgresStore(url, attempt_timeout=1.0)
    other = PostgresStore(url)
    try:
        _queue(frozen, [_delivery(1, "http://a/")])
        sending, release, outcome = threading.Event(), threading.Event(), []

        def freeze(delivery):
            sending.set()
            release.wait(30)  # the process does nothing on its connection
            return AttemptOutcome(delivered=True)

        (head,) = frozen.due_deliveries(time.time())

        def attempt():
            try:
                frozen.attempt_delivery(head, time.time(), freeze)
            except Exception as exc:
                outcome.append(exc)

        worker = threading.Thread(target=attempt)
        worker.start()
        assert sending.wait(30)
        assert other.due_deliveries(time.time()) == []
        due = wait_for(lambda: other.due_deliveries(time.time()), 30, interval=0.05)
        assert [d.id for d in due] == ["D001"]
        release.set()
        worker.join(30)
        # the frozen attempt's outcome is not written: its session is gone
        assert [type(e).__name__ for e in outcome] == ["StoreUnavailableError"]
    finally:
        frozen.close()
        other.close()


def test_unpaired_surrogates_behave_as_on_the_other_stores(url):
    from tmf683 import MemoryStore, ValidationError
    from tmf683.query.ast import Condition, Operator, Query

    store, oracle = PostgresStore(url), MemoryStore()
    try:
        for target in (store, oracle):
            for n, status in enumerate(["a", "a\ud7ff", "a\ue000", "b", "a\U0001f600"]):
                target.add(doc(f"I{n}", status=status))
        for operator in Operator:
            for bound in ("a\udc80", "a\udc80z", "\ud800"):
                query = Query(conditions=(Condition(("status",), operator, (bound,)),))
                if operator is Operator.REGEX:
                    continue
                assert _same(store.find(query), oracle.find(query)), (operator, bound)
        with pytest.raises(NotFoundError):
            store.get("a\udc80")
        with pytest.raises(ValidationError):
            store.add(doc("x\udc80"))
        with pytest.raises(ValidationError, match="not valid Unicode"):
            store.add(doc("Y", description="x\udc80"))
    finally:
        store.close()


def _same(first, second):
    return [d["id"] for d in first.items] == [d["id"] for d in second.items]


def test_a_read_by_id_takes_no_transaction_of_its_own(url):
    from psycopg.pq import TransactionStatus

    store = PostgresStore(url)
    try:
        with store._connections.statement() as conn:
            assert conn.info.transaction_status == TransactionStatus.IDLE
        with (
            store._connections.transaction() as outer,
            store._connections.statement() as conn,
        ):
            assert conn is outer
            assert conn.info.transaction_status == TransactionStatus.INTRANS
    finally:
        store.close()


def test_a_read_by_id_inside_a_write_sees_the_write(url):
    store = PostgresStore(url)
    seen = []

    def outbox(old, new):  # runs inside the write, before its commit
        seen.append(store.get(new["id"])["status"])
        return []

    try:
        store.add(doc("A", status="open"), outbox)
        assert seen == ["open"]
        assert store.get("A")["status"] == "open"
    finally:
        store.close()
