"""tmf683 export and import: NDJSON in and out of real stores, by the real command."""

from __future__ import annotations

import io
import itertools
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import postgres
from tests.conftest import MINIMAL, V5_BODY, FixedClock
from tests.test_v5 import v5_bodies
from tests.waiting import wait_for
from tmf683 import (
    InvalidQueryError,
    MemoryStore,
    PartyInteractionService,
    PostgresStore,
    SQLiteStore,
    StoreUnavailableError,
    ValidationError,
)
from tmf683.query.ast import Query
from tmf683.storage import open_store
from tmf683.testing import party_interactions, query_strings
from tmf683.transfer.export import export_documents, export_query
from tmf683.transfer.importer import ImportFailedError, import_documents
from tmf683.transfer.records import check_record
from tmf683.versions.v5service import PartyInteractionServiceV5

V5_ONLY = {
    **V5_BODY,
    "externalIdentifier": [
        {"@type": "ExternalIdentifier", "id": "E-1", "owner": "crm"}
    ],
    "relatedParty": [
        {
            "@type": "RelatedPartyOrPartyRole",
            "role": "customer",
            "partyOrPartyRole": {"@type": "Individual", "id": "P1", "givenName": "Ann"},
        }
    ],
}


def services(store, prefix="PI"):
    ids = (f"{prefix}-{n:05d}" for n in itertools.count(1))
    v4 = PartyInteractionService(
        store, clock=FixedClock(), id_factory=lambda: next(ids)
    )
    return v4, PartyInteractionServiceV5(v4)


def fill(store, count=12):
    """Interactions written through v4 and v5 (v5-only data, lastUpdate, patches)."""
    v4, v5 = services(store)
    for n in range(count):
        if n % 3 == 2:
            created = v5.create({**V5_ONLY, "status": "active" if n % 2 else "held"})
            v5.patch(created["id"], {"description": f"v5 patch {n}"})
        else:
            body = {**MINIMAL, "status": "active" if n % 2 else "held"}
            created = v4.create(
                {
                    **body,
                    "relatedParty": [{"id": f"P{n}", "@referredType": "Individual"}],
                }
            )
            if n % 4 == 0:
                v4.patch(created["id"], {"description": f"v4 patch {n}"})
    return v4, v5


def views(store):
    """Every interaction as v4 and v5 read it (without versions)."""
    v4, v5 = services(store)
    ids = [doc["id"] for doc in v4.list("limit=1000").items]
    return (
        [dict(v4.retrieve(id)) for id in ids],
        [dict(v5.retrieve(id)) for id in ids],
    )


def tmf683(*args, input=None, check=False):
    result = subprocess.run(
        [sys.executable, "-m", "tmf683.cli", *map(str, args)],
        input=input,
        capture_output=True,
        timeout=120,
        env={**os.environ, "TMF683_DB": ""},
    )
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


def lines_of(path):
    return Path(path).read_text(encoding="utf-8").splitlines()


@pytest.fixture
def source(tmp_path):
    """A real SQLite file with interactions v4 and v5 wrote."""
    path = tmp_path / "source.db"
    store = SQLiteStore(path)
    fill(store)
    store.close()
    return path


# --- the store method ------------------------------------------------------


def doc(id, **extra):
    return {"id": id, **MINIMAL, **extra}


def test_put_many_adds_new_ids_and_skips_or_replaces_stored_ones(store):
    store.add_many([doc("A", status="a1"), doc("B", status="b1")])
    assert store.put_many([doc("B", status="b2"), doc("C", status="c1")]) == 1
    assert store.get("B")["status"] == "b1"
    assert store.get("B").version == 1
    assert store.get("C").version == 1
    assert store.put_many([doc("B", status="b3"), doc("D")], replace=True) == 2
    assert store.get("B")["status"] == "b3"
    assert store.get("B").version == 2
    # replaced in its place, new ones after every stored one
    assert [d["id"] for b in store.scan(Query()) for d in b] == ["A", "B", "C", "D"]


def test_put_many_keeps_the_indexes_true(store):
    store.put_many([doc("A", channel=[{"id": "old"}])])
    store.put_many([doc("A", channel=[{"id": "new"}])], replace=True)
    service = PartyInteractionService(store)
    assert service.list("channel.id=old").total_count == 0
    assert [d["id"] for d in service.list("channel.id=new").items] == ["A"]


def test_put_many_counts_a_repeated_id_once(store):
    assert store.put_many([doc("A", status="1"), doc("A", status="2")]) == 1
    assert store.get("A")["status"] == "1"
    assert (
        store.put_many([doc("A", status="3"), doc("A", status="4")], replace=True) == 1
    )
    assert store.get("A")["status"] == "4"
    assert store.put_many([]) == 0


def test_put_many_raises_no_events(store):
    v4, _ = services(store)
    v4.events.register({"callback": "http://127.0.0.1:9/listener", "query": ""})
    v4.create(MINIMAL)
    assert len(store.due_deliveries(now=1e12)) == 1
    store.put_many([doc("A"), doc("B")])
    store.put_many([doc("A", status="x")], replace=True)
    assert len(store.due_deliveries(now=1e12)) == 1


# --- the command ------------------------------------------------------------


def test_sqlite_to_postgres_moves_every_document_v4_and_v5_views_equal(
    source, tmp_path, postgres_databases
):
    target = postgres_databases.create()
    export = tmp_path / "out.ndjson"
    done = tmf683("export", "--db", source, "--output", export, check=True)
    assert done.stderr.decode() == f"tmf683: exported 12 interactions to {export}\n"
    assert done.stdout == b""
    done = tmf683("import", "--db", target, export, check=True)
    assert done.stderr.decode() == (
        f"tmf683: imported 12 interactions from {export}: 12 written, "
        "0 skipped (id stored already)\n"
    )
    before, after = SQLiteStore(source), PostgresStore(target)
    try:
        assert views(after) == views(before)
        v4_docs, v5_docs = views(after)
        assert len(v4_docs) == 12
        assert sum("lastUpdate" in d for d in v5_docs) == 4
        assert sum("externalIdentifier" in d for d in v5_docs) == 4
        assert all(after.get(d["id"]).version == 1 for d in v4_docs)
        # the stored documents themselves are equal, in the same order
        assert list(after.scan(Query())) == list(before.scan(Query()))
    finally:
        before.close()
        after.close()
    again = tmp_path / "again.ndjson"
    tmf683("export", "--db", target, "--output", again, check=True)
    # the same documents in the same order (jsonb keeps keys in its own order)
    assert [json.loads(line) for line in lines_of(again)] == [
        json.loads(line) for line in lines_of(export)
    ]


def test_export_to_stdout_is_the_file_export(source, tmp_path):
    export = tmp_path / "out.ndjson"
    tmf683("export", "--db", source, "-o", export, check=True)
    piped = tmf683("export", "--db", f"sqlite:///{source}", check=True)
    assert piped.stdout == export.read_bytes()
    assert piped.stderr.decode() == "tmf683: exported 12 interactions to stdout\n"
    assert len(piped.stdout.splitlines()) == 12
    assert all(json.loads(line)["id"] for line in piped.stdout.splitlines())


def test_import_reads_stdin(source, tmp_path):
    piped = tmf683("export", "--db", source, check=True).stdout
    target = tmp_path / "target.db"
    done = tmf683("import", "--db", target, "-", "--quiet", input=piped, check=True)
    assert done.stderr == b""
    assert tmf683("export", "--db", target, check=True).stdout == piped


@pytest.mark.parametrize(
    "query",
    [
        "status=active",
        "status=held&relatedParty.id=P4",
        "creationDate.gt=2024-05-01T10:00:05Z",
        "description*=patch",
        "status!=active",
    ],
)
def test_export_query_exports_exactly_what_the_list_matches(source, query):
    store = SQLiteStore(source)
    try:
        expected = [
            d["id"] for d in services(store)[0].list(query + "&limit=1000").items
        ]
    finally:
        store.close()
    done = tmf683("export", "--db", source, "--query", query, check=True)
    exported = [json.loads(line)["id"] for line in done.stdout.splitlines()]
    assert sorted(exported) == sorted(expected)
    assert 0 < len(exported) < 12


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status.zz=1", "--query: "),
        ("limit=3", "--query: limit does not apply to an export"),
        ("fields=status", "--query: fields does not apply to an export"),
        ("sort=status", "--query: sort does not apply to an export"),
        ("offset=2", "--query: offset does not apply to an export"),
    ],
)
def test_export_refuses_a_bad_query(source, query, message):
    done = tmf683("export", "--db", source, "--query", query)
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode().startswith(f"tmf683: error: {message}")


def test_export_of_a_missing_sqlite_file_fails_and_creates_nothing(tmp_path):
    done = tmf683("export", "--db", tmp_path / "nope.db", "-o", tmp_path / "o.ndjson")
    assert done.returncode == 1
    assert "no such SQLite file" in done.stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_export_to_a_file_leaves_no_partial_file_on_failure(source, tmp_path):
    # a directory where the output file should go: the rename fails at the end
    (tmp_path / "out").mkdir()
    done = tmf683("export", "--db", source, "-o", tmp_path / "out")
    assert done.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "source.db"]


BAD_LINES = {
    "bad JSON": ('{"id": "X5", ', "line 5: $ is not valid JSON"),
    "not an object": ("[1, 2]", "line 5: $ must be a JSON object"),
    "failing validation": (
        json.dumps({"id": "X5", "direction": "in", "reason": "r", "channel": []}),
        "line 5: $.channel is required and must hold at least one channel",
    ),
    "an href": (
        json.dumps({"id": "X5", "href": "/x", **MINIMAL}),
        "line 5: $.href is built by the server; leave it out",
    ),
    "no id": (json.dumps(MINIMAL), "line 5: $.id is required"),
    "a bad _v5": (
        json.dumps({"id": "X5", **MINIMAL, "_v5": {"channel": [{"at": -1}]}}),
        "line 5: $._v5.channel[0] must be",
    ),
}


CASES = [(bad, "sqlite", 1) for bad in BAD_LINES] + [
    (bad, backend, 2)
    for bad in ("bad JSON", "failing validation")
    for backend in ("sqlite", "postgres")
]


@pytest.mark.parametrize(
    ("bad", "backend", "jobs"), CASES, ids=["-".join(map(str, c)) for c in CASES]
)
def test_a_bad_line_fails_its_batch_and_a_rerun_continues(
    bad, backend, jobs, tmp_path, request
):
    target = (
        str(tmp_path / "target.db")
        if backend == "sqlite"
        else request.getfixturevalue("postgres_databases").create()
    )
    records = [json.dumps({"id": f"X{n}", **MINIMAL}) for n in range(1, 9)]
    line, message = BAD_LINES[bad]
    path = tmp_path / "in.ndjson"
    path.write_text("\n".join([*records[:4], line, *records[5:]]) + "\n")
    done = tmf683("import", "--db", target, "--batch-size", "3", "-j", jobs, path)
    assert done.returncode == 1
    error = done.stderr.decode()
    assert error.count("\n") == 1
    assert error.startswith(f"tmf683: error: {message}")
    assert "its batch (from line 4) was not written" in error
    assert "lines 1-3 are imported (3 written, 0 skipped)" in error
    store = open_store(target)
    try:
        assert [d["id"] for b in store.scan(Query()) for d in b] == ["X1", "X2", "X3"]
    finally:
        store.close()
    path.write_text("\n".join(records) + "\n")
    done = tmf683(
        "import", "--db", target, "--batch-size", "3", "-j", jobs, path, check=True
    )
    assert "8 interactions" in done.stderr.decode()
    assert "5 written, 3 skipped" in done.stderr.decode()
    store = open_store(target)
    try:
        assert [d["id"] for b in store.scan(Query()) for d in b] == [
            f"X{n}" for n in range(1, 9)
        ]
    finally:
        store.close()


def test_on_existing_skip_keeps_and_replace_overwrites(tmp_path):
    target = tmp_path / "target.db"
    store = SQLiteStore(target)
    store.add(doc("A", status="stored"))
    store.close()
    path = tmp_path / "in.ndjson"
    path.write_text(json.dumps(doc("A", status="imported")) + "\n")
    done = tmf683("import", "--db", target, path, check=True)
    assert "0 written, 1 skipped" in done.stderr.decode()
    store = SQLiteStore(target)
    assert store.get("A")["status"] == "stored"
    store.close()
    done = tmf683(
        "import", "--db", target, "--on-existing", "replace", path, check=True
    )
    assert "1 written, 0 skipped" in done.stderr.decode()
    store = SQLiteStore(target)
    try:
        assert store.get("A")["status"] == "imported"
        assert store.get("A").version == 2
    finally:
        store.close()


def test_import_stores_what_a_create_stores(tmp_path):
    """Date-times at another offset are stored in UTC, as a create stores them."""
    target = tmp_path / "target.db"
    path = tmp_path / "in.ndjson"
    record = doc("A", creationDate="2024-05-01T12:00:00+02:00")
    path.write_text(json.dumps(record) + "\n\n")
    tmf683("import", "--db", target, path, check=True)
    store = SQLiteStore(target)
    try:
        assert store.get("A")["creationDate"] == "2024-05-01T10:00:00.000000Z"
    finally:
        store.close()


def test_bad_arguments_exit_2(tmp_path):
    assert tmf683("import", "--db", tmp_path / "t.db").returncode == 2
    assert tmf683("export").returncode == 2
    assert tmf683("export", "--db", "x.db", "--batch-size", "0").returncode == 2
    done = tmf683("import", "--db", tmp_path / "t.db", "--on-existing", "merge", "f")
    assert done.returncode == 2


def test_a_missing_input_file_is_one_error_line(tmp_path):
    done = tmf683("import", "--db", tmp_path / "t.db", tmp_path / "missing.ndjson")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"tmf683: error: {tmp_path / 'missing.ndjson'}: no such file\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_database_is_one_error_line(tmp_path):
    done = tmf683("export", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert done.returncode == 1
    assert done.stderr.decode().startswith("tmf683: error: --db ")


def test_the_progress_bar_shows_on_a_terminal_only(source, tmp_path):
    pty = pytest.importorskip("pty")
    export = tmp_path / "out.ndjson"
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tmf683.cli",
                "export",
                "--db",
                source,
                "-o",
                export,
            ],
            stderr=terminal,
            timeout=60,
            check=True,
        )
        os.close(terminal)
        terminal = -1
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: everything is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    assert result.returncode == 0
    assert b"export:" in shown
    assert b"0/12 [" in shown  # the count of what is to come
    assert b"exported 12 interactions" in shown


# --- the library functions, property-tested ----------------------------------


def _export_text(store, query=None) -> str:
    output = io.StringIO()
    export_documents(store, output, query=query, batch_size=3)
    return output.getvalue()


@given(
    st.lists(party_interactions(), max_size=6),
    st.lists(v5_bodies(), max_size=4),
    st.integers(min_value=1, max_value=4),
)
def test_export_of_an_import_is_the_export(v4_bodies, v5_bodies_, batch_size):
    source = MemoryStore()
    v4, v5 = services(source)
    for body in v4_bodies:
        v4.create(body)
    for body in v5_bodies_:
        v5.create(body)
    text = _export_text(source)
    target = MemoryStore()
    result = import_documents(target, io.StringIO(text), batch_size=batch_size)
    assert result.written == len(v4_bodies) + len(v5_bodies_)
    assert _export_text(target) == text
    assert views(target) == views(source)


@given(st.lists(party_interactions(), max_size=8), query_strings())
def test_export_query_exports_what_the_service_lists(bodies, query):
    store = MemoryStore()
    v4, _ = services(store)
    for body in bodies:
        v4.create(body)
    try:
        parsed = export_query(query)
    except InvalidQueryError:
        return  # paging, sorting or fields: refused (tested above)
    expected = [d["id"] for d in v4.list(parsed).items]
    exported = [
        json.loads(line)["id"] for line in _export_text(store, parsed).splitlines()
    ]
    assert exported == sorted(
        exported, key=[d["id"] for b in store.scan(Query()) for d in b].index
    )
    assert sorted(exported) == sorted(expected)


def test_import_of_a_bad_record_writes_nothing_of_its_batch():
    store = MemoryStore()
    lines = [json.dumps(doc(f"D{n}")) for n in range(5)] + ["{}"]
    with pytest.raises(ImportFailedError) as caught:
        import_documents(store, lines, batch_size=4)
    assert caught.value.line == 6
    assert caught.value.batch_start == 5
    assert caught.value.done.written == 4
    assert [d["id"] for b in store.scan(Query()) for d in b] == [
        f"D{n}" for n in range(4)
    ]


def test_import_checks_its_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        import_documents(MemoryStore(), [], batch_size=0)
    with pytest.raises(ValueError, match="jobs"):
        import_documents(MemoryStore(), [], jobs=0)
    with pytest.raises(ValueError, match="on_existing"):
        import_documents(MemoryStore(), [], on_existing="merge")  # type: ignore[arg-type]


def test_worker_processes_check_ahead_and_stop_at_the_bad_batch(tmp_path):
    lines = [json.dumps(doc(f"D{n:03d}")) + "\n" for n in range(100)]
    lines[64] = "not json\n"
    store = SQLiteStore(tmp_path / "t.db")
    try:
        with pytest.raises(ImportFailedError) as caught:
            import_documents(store, lines, batch_size=5, jobs=2)
        assert (caught.value.line, caught.value.batch_start) == (65, 61)
        assert caught.value.done.written == 60
        assert [d["id"] for b in store.scan(Query()) for d in b] == [
            f"D{n:03d}" for n in range(60)
        ]
        lines[64] = json.dumps(doc("D064")) + "\n"
        result = import_documents(store, lines, batch_size=5, jobs=2)
        assert (result.written, result.skipped, result.lines) == (40, 60, 100)
        assert [d["id"] for b in store.scan(Query()) for d in b] == [
            f"D{n:03d}" for n in range(100)
        ]
    finally:
        store.close()


def test_an_export_into_a_closed_pipe_stops_quietly(tmp_path):
    path = tmp_path / "big.db"
    store = SQLiteStore(path)
    store.put_many([doc(f"D{n:05d}") for n in range(5000)])
    store.close()
    with subprocess.Popen(
        [sys.executable, "-m", "tmf683.cli", "export", "--db", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        out, err = process.stdout, process.stderr
        assert out is not None
        assert err is not None
        assert json.loads(out.readline())["id"] == "D00000"
        out.close()
        error = err.read()
        assert process.wait(timeout=60) == 1
    assert error == b""


@pytest.mark.parametrize(
    ("command", "closing", "message"),
    [
        ("export --db DB", ">&-", b"tmf683: error: stdout is closed; give --output"),
        ("import --db DB -", "<&-", b"tmf683: error: stdin is closed; give the"),
    ],
)
def test_a_closed_stdout_or_stdin_is_one_error_line(source, command, closing, message):
    """Started with stdout (or stdin) closed, as by ``>&-``: Python has none."""
    args = command.replace("DB", shlex.quote(str(source)))
    result = subprocess.run(  # noqa: S602 - the shell closes the descriptor
        f"exec {shlex.quote(sys.executable)} -m tmf683.cli {args} {closing}",
        shell=True,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(
        st.characters(min_codepoint=0, max_codepoint=0xE000, exclude_categories=())
    ),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(
                st.characters(max_codepoint=0xE000, exclude_categories=()), max_size=3
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=80,
)


@given(JSON_VALUES)
def test_the_quick_json_check_never_passes_what_the_walk_refuses(value):
    from tmf683._validation import _clean_json_text, _walk_problems, json_problems

    assert json_problems(value) == _walk_problems(value)
    if _clean_json_text(value) is not None:
        assert _walk_problems(value) == []


class RefusingStore(MemoryStore):
    def put_many(self, documents, *, replace=False):
        if any(d["id"] == "D7" for d in documents):
            raise StoreUnavailableError("the database went away")
        return super().put_many(documents, replace=replace)


def test_a_batch_the_store_refuses_is_named_with_its_lines():
    store = RefusingStore()
    lines = [json.dumps(doc(f"D{n}")) for n in range(10)]
    with pytest.raises(ImportFailedError) as caught:
        import_documents(store, lines, batch_size=4)
    assert caught.value.line == caught.value.batch_start == 5
    assert "the store refused the batch of lines 5-8" in caught.value.message()
    assert "lines 1-4 are imported (4 written, 0 skipped)" in caught.value.message()
    assert caught.value.problems == []


def test_a_record_larger_than_a_document_may_be_is_refused():
    record = doc("A")
    record["_v5"] = {"attributes": {"huge": "x" * (16 * 1024 * 1024)}}
    with pytest.raises(ImportFailedError, match=r"line 1: \$ is \d+ bytes of JSON"):
        import_documents(MemoryStore(), [json.dumps(record)])


def test_postgres_put_many_refuses_an_id_it_cannot_hold(postgres_url):
    postgres.empty(postgres_url)
    store = PostgresStore(postgres_url)
    try:
        with pytest.raises(ValidationError):
            store.put_many([doc("A\x00")])
        assert store.put_many([doc("A")]) == 1
    finally:
        store.close()


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"_v5": []}, ("$._v5", "must be an object")),
        ({"_v5": {"attributes": 1}}, ("$._v5.attributes", "must be an object")),
        ({"_v5": {"x": []}}, ("$._v5.x", "is not an array of PartyInteraction")),
        ({"_v5": {"note": {}}}, ("$._v5.note", "must be an array")),
        (
            {"_v5": {"note": [{"v4": {}, "v5": {}, "at": True}]}},
            ("$._v5.note[0]", 'must be {"v4": ..., "v5": ..., "at": position}'),
        ),
        (
            {"id": "A\x00"},
            ("$.id", "must not contain the NUL character (U+0000)"),
        ),
        ({"id": 7}, ("$.id", "is required: a non-empty string")),
        ({"id": "a/b"}, ("$.id", "must not contain / (no URL could address it)")),
    ],
)
def test_check_record_names_what_is_wrong(record, problem):
    with pytest.raises(ValidationError) as caught:
        check_record({**doc("A"), **record})
    assert caught.value.problems == (problem,)


def test_check_record_keeps_the_v5_data():
    v5 = {"attributes": {"lastUpdate": "2024-01-01T00:00:00Z"}, "note": []}
    assert check_record({**doc("A"), "_v5": v5})["_v5"] == v5
    assert "_v5" not in check_record({**doc("A"), "_v5": {}})


FORGED_V5 = [
    # (what a record's _v5 says, the v5 body a create refuses alike, the problem)
    (
        {"attributes": {"@type": 5}},
        {"@type": 5},
        ("$._v5", 'makes a v5 view whose $.@type 5 is not of type "string"'),
    ),
    (
        {"attributes": {"externalIdentifier": "nope"}},
        {"externalIdentifier": "nope"},
        (
            "$._v5",
            'makes a v5 view whose $.externalIdentifier "nope" is not of type "array"',
        ),
    ),
    (
        {"attributes": {"status": "shown to v5 only"}},
        None,
        ("$._v5.attributes.status", "is not v5-only data; leave it out"),
    ),
    (
        {"attributes": {"_v5": {}}},
        {"_v5": {}},
        ("$._v5.attributes._v5", "is not v5-only data; leave it out"),
    ),
    (
        {"attributes": {"lastUpdate": "not a date"}},
        None,
        (
            "$._v5.attributes.lastUpdate",
            "must be a date-time with a UTC offset, e.g. 2024-05-01T10:00:00Z",
        ),
    ),
    (
        {
            "relatedParty": [
                {"v4": {"id": "P1", "@referredType": "I"}, "v5": 1, "at": 0}
            ]
        },
        {"relatedParty": [1]},
        ("$._v5", 'makes a v5 view whose $.relatedParty[0] 1 is not of type "object"'),
    ),
]


@pytest.mark.parametrize(("v5", "body", "problem"), FORGED_V5)
def test_check_record_refuses_v5_data_a_v5_create_refuses(v5, body, problem):
    record = {**doc("A"), "relatedParty": [{"id": "P1", "@referredType": "I"}]}
    with pytest.raises(ValidationError) as caught:
        check_record({**record, "_v5": v5})
    assert caught.value.problems == (problem,)
    if body is not None:  # what v5 clients would read, a v5 create refuses
        _, service = services(MemoryStore())
        with pytest.raises(ValidationError):
            service.create({**V5_BODY, **body})


def _children(pid):
    """The ids of the processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_the_workers_of_a_killed_import_end_too(tmp_path):
    """kill -9 of an import with --jobs: its worker processes do not linger."""
    path = tmp_path / "in.ndjson"
    with path.open("w") as out:
        for n in range(20000):
            out.write(json.dumps(doc(f"K{n:06d}")) + "\n")
    with subprocess.Popen(
        [
            *(sys.executable, "-m", "tmf683.cli", "import"),
            *("--db", str(tmp_path / "t.db"), "--jobs", "2", "--batch-size", "100"),
            str(path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        # the resource tracker, then the two workers
        wait_for(lambda: len(_children(process.pid)) >= 3, timeout=60)
        workers = _children(process.pid)
        process.kill()
        process.wait(timeout=30)
    try:
        wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=30)
    finally:  # what is left, when the fix is gone
        for pid in filter(_alive, workers):
            os.kill(pid, signal.SIGKILL)


def test_the_summary_counts_one_interaction_in_the_singular(tmp_path):
    db = tmp_path / "one.db"
    store = SQLiteStore(db)
    store.add(
        {"id": "only", "channel": [{"id": "1"}], "direction": "in", "reason": "x"}
    )
    store.close()
    export = tmp_path / "one.ndjson"
    done = tmf683("export", "--db", db, "--output", export, check=True)
    assert done.stderr.decode() == f"tmf683: exported 1 interaction to {export}\n"
    target = tmp_path / "again.db"
    done = tmf683("import", "--db", target, export, check=True)
    assert done.stderr.decode().startswith(
        f"tmf683: imported 1 interaction from {export}: 1 written"
    )
