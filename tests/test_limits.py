"""Bounded resources and trusted server facts (issue 11), on real servers over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import falcon
import httpx
import pytest

from tests.servers import ServerProcess
from tests.wsgi import serving
from tmf683 import MemoryStore, PartyInteractionService, PartyInteractionServiceV5
from tmf683_falcon import MAX_BODY_BYTES, create_app

JSON = {"Content-Type": "application/json;charset=utf-8"}
SMALL_LIMIT = 4000


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[ServerProcess]:
    """A server over SQLite with a small body limit."""
    db = tmp_path_factory.mktemp("limits") / "tmf683.db"
    with ServerProcess("--db", str(db), "--max-body-bytes", str(SMALL_LIMIT)) as run:
        yield run


def assert_tmf_error(response: httpx.Response, status: int, code: str, v5: bool):
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == str(status)
    assert body["code"] == code
    assert body["reason"]
    assert ("@type" in body) is v5
    if v5:
        assert body["@type"] == "Error"
    return body


V4_HEAD = b'{"channel":[{"id":"555"}],"direction":"inbound","reason":"'
V5_HEAD = (
    b'{"@type":"PartyInteraction","direction":"inbound","relatedChannel":[{"@type":'
    b'"RelatedChannel","role":"c","channel":{"@type":"ChannelRef","id":"555"}}],'
    b'"reason":"'
)


def body_of_size(size: int, version: str = "v4") -> bytes:
    """A valid create body of exactly ``size`` bytes (a long ``reason``)."""
    head = V5_HEAD if version == "v5" else V4_HEAD
    tail = b'"}'
    return head + b"r" * (size - len(head) - len(tail)) + tail


def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_body_at_the_limit_is_accepted_one_byte_more_is_413(limited, version):
    url = limited.bases[version] + "partyInteraction"
    with httpx.Client(timeout=10) as client:
        created = client.post(
            url, content=body_of_size(SMALL_LIMIT, version), headers=JSON
        )
        assert created.status_code == 201, created.text
        refused = client.post(
            url, content=body_of_size(SMALL_LIMIT + 1, version), headers=JSON
        )
    body = assert_tmf_error(refused, 413, "payloadTooLarge", version == "v5")
    assert str(SMALL_LIMIT) in body["message"]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_chunked_body_over_the_limit_is_413(limited, version):
    url = limited.bases[version] + "partyInteraction"
    with httpx.Client(timeout=10) as client:
        accepted = client.post(
            url, content=chunks(body_of_size(SMALL_LIMIT, version)), headers=JSON
        )
        assert accepted.status_code == 201, accepted.text
        refused = client.post(
            url, content=chunks(body_of_size(SMALL_LIMIT + 1, version)), headers=JSON
        )
    assert_tmf_error(refused, 413, "payloadTooLarge", version == "v5")


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_patch_and_a_hub_registration_over_the_limit_are_413(limited, version):
    base = limited.bases[version]
    big = b'{"callback":"http://127.0.0.1:9/' + b"x" * SMALL_LIMIT + b'"}'
    with httpx.Client(timeout=10) as client:
        made = client.post(
            base + "partyInteraction", content=body_of_size(200, version), headers=JSON
        )
        created = made.json()
        patch = client.patch(
            base + f"partyInteraction/{created['id']}",
            content=body_of_size(SMALL_LIMIT + 1, version),
            headers={"Content-Type": "application/merge-patch+json"},
        )
        hub = client.post(base + "hub", content=big, headers=JSON)
    assert_tmf_error(patch, 413, "payloadTooLarge", version == "v5")
    assert_tmf_error(hub, 413, "payloadTooLarge", version == "v5")


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    limited,
):
    """waitress answers from the headers: the client need not send the body."""
    host, port = limited.base.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /tmf-api/partyInteraction/v4/partyInteraction HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            assert data, answer
            answer += data
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/json" in answer


def test_the_default_limit_is_one_mebibyte(http, server):
    assert MAX_BODY_BYTES == 1024 * 1024
    accepted = http.post(
        "partyInteraction", content=body_of_size(MAX_BODY_BYTES), headers=JSON
    )
    assert accepted.status_code == 201, accepted.text
    refused = http.post(
        "partyInteraction", content=body_of_size(MAX_BODY_BYTES + 1), headers=JSON
    )
    assert_tmf_error(refused, 413, "payloadTooLarge", False)


@pytest.mark.parametrize("chunked", [False, True])
def test_create_app_checks_the_limit_itself_under_any_wsgi_server(chunked):
    """The app refuses by Content-Length, and reads no more than the limit when
    chunked, whatever the WSGI server in front."""
    service = PartyInteractionService(MemoryStore())
    app = create_app(
        service, v5=PartyInteractionServiceV5(service), max_body_bytes=SMALL_LIMIT
    )
    assert isinstance(app, falcon.App)
    with serving(app) as root, httpx.Client(base_url=root, timeout=10) as client:
        for version, path in [
            ("v4", "/tmf-api/partyInteraction/v4/partyInteraction"),
            ("v5", "/tmf-api/partyInteractionManagement/v5/partyInteraction"),
        ]:
            for size, status in [(SMALL_LIMIT, 201), (SMALL_LIMIT + 1, 413)]:
                data = body_of_size(size, version)
                response = client.post(
                    path, content=chunks(data) if chunked else data, headers=JSON
                )
                assert response.status_code == status, response.text[:500]
                if status == 413:
                    assert_tmf_error(response, 413, "payloadTooLarge", version == "v5")


# --- Trust no client-supplied server facts: the Host -------------------------

EVIL = {"Host": "evil.example", **JSON}


def requests_of(base: str, version: str, created_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", base + "partyInteraction"),
        ("POST", base + "partyInteraction"),
        ("GET", base + f"partyInteraction/{created_id}"),
        ("DELETE", base + f"partyInteraction/{created_id}"),
        ("POST", base + "hub"),
    ]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_host_off_the_allow_list_is_400_and_changes_nothing(limited, version):
    base = limited.bases[version]
    with httpx.Client(timeout=10) as client:
        created = client.post(
            base + "partyInteraction", content=body_of_size(300, version), headers=JSON
        ).json()
        for method, url in requests_of(base, version, created["id"]):
            content = (
                b'{"@type":"Hub","callback":"http://127.0.0.1:9/listener"}'
                if url.endswith("hub")
                else body_of_size(300, version)
            )
            response = client.request(
                method,
                url,
                content=content if method == "POST" else None,
                headers=EVIL,
            )
            body = assert_tmf_error(response, 400, "badRequest", version == "v5")
            assert "evil.example" in body["message"]
            assert "evil.example" not in response.headers.get("location", "")
        still = client.get(base + f"partyInteraction/{created['id']}")
    assert still.status_code == 200


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_localhost_and_the_bound_address_build_the_links(limited, version):
    port = limited.base.split("/")[2].split(":")[1]
    path = "/" + limited.bases[version].split("/", 3)[3]
    with httpx.Client(timeout=10) as client:
        for host in ["localhost", "LOCALHOST", "127.0.0.1"]:
            response = client.post(
                limited.bases[version] + "partyInteraction",
                content=body_of_size(300, version),
                headers={"Host": f"{host}:{port}", **JSON},
            )
            assert response.status_code == 201, response.text
            root = f"http://{host}:{port}{path}"
            assert response.headers["location"].startswith(root)
            assert response.json()["href"].startswith(root)


def test_the_base_url_builds_every_link_and_event_whatever_the_host(tmp_path):
    from tests.receiver import receiving

    base_url = "https://api.example.com"
    with (
        receiving() as receiver,
        ServerProcess("--db", str(tmp_path / "t.db"), "--base-url", base_url) as server,
        httpx.Client(timeout=10) as client,
    ):
        for version in ("v4", "v5"):
            hub = client.post(
                server.bases[version] + "hub",
                json={"callback": receiver.url}
                | ({"@type": "Hub"} if version == "v5" else {}),
                headers=EVIL,
            )
            assert hub.status_code == 201, hub.text
            assert hub.headers["location"].startswith(base_url + "/tmf-api/")
        listed = None
        for version in ("v4", "v5"):
            created = client.post(
                server.bases[version] + "partyInteraction",
                content=body_of_size(300, version),
                headers=EVIL,
            )
            assert created.status_code == 201, created.text
            assert created.headers["location"].startswith(base_url + "/tmf-api/")
            listed = client.get(
                server.bases[version] + "partyInteraction?limit=1", headers=EVIL
            )
            assert "evil.example" not in listed.headers.get("link", "")
            assert listed.headers["link"].startswith("<" + base_url + "/tmf-api/")
        events = receiver.wait_for(4)
    assert len(events) == 4, events
    text = str(events)
    assert "evil.example" not in text
    assert base_url + "/tmf-api/" in text


def test_an_allowed_host_option_adds_a_name(tmp_path):
    with (
        ServerProcess(
            "--db", str(tmp_path / "t.db"), "--allowed-host", "api.internal"
        ) as server,
        httpx.Client(timeout=10) as client,
    ):
        port = server.base.split("/")[2].split(":")[1]
        made = client.post(
            server.base + "partyInteraction",
            content=body_of_size(300),
            headers={"Host": f"api.internal:{port}", **JSON},
        )
        other = client.get(server.base + "partyInteraction", headers=EVIL)
    assert made.status_code == 201, made.text
    assert made.json()["href"].startswith(f"http://api.internal:{port}/tmf-api/")
    assert_tmf_error(other, 400, "badRequest", False)


def raw_post(base: str, host: bytes, body: bytes) -> bytes:
    """POST ``body`` to ``base`` + partyInteraction with this exact ``Host``."""
    _, _, address, path = base.split("/", 3)
    name, _, port = address.partition(":")
    request = (
        b"POST /"
        + path.encode()
        + b"partyInteraction HTTP/1.1\r\nHost: "
        + host
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    with socket.create_connection((name, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_an_allowed_host_with_userinfo_a_path_or_a_bad_port_is_400(limited, version):
    # "127.0.0.1:PORT@evil.example" passed the allow list as "127.0.0.1" and made
    # links whose host is evil.example (http://127.0.0.1:PORT@evil.example/...).
    port = limited.base.split("/")[2].split(":")[1].encode()
    for host in [
        b"127.0.0.1:" + port + b"@evil.example",
        b"localhost:@evil.example",
        b"[::1]@evil.example",
        b"localhost:" + port + b"/evil",
        b"localhost:" + port + b"#@evil.example",
        b"127.0.0.1:x",
    ]:
        answer = raw_post(limited.bases[version], host, body_of_size(300, version))
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), (host, answer[:300])
        assert b"location:" not in head.lower(), host
        assert b'"badRequest"' in body, (host, body)
    good = raw_post(
        limited.bases[version], b"[::1]:" + port, body_of_size(300, version)
    )
    assert good.startswith(b"HTTP/1.1 201 "), good[:300]


@pytest.mark.slow
def test_clients_that_never_read_their_answers_do_not_stop_the_server(tmp_path):
    # Each socket pipelines 40 one-megabyte list requests and reads nothing: its
    # task thread blocked on the full output buffer, and waitress's idle check
    # skips a channel with a request pending, so two such sockets held both
    # threads for good and every other client timed out.
    with ServerProcess(
        "--db", str(tmp_path / "t.db"), "--threads", "2", "--idle-timeout", "2",
        "--no-dispatcher", "--sqlite-synchronous", "normal",
    ) as server:  # fmt: skip
        url = server.base + "partyInteraction"
        with httpx.Client(timeout=10) as client:
            for _ in range(1000):
                made = client.post(url, content=body_of_size(1000), headers=JSON)
                assert made.status_code == 201, made.text
        _, _, address, path = url.split("/", 3)
        name, _, port = address.partition(":")
        request = f"GET /{path}?limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        stalled = []
        try:
            for _ in range(2):
                sock = socket.create_connection((name, int(port)), timeout=10)
                stalled.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.sendall(request * 40)
            answers = []
            with httpx.Client(timeout=30) as client:
                # the stalled sockets fill their buffers within the first dozen
                for _ in range(60):
                    answers.append(client.get(url + "?limit=1").status_code)
        finally:
            for sock in stalled:
                sock.close()
    assert answers == [200] * 60


# --- Server-owned dates follow each contract ---------------------------------

OLD = "2001-02-03T04:05:06.000000Z"
MERGE = {"Content-Type": "application/merge-patch+json"}


def v5_body(**values):
    return {
        "@type": "PartyInteraction",
        "direction": "inbound",
        "reason": "dates",
        "status": "open",
        "relatedChannel": [
            {
                "@type": "RelatedChannel",
                "role": "c",
                "channel": {"@type": "ChannelRef", "id": "555"},
            }
        ],
        **values,
    }


@pytest.mark.parametrize("name", ["creationDate", "statusChangeDate"])
def test_a_v5_create_cannot_set_a_server_date(limited, name):
    with httpx.Client(base_url=limited.bases["v5"], timeout=10) as client:
        response = client.post("partyInteraction", json=v5_body(**{name: OLD}))
    body = assert_tmf_error(response, 400, "invalidBody", True)
    assert f"$.{name} is set by the server" in body["message"]


def test_a_v5_last_update_sent_is_replaced_by_the_server(limited):
    with httpx.Client(base_url=limited.bases["v5"], timeout=10) as client:
        created = client.post("partyInteraction", json=v5_body(lastUpdate=OLD))
        assert created.status_code == 201, created.text
        patched = client.patch(
            f"partyInteraction/{created.json()['id']}",
            json={"lastUpdate": OLD, "description": "d"},
            headers=MERGE,
        )
    assert created.json()["lastUpdate"] == created.json()["creationDate"]
    assert patched.status_code == 200, patched.text
    assert patched.json()["lastUpdate"] not in (OLD, created.json()["lastUpdate"])


@pytest.mark.parametrize("name", ["creationDate", "statusChangeDate"])
def test_a_v5_patch_may_repeat_not_change_a_server_date(limited, name):
    with httpx.Client(base_url=limited.bases["v5"], timeout=10) as client:
        created = client.post("partyInteraction", json=v5_body()).json()
        url = f"partyInteraction/{created['id']}"
        changed = client.patch(url, json={name: OLD}, headers=MERGE)
        repeated = client.patch(
            url, json={name: created[name], "status": "closed"}, headers=MERGE
        )
        after = client.get(url).json()
    body = assert_tmf_error(changed, 400, "invalidBody", True)
    assert f"$.{name} cannot be changed" in body["message"]
    assert repeated.status_code == 200, repeated.text
    assert after["creationDate"] == created["creationDate"]
    assert after["statusChangeDate"] not in (OLD, created["statusChangeDate"])


def test_v4_keeps_accepting_the_dates_its_swagger_lists(limited):
    with httpx.Client(base_url=limited.bases["v4"], timeout=10) as client:
        created = client.post(
            "partyInteraction",
            json={
                "channel": [{"id": "555"}],
                "direction": "inbound",
                "reason": "dates",
                "creationDate": OLD,
                "statusChangeDate": OLD,
            },
        )
        assert created.status_code == 201, created.text
        patched = client.patch(
            f"partyInteraction/{created.json()['id']}",
            json={"statusChangeDate": "2002-02-03T04:05:06Z"},
            headers=MERGE,
        )
    assert created.json()["creationDate"] == OLD
    assert created.json()["statusChangeDate"] == OLD
    assert patched.status_code == 200, patched.text
    assert patched.json()["statusChangeDate"] == "2002-02-03T04:05:06.000000Z"


# --- SQLite durability ---------------------------------------------------------


@pytest.mark.parametrize(("mode", "level"), [("full", 2), ("normal", 1)])
def test_sqlite_runs_synchronous_full_unless_told(tmp_path, mode, level):
    from tmf683 import SQLiteStore, open_store

    default = SQLiteStore(tmp_path / "default.db")
    chosen = open_store(str(tmp_path / f"{mode}.db"), sqlite_synchronous=mode)
    assert isinstance(chosen, SQLiteStore)
    try:
        assert default._db().execute("PRAGMA synchronous").fetchone() == (2,)
        assert chosen._db().execute("PRAGMA synchronous").fetchone() == (level,)
    finally:
        default.close()
        chosen.close()


def test_an_unknown_synchronous_mode_is_refused(tmp_path):
    from tmf683 import SQLiteStore, StoreConfigurationError

    with pytest.raises(StoreConfigurationError, match="synchronous must be one of"):
        SQLiteStore(tmp_path / "t.db", synchronous="off")


def test_the_server_takes_the_relaxed_mode_as_an_option(tmp_path):
    with (
        ServerProcess(
            "--db", str(tmp_path / "t.db"), "--sqlite-synchronous", "normal"
        ) as server,
        httpx.Client(base_url=server.base, timeout=10) as client,
    ):
        made = client.post("partyInteraction", content=body_of_size(300), headers=JSON)
    assert made.status_code == 201, made.text


# --- Query cost: a deadline on every list query ------------------------------

LOADED = 20_000


def load(location: str, count: int = LOADED) -> str:
    """Fill a store with ``count`` interactions (batches of 1,000); return one id."""
    from tmf683 import open_store

    store = open_store(location)
    try:
        service = PartyInteractionService(store)
        first = ""
        for start in range(0, count, 1000):
            made = service.create_many(
                [
                    {
                        "channel": [{"id": "555"}],
                        "direction": "inbound",
                        "reason": f"reason {n} of the load",
                        "description": f"call {n}: the customer asked about plan "
                        f"{n % 97} and bill {n * 7919 % 10007}",
                    }
                    for n in range(start, min(count, start + 1000))
                ]
            )
            first = first or made[0]["id"]
        return first
    finally:
        store.close()


def expensive_query() -> str:
    """100 ``;``-separated regex conditions, each over every description.

    No pattern requires a literal of 3 characters, so the trigram index cannot pick
    candidates and each one tests every text.
    """
    return ";".join(
        f"description.regex=[pb][a-z]+.{n}[0-9]*.[abc]z" for n in range(100)
    )


@pytest.mark.slow
def test_expensive_queries_are_cut_off_and_a_get_by_id_still_answers(database):
    from concurrent.futures import ThreadPoolExecutor

    known = load(database)
    with (
        ServerProcess("--db", database, "--query-timeout", "1") as server,
        httpx.Client(base_url=server.base, timeout=60) as client,
        ThreadPoolExecutor(16) as pool,
    ):
        query = expensive_query()
        running = [
            pool.submit(client.get, f"partyInteraction?{query}") for _ in range(16)
        ]
        got = client.get(f"partyInteraction/{known}")
        alive = client.get(f"{server.root}/health")
        in_flight = sum(not future.done() for future in running)
        answers = [future.result() for future in running]
        after = client.get(f"partyInteraction/{known}")
        v5 = client.get(server.bases["v5"] + f"partyInteraction?{query}")
        # naming v5-only data (@type), the query runs over a scan of the store
        scanned = client.get(
            server.bases["v5"]
            + "partyInteraction?@type=PartyInteraction&"
            + query.rsplit(";", 1)[0]  # 99 regexes and @type: 100 conditions
        )
    assert got.status_code == 200, got.text
    assert (alive.status_code, alive.json()) == (200, {"status": "pass"})
    assert in_flight > 0  # both were answered while expensive queries ran
    for answer in answers:
        body = assert_tmf_error(answer, 503, "queryTimeout", False)
        assert "deadline of 1 s" in body["message"]
    assert after.status_code == 200
    assert_tmf_error(v5, 503, "queryTimeout", True)
    assert (
        "deadline of 1 s"
        in assert_tmf_error(scanned, 503, "queryTimeout", True)["message"]
    )
    assert any("ran past its deadline" in line for line in server.log)


# --- Connections: idle sockets, trickling clients ----------------------------


def address_of(server: ServerProcess) -> tuple[str, int]:
    host, port = server.base.split("/")[2].split(":")
    return host, int(port)


def closed_by_the_server(sock: socket.socket, trickle: bytes = b"") -> bool:
    """Send ``trickle`` (if any), then wait up to 0.2 s for the server to close."""
    import select

    if trickle:
        try:
            sock.sendall(trickle)
        except OSError:
            return True
    readable, _, _ = select.select([sock], [], [], 0.2)
    if not readable:
        return False
    try:
        return sock.recv(65536) == b""
    except OSError:
        return True


def test_500_idle_sockets_leave_the_server_answering(tmp_path):
    with ServerProcess("--db", str(tmp_path / "t.db")) as server:
        idle: list[socket.socket] = []
        try:
            for _ in range(500):
                idle.append(socket.create_connection(address_of(server), timeout=10))
            with httpx.Client(base_url=server.base, timeout=30) as client:
                answer = client.get("partyInteraction?limit=1")
                made = client.post(
                    "partyInteraction", content=body_of_size(300), headers=JSON
                )
        finally:
            for sock in idle:
                sock.close()
    assert answer.status_code == 200, answer.text
    assert made.status_code == 201, made.text


def test_an_idle_connection_is_closed_after_the_idle_timeout(tmp_path):
    from tests.waiting import wait_for

    with (
        ServerProcess("--db", str(tmp_path / "t.db"), "--idle-timeout", "2") as server,
        socket.create_connection(address_of(server), timeout=10) as sock,
    ):
        wait_for(lambda: closed_by_the_server(sock), timeout=15)


def test_a_trickling_request_is_cut_off_at_the_request_timeout(tmp_path):
    """A byte at a time keeps the connection from being idle; the read deadline
    still ends it."""
    from tests.waiting import wait_for

    request = iter(
        b"GET /tmf-api/partyInteraction/v4/partyInteraction HTTP/1.1\r\n" * 50
    )
    with (
        ServerProcess(
            "--db",
            str(tmp_path / "t.db"),
            "--idle-timeout",
            "60",
            "--request-timeout",
            "1",
        ) as server,
        socket.create_connection(address_of(server), timeout=10) as sock,
    ):
        wait_for(lambda: closed_by_the_server(sock, bytes([next(request)])), timeout=20)
        with httpx.Client(base_url=server.base, timeout=10) as client:
            assert client.get("partyInteraction?limit=1").status_code == 200


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_headers_over_waitress_limit_get_a_tmf_error(limited, version):
    response = httpx.get(
        limited.bases[version] + "partyInteraction",
        headers={"X-Big": "x" * 300_000},
        timeout=10,
    )
    # waitress stops before it has the path, so the body cannot know the version
    assert response.status_code == 431, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert (body["status"], body["code"]) == ("431", "headersTooLarge")


@pytest.mark.parametrize("location", ["memory:", "sqlite"])
def test_open_store_gives_every_store_the_query_timeout(tmp_path, location):
    from tmf683 import open_store

    if location == "sqlite":
        location = str(tmp_path / "t.db")
    for timeout in (0.25, None):
        store = open_store(location, query_timeout=timeout)
        try:
            assert store.query_timeout == timeout
        finally:
            store.close()
