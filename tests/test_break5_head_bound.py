"""Two writers lowering one head's ``seq`` at once keep the lower (schema 9).

Writer A adds a row older than the head (its ``seq`` lower) and lowers the head;
writer C, under the same ``KEY SHARE`` view of the head, adds a row between A's and
the head's and waits on A's update. When A commits, C's update ran again on the
new head and set its own ``seq``, above A's row: the head's bound was no longer a
bound, and the due pass, reading heads oldest first, served younger callbacks
before A's.
"""

from __future__ import annotations

import threading

import psycopg

from tests.test_postgres_due_order import _bounds_hold, _expected

from .waiting import wait_for

_ADD = (
    "INSERT INTO event_delivery (seq, id, subscription_id, callback, event) "
    "OVERRIDING SYSTEM VALUE VALUES (%s, %s, 'S', %s, '{}')"
)


def test_a_concurrent_lowering_keeps_the_lowest_bound(postgres_opened):
    store, url = postgres_opened
    with psycopg.connect(url, autocommit=True) as conn:
        for seq, callback in ((1000, "x"), (20, "y"), (21, "w")):
            conn.execute(_ADD, [seq, f"D{seq}", f"http://h/{callback}"])
    errors: list[BaseException] = []
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        first.execute(_ADD, [10, "D10", "http://h/x"])  # lowers x's head to 10

        def lower() -> None:
            try:
                second.execute(_ADD, [22, "D22", "http://h/x"])  # waits on the head
                second.commit()
            except BaseException as exc:  # reported by the test
                errors.append(exc)

        thread = threading.Thread(target=lower)
        thread.start()
        try:
            with psycopg.connect(url, autocommit=True) as watch:

                def waiting() -> bool:
                    row = watch.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE "
                        "wait_event_type = 'Lock' AND datname = current_database()"
                    ).fetchone()
                    return row is not None and row[0] > 0

                wait_for(waiting, timeout=30)
        finally:
            first.commit()
            thread.join(timeout=30)
    assert not thread.is_alive()
    assert errors == []
    assert _bounds_hold(url)
    expected = _expected(url, 1.0, 1)
    assert expected == ["D10"]
    assert [d.id for d in store.due_deliveries(1.0, limit=1)] == expected
