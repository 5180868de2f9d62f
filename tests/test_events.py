"""Events, subscriptions, the outbox and the dispatcher, through the library."""

import threading
from datetime import UTC, datetime

import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tests.waiting import wait_for
from tmf683 import (
    DeliveryError,
    Dispatcher,
    InvalidQueryError,
    MemoryStore,
    NotFoundError,
    PartyInteractionService,
    Tmf683Error,
    ValidationError,
    post_json,
    validate_event,
)
from tmf683.events.envelopes import (
    ATTRIBUTE_VALUE_CHANGE,
    CREATE,
    DELETE,
    STATUS_CHANGE,
    EventSelector,
    events_for_change,
    make_event,
    validate_callback,
)


def test_events_for_each_kind_of_change():
    old = {"id": "1", "status": "open", "reason": "r"}
    assert events_for_change(None, old) == [(CREATE, old, None)]
    assert events_for_change(old, None) == [(DELETE, old, None)]
    assert events_for_change(old, dict(old)) == []
    value = {**old, "reason": "s"}
    assert events_for_change(old, value) == [(ATTRIBUTE_VALUE_CHANGE, value, "reason")]
    status = {**old, "status": "done", "description": "d"}
    assert events_for_change(old, status) == [
        (ATTRIBUTE_VALUE_CHANGE, status, "status,description"),
        (STATUS_CHANGE, status, None),
    ]


def test_selector_filters_on_the_envelope_and_trims_with_fields(clock):
    event = make_event(
        STATUS_CHANGE,
        {"id": "1", "href": "h", "status": "completed", "reason": "r"},
        event_id="E1",
        event_time=clock(),
    )
    assert EventSelector.parse("").select(event) == event
    assert EventSelector.parse(f"eventType={CREATE},{STATUS_CHANGE}").select(event)
    assert EventSelector.parse(f"eventType={CREATE}").select(event) is None
    assert EventSelector.parse("event.partyInteraction.status=completed").select(event)
    trimmed = EventSelector.parse("fields=event.partyInteraction.status").select(event)
    assert trimmed == {
        "id": "E1",
        "eventId": "E1",
        "eventTime": "2024-05-01T10:00:01.000000Z",
        "eventType": STATUS_CHANGE,
        "event": {"partyInteraction": {"id": "1", "href": "h", "status": "completed"}},
    }


@pytest.mark.parametrize(
    "query",
    [
        "eventType.foo=1",
        "sort=eventType",
        "limit=1",
        "eventType",
        "status=completed",
        "event.status=completed",
        "eventType=Foo",
        "eventType=partyInteractionCreateEvent",
        "correlationId=x",
        "href=x",
    ],
)
def test_selector_refuses_bad_queries(query):
    with pytest.raises(InvalidQueryError):
        EventSelector.parse(query)


@pytest.mark.parametrize(
    ("url", "allowed", "ok"),
    [
        ("http://127.0.0.1:9/x", None, True),
        ("https://crm.example.com/events", frozenset({"crm.example.com"}), True),
        ("https://evil.example.com/", frozenset({"crm.example.com"}), False),
        ("ftp://x/y", None, False),
        ("/relative", None, False),
        ("http:///nohost", None, False),
        ("http://[::1/", None, False),
        ("http://user:pass@127.0.0.1/", None, False),
        ("http://127.0.0.1/a b", None, False),
        ("http://127.0.0.1:abc/", None, False),
        ("http://127.0.0.1/ü", None, False),
        ("http://127.0.0.1/" + "a" * 3000, None, False),
        ("http://[::1]:8080/events", None, True),
        (None, None, False),
    ],
)
def test_callbacks_are_absolute_http_urls_on_allowed_hosts(url, allowed, ok):
    if ok:
        assert validate_callback(url, allowed) == url
    else:
        with pytest.raises(ValidationError) as caught:
            validate_callback(url, allowed)
        assert caught.value.problems[0][0] == "$.callback"


def register(service, query=""):
    return service.events.register(
        {"callback": "http://127.0.0.1:9/cb", "query": query}
    )


def pending(service):
    return service.store.due_deliveries(now=1e12, limit=1000)


def test_changes_write_one_delivery_per_event_and_matching_subscription(service):
    everything = register(service)
    status_only = register(service, f"eventType={STATUS_CHANGE}")
    created = service.create({**MINIMAL, "status": "open"})
    service.patch(created["id"], {"status": "completed"})
    service.delete(created["id"])
    deliveries = service.store.due_deliveries(now=1e12)
    assert len(deliveries) == 1  # one callback: only its oldest is due
    every = []
    while batch := pending(service):
        for delivery in batch:
            every.append(delivery)
            service.store.record_attempt(delivery.id, delivered=True)
    kinds = [(d.subscription_id, d.event["eventType"]) for d in every]
    assert [k for k in kinds if k[0] == everything["id"]] == [
        (everything["id"], CREATE),
        (everything["id"], ATTRIBUTE_VALUE_CHANGE),
        (everything["id"], STATUS_CHANGE),
        (everything["id"], DELETE),
    ]
    assert [k for k in kinds if k[0] == status_only["id"]] == [
        (status_only["id"], STATUS_CHANGE)
    ]
    status_events = [d.event for d in every if d.event["eventType"] == STATUS_CHANGE]
    assert status_events[0]["eventId"] == status_events[1]["eventId"]
    assert status_events[0]["event"]["partyInteraction"]["href"].endswith(created["id"])


def test_a_change_that_fails_writes_no_delivery(service):
    register(service)
    created = service.create(dict(MINIMAL))
    service.store.record_attempt(pending(service)[0].id, delivered=True)
    with pytest.raises(ValidationError):
        service.patch(created["id"], {"channel": []})
    assert pending(service) == []


def test_unregister_drops_pending_deliveries(service):
    subscription = register(service)
    service.create(dict(MINIMAL))
    assert service.events.retrieve(subscription["id"]) == subscription
    service.events.unregister(subscription["id"])
    assert pending(service) == []
    with pytest.raises(NotFoundError):
        service.events.unregister(subscription["id"])
    with pytest.raises(NotFoundError):
        service.events.retrieve(subscription["id"])


def test_registration_refuses_bad_bodies(service):
    bodies: list[object] = [
        [],
        {"callback": "x"},
        {"callback": "http://h/", "x": 1},
        {"callback": "http://h/", "query": "event.partyInteraction.reason=a\x00"},
        {"callback": "http://h/", "query": "eventType=\udc80"},
    ]
    for body in bodies:
        with pytest.raises(ValidationError):
            service.events.register(body)
    with pytest.raises(InvalidQueryError):
        register(service, "eventType.nope=1")
    assert service.store.subscriptions() == []


def test_in_process_subscribers(service):
    seen: list[dict[str, object]] = []
    statuses: list[dict[str, object]] = []
    service.events.subscribe(seen.append)
    status_id = service.events.subscribe(statuses.append, f"eventType={STATUS_CHANGE}")

    def broken(event):
        raise RuntimeError("subscriber bug")

    service.events.subscribe(broken)
    created = service.create({**MINIMAL, "status": "open"})
    service.patch(created["id"], {"status": "done"})
    service.events.flush(10)
    assert [e["eventType"] for e in seen] == [
        CREATE,
        ATTRIBUTE_VALUE_CHANGE,
        STATUS_CHANGE,
    ]
    assert [e["eventType"] for e in statuses] == [STATUS_CHANGE]
    service.events.unsubscribe(status_id)
    service.delete(created["id"])
    service.events.flush(10)
    assert len(statuses) == 1
    assert seen[-1]["eventType"] == DELETE
    with pytest.raises(NotFoundError):
        service.events.unsubscribe(status_id)


class Recorder:
    """A real deliverer that records and fails on demand."""

    def __init__(self, failures=0):
        self.calls = []
        self.failures = failures

    def __call__(self, url, event, timeout):
        self.calls.append((url, event["eventId"], event["eventType"]))
        if self.failures:
            self.failures -= 1
            raise DeliveryError("HTTP 500")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def dispatcher_of(service):
    """Makes dispatchers on the service's store; closes each after the test."""
    made = []

    def make(**options):
        made.append(Dispatcher(service.store, **options))
        return made[-1]

    yield make
    for dispatcher in made:
        dispatcher.close()


def test_dispatcher_delivers_in_order_and_retries_with_backoff(service, dispatcher_of):
    register(service)
    created = service.create(dict(MINIMAL))
    service.patch(created["id"], {"reason": "new"})
    recorder, clock = Recorder(failures=2), Clock()
    dispatcher = dispatcher_of(
        post=recorder,
        clock=clock,
        first_delay=3,
        backoff=2,
        jitter=lambda: 1.0,
    )
    assert dispatcher.run_once() == 1
    assert dispatcher.run_once() == 0  # waiting 3 s; the later event waits behind it
    clock.now += 3
    assert dispatcher.run_once() == 1
    clock.now += 5.9
    assert dispatcher.run_once() == 0  # second delay is 6 s
    clock.now += 0.1
    dispatcher.run_once()
    dispatcher.run_once()
    event_ids = [call[1] for call in recorder.calls]
    assert len(set(event_ids[:3])) == 1  # the same event, three times
    assert [call[2] for call in recorder.calls] == [CREATE] * 3 + [
        ATTRIBUTE_VALUE_CHANGE
    ]
    assert pending(service) == []


def test_dispatcher_gives_up_and_lists_the_failure(service, dispatcher_of):
    register(service)
    service.create(dict(MINIMAL))
    clock = Clock()
    dispatcher = dispatcher_of(
        post=Recorder(failures=99),
        clock=clock,
        max_attempts=3,
        first_delay=1,
        jitter=lambda: 1.0,
    )
    for _ in range(5):
        dispatcher.run_once()
        clock.now += 100
    (failed,) = service.events.failed_deliveries()
    assert (failed.attempts, failed.state, failed.last_error) == (
        3,
        "failed",
        "HTTP 500",
    )
    assert pending(service) == []


def test_default_backoff_spans_about_an_hour():
    dispatcher = Dispatcher(None, jitter=lambda: 1.0)  # type: ignore[arg-type]
    total = sum(dispatcher.delay(n) for n in range(1, dispatcher.max_attempts))
    assert dispatcher.delay(1) <= 5
    assert 45 * 60 < total < 75 * 60


def test_post_json_over_real_http():
    event = make_event(
        CREATE,
        {"id": "1"},
        event_id="E",
        event_time=datetime(2024, 1, 1, tzinfo=UTC),
    )
    with receiving(fail_first=1) as receiver:
        with pytest.raises(DeliveryError, match="500"):
            post_json(receiver.url, event, 5)
        post_json(receiver.url, event, 5)
        assert receiver.events == [event]
    with pytest.raises(DeliveryError):
        post_json(receiver.url, event, 2)  # the receiver is gone


def test_event_ids_where_the_swagger_has_them(clock):
    for event_type in (CREATE, STATUS_CHANGE, DELETE):
        event = make_event(event_type, {"id": "1"}, event_id="E", event_time=clock())
        assert event["id"] == "E"
    change = make_event(
        ATTRIBUTE_VALUE_CHANGE,
        {"id": "1"},
        event_id="E",
        event_time=clock(),
        field_path="reason",
    )
    assert "id" not in change
    assert change["fieldPath"] == "reason"


def test_in_process_subscribers_do_not_hold_up_the_change(service):
    release = threading.Event()
    seen: list[str] = []

    def slow(event):
        release.wait(10)
        seen.append(event["eventType"])

    service.events.subscribe(slow)
    service.create(dict(MINIMAL))  # returns although the subscriber is blocked
    assert seen == []
    with pytest.raises(TimeoutError):
        service.events.flush(0.05)
    release.set()
    service.events.flush(10)
    assert seen == [CREATE]


def test_dispatcher_refuses_hosts_no_longer_allowed(service, dispatcher_of):
    register(service)
    service.create(dict(MINIMAL))
    recorder = Recorder()
    dispatcher_of(post=recorder, allowed_hosts=["crm.example.com"]).run_once()
    assert recorder.calls == []
    (failed,) = service.events.failed_deliveries()
    assert failed.last_error == "callback host not allowed"


def test_a_slow_callback_does_not_hold_up_another(service, dispatcher_of):
    service.events.register({"callback": "http://127.0.0.1:9/slow"})
    service.events.register({"callback": "http://127.0.0.1:9/fast"})
    service.create(dict(MINIMAL))
    slow_started, fast_done = threading.Event(), threading.Event()
    waited: dict[str, bool] = {}

    def post(url, event, timeout):
        # each waits for the other: one after the other, the first would time out
        if url.endswith("/slow"):
            slow_started.set()
            waited["slow saw the fast one done"] = fast_done.wait(30)
        else:
            waited["fast saw the slow one started"] = slow_started.wait(30)
            fast_done.set()

    assert dispatcher_of(post=post).run_once() == 2
    assert waited == {
        "slow saw the fast one done": True,
        "fast saw the slow one started": True,
    }


def test_post_json_treats_redirects_and_broken_answers_as_failures():
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    event = {"eventId": "E", "eventType": CREATE}
    try:
        with pytest.raises(DeliveryError, match="302"):
            post_json(f"http://127.0.0.1:{server.server_address[1]}/cb", event, 5)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    garbage = socket.socket()
    garbage.bind(("127.0.0.1", 0))
    garbage.listen()

    def answer_garbage():
        connection, _ = garbage.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HELLO\r\n\r\n")

    responder = threading.Thread(target=answer_garbage, daemon=True)
    responder.start()
    try:
        with pytest.raises(DeliveryError):
            post_json(f"http://127.0.0.1:{garbage.getsockname()[1]}/", event, 5)
    finally:
        responder.join(10)
        garbage.close()


def test_an_unexpected_error_in_delivery_is_one_failed_attempt(service, dispatcher_of):
    register(service)
    service.create(dict(MINIMAL))

    def broken(url, event, timeout):
        raise RuntimeError("bug in a custom deliverer")

    dispatcher_of(post=broken, max_attempts=1).run_once()
    (failed,) = service.events.failed_deliveries()
    assert "bug in a custom deliverer" in str(failed.last_error)


def test_the_next_event_to_a_callback_goes_out_when_the_last_is_done(
    service, dispatcher_of
):
    register(service)
    for _ in range(5):
        service.create(dict(MINIMAL))
    recorder = Recorder()
    dispatcher = dispatcher_of(post=recorder)
    # one pass a minute: without the wake-up, 30 s would deliver the first event only
    with dispatcher.start(poll_interval=60.0):
        wait_for(lambda: len(recorder.calls) >= 5, 30)
    assert [call[2] for call in recorder.calls] == [CREATE] * 5
    assert pending(service) == []


def test_post_json_cuts_a_subscriber_that_drips_its_answer():
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 201 Created\r\n")
            while not stop.is_set():  # a header line a second, never the end
                try:
                    connection.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    return
                stop.wait(1)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/cb"
    try:
        with pytest.raises(DeliveryError, match="no answer within 2 s"):
            post_json(url, {"eventId": "E1"}, 2.0)
    finally:
        stop.set()
        thread.join(10)
        server.close()


def delivery_threads():
    return {
        t
        for t in threading.enumerate()
        if t.name.startswith("tmf683-d") and t.is_alive()
    }


def test_start_and_close_own_every_thread_of_a_dispatcher(service):
    before = delivery_threads()
    dispatcher = Dispatcher(service.store, post=Recorder(), workers=3)
    assert delivery_threads() == before  # constructing starts nothing
    assert dispatcher.run_once() == 0
    assert delivery_threads() == before  # run_once ran its workers for the call
    dispatcher.start(poll_interval=0.05)
    assert dispatcher.start() is dispatcher  # started already: nothing more
    started = delivery_threads() - before
    assert sorted(t.name for t in started) == ["tmf683-delivery"] * 3 + [
        "tmf683-dispatcher"
    ]
    dispatcher.close()
    assert not any(t.is_alive() for t in started)
    dispatcher.close()  # a second close does nothing more
    with pytest.raises(RuntimeError, match="closed"):
        dispatcher.start()


def test_start_racing_close_leaves_no_thread_and_close_never_raises():
    before, errors = delivery_threads(), []

    def attempt(call):
        try:
            call()
        except RuntimeError as exc:
            if "closed" not in str(exc):  # start() after close() is refused
                errors.append(exc)

    for _ in range(100):
        dispatcher = Dispatcher(MemoryStore(), post=Recorder(), workers=2)
        # close() arrives while start() is under way, as a shutdown hook might
        racers = [
            threading.Thread(target=attempt, args=(dispatcher.start,)),
            threading.Thread(target=attempt, args=(lambda d=dispatcher: d.close(10),)),
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(30)
        dispatcher.close(10)
    assert errors == []
    assert delivery_threads() == before


def test_run_stops_the_workers_it_started_when_stop_is_set(service):
    register(service)
    service.create(dict(MINIMAL))
    before = delivery_threads()
    recorder, stop = Recorder(), threading.Event()
    dispatcher = Dispatcher(service.store, post=recorder)
    runner = threading.Thread(target=dispatcher.run, args=(stop, 0.05))
    runner.start()
    try:
        wait_for(lambda: recorder.calls, 30)
    finally:
        stop.set()
        runner.join(30)
    assert delivery_threads() == before
    assert [call[2] for call in recorder.calls] == [CREATE]


def test_a_started_dispatcher_delivers_what_later_changes_raise(service):
    register(service)
    recorder = Recorder()
    with Dispatcher(service.store, post=recorder).start(poll_interval=0.05):
        service.create(dict(MINIMAL))
        wait_for(lambda: recorder.calls, 30)
    assert [call[2] for call in recorder.calls] == [CREATE]
    assert pending(service) == []


def test_event_and_delivery_ids_come_from_the_id_factory(store, clock):
    counter = iter(range(1, 100))
    with PartyInteractionService(
        store, clock=clock, id_factory=lambda: f"N{next(counter)}"
    ) as service:
        assert service.create(dict(MINIMAL))["id"] == "N1"  # nobody listens: no event
        subscription = register(service)
        seen: list[dict[str, object]] = []
        service.events.subscribe(seen.append)
        service.create(dict(MINIMAL))
        service.events.flush(10)
    (delivery,) = pending(service)
    assert subscription["id"] == "N2"
    assert (delivery.event["eventId"], delivery.id) == ("N5", "N6")
    assert [event["eventId"] for event in seen] == ["N5"]


def test_a_closed_publisher_calls_no_in_process_subscriber(service):
    seen: list[dict[str, object]] = []
    service.events.subscribe(seen.append)
    service.create(dict(MINIMAL))
    before = {t for t in threading.enumerate() if t.name.startswith("tmf683-sub")}
    assert before
    service.close()
    assert not any(t.is_alive() for t in before)
    assert len(seen) == 1  # closing waited for the event raised before
    register(service)
    service.create(dict(MINIMAL))
    service.close()
    assert len(seen) == 1
    assert len(pending(service)) == 1  # hub deliveries are still written


def test_delivery_errors_are_tmf683_errors_and_os_errors():
    error = DeliveryError("HTTP 503")
    assert isinstance(error, Tmf683Error)
    assert isinstance(error, OSError)
    assert str(error) == "HTTP 503"


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ([1], ["$"]),
        (
            {
                **make_event(
                    CREATE,
                    {"id": "1"},
                    event_id="E",
                    event_time=datetime(2024, 1, 1, tzinfo=UTC),
                ),
                "eventType": DELETE,
            },
            ["$.eventType"],
        ),
        ({"eventType": CREATE}, ["$.eventId", "$.event.partyInteraction"]),
        (
            {"eventType": CREATE, "eventId": "", "event": {"partyInteraction": []}},
            ["$.eventId", "$.event.partyInteraction"],
        ),
    ],
)
def test_listeners_refuse_envelopes_that_break_the_rules(body, paths):
    with pytest.raises(ValidationError) as caught:
        validate_event(body, CREATE)
    assert [path for path, _ in caught.value.problems] == paths


def test_listeners_accept_the_envelopes_a_server_sends(clock):
    for event_type in (CREATE, ATTRIBUTE_VALUE_CHANGE, STATUS_CHANGE, DELETE):
        event = make_event(event_type, {"id": "1"}, event_id="E", event_time=clock())
        assert validate_event(event, event_type) is event


def test_a_pass_asks_for_two_deliveries_per_worker(service):
    """The poll loop reads few rows a pass (PostgreSQL locks each one it returns)
    and still delivers every due event, each once."""
    callbacks = [f"http://127.0.0.1:9/cb{n}" for n in range(12)]
    for callback in callbacks:
        service.events.register({"callback": callback})
    service.create(dict(MINIMAL))
    limits: list[int] = []
    read_due = service.store.due_deliveries

    def due_deliveries(now, limit=100):
        limits.append(limit)
        return read_due(now, limit)

    service.store.due_deliveries = due_deliveries
    gate = threading.Event()
    started: list[str] = []
    sent: list[str] = []
    lock = threading.Lock()

    def post(url, event, timeout):
        with lock:
            started.append(url)
        gate.wait(30)
        with lock:
            sent.append(url)

    dispatcher = Dispatcher(service.store, post=post, workers=2)
    assert dispatcher.pass_limit() == 4
    with dispatcher.start(poll_interval=0.01):
        wait_for(lambda: len(started) == 2, 30)  # both workers hold one
        gate.set()
        wait_for(lambda: len(sent) == len(callbacks), 30)
    assert sorted(sent) == sorted(callbacks)  # each callback's event once
    assert set(limits) == {4}
    assert len(limits) >= len(callbacks) // 4
    assert pending(service) == []
