"""TokenFile: the delivery token read from a file, re-read when the file changes.

Real files in a temporary directory; the rotation by rename is the layout of a
Kubernetes secret volume (``token -> ..data/token``, ``..data`` a symlink swapped
atomically to a new directory).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from tests.conftest import MINIMAL
from tests.receiver import receiving
from tmf683 import (
    DeliveryError,
    DeliveryTokenError,
    Dispatcher,
    MemoryStore,
    PartyInteractionService,
    TokenFile,
)
from tmf683.events.transport import post_json

OLD = "eyJhbGciOiJSUzI1NiJ9.b2xk.c2lnbmF0dXJl"
NEW = "eyJhbGciOiJSUzI1NiJ9.bmV3.c2lnbmF0dXJx"  # as long as OLD


def later() -> float:
    """A clock well past every write: only the file's stamp decides a re-read."""
    return time.time() + 60


def write(path: Path, text: str, mtime_ns: int | None = None) -> None:
    path.write_text(text)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_reads_one_stripped_line_and_never_shows_it(tmp_path):
    path = tmp_path / "token"
    path.write_text(f"  {OLD}\n")
    token = TokenFile(path)
    assert token() == OLD
    assert OLD not in repr(token)
    assert str(path) in repr(token)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("", "is empty"),
        ("\n  \n", "is empty"),
        (f"{OLD}\n{NEW}\n", "does not hold one RFC 6750 bearer token"),
        (f"Bearer {OLD}", "does not hold one RFC 6750 bearer token"),
        ("t\u00f6ken", "does not hold one RFC 6750 bearer token"),
    ],
)
def test_no_usable_token_at_start_is_a_clear_error(tmp_path, content, problem):
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DeliveryTokenError) as raised:
        TokenFile(path)
    message = str(raised.value)
    assert problem in message
    assert str(path) in message
    assert OLD not in message
    assert NEW not in message
    assert isinstance(raised.value, OSError)


def test_a_rewrite_of_another_size_is_read_again(tmp_path):
    path = tmp_path / "token"
    write(path, OLD, mtime_ns=1_000_000_000)
    token = TokenFile(path, clock=later)
    assert token() == OLD
    write(path, NEW + "xyz", mtime_ns=1_000_000_000)  # same mtime, longer
    assert token() == NEW + "xyz"


def test_a_rewrite_of_the_same_size_is_read_again_by_its_mtime(tmp_path):
    path = tmp_path / "token"
    write(path, OLD, mtime_ns=1_000_000_000)
    token = TokenFile(path, clock=later)
    assert token() == OLD
    write(path, NEW, mtime_ns=2_000_000_000)
    assert token() == NEW


def test_an_unchanged_stamp_is_not_read_again(tmp_path):
    # the control of the two tests above: same inode, size and mtime, old token
    path = tmp_path / "token"
    write(path, OLD, mtime_ns=1_000_000_000)
    token = TokenFile(path, clock=later)
    write(path, NEW, mtime_ns=1_000_000_000)
    assert token() == OLD


def test_a_file_written_just_now_is_read_again_whatever_its_stamp(tmp_path):
    # two writes in one timestamp tick, of one size, change nothing compared
    path = tmp_path / "token"
    now = time.time_ns()
    write(path, OLD, mtime_ns=now)
    token = TokenFile(path)
    write(path, NEW, mtime_ns=now)
    assert token() == NEW


def test_a_replacement_by_rename_is_read_again(tmp_path):
    path = tmp_path / "token"
    write(path, OLD, mtime_ns=1_000_000_000)
    token = TokenFile(path, clock=later)
    fresh = tmp_path / "token.new"
    write(fresh, NEW, mtime_ns=1_000_000_000)  # same size and mtime: the inode
    fresh.replace(path)
    assert token() == NEW


def test_a_kubernetes_secret_swap_is_read_again(tmp_path):
    first = tmp_path / "..2026_12_03_06_00_00.1"
    first.mkdir()
    write(first / "token", OLD)
    (tmp_path / "..data").symlink_to(first.name)
    (tmp_path / "token").symlink_to("..data/token")
    token = TokenFile(tmp_path / "token", clock=later)
    assert token() == OLD
    second = tmp_path / "..2026_12_03_07_00_00.2"
    second.mkdir()
    write(second / "token", NEW)
    (tmp_path / "..data_tmp").symlink_to(second.name)
    (tmp_path / "..data_tmp").replace(tmp_path / "..data")  # the atomic swap
    for old in first.iterdir():
        old.unlink()
    first.rmdir()
    assert token() == NEW


def test_a_file_gone_later_keeps_the_last_token_and_warns_once(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="tmf683.events.token")
    path = tmp_path / "token"
    write(path, OLD)
    token = TokenFile(path, clock=later)
    path.unlink()
    assert [token(), token(), token()] == [OLD, OLD, OLD]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(path) in warnings[0].getMessage()
    assert "cannot be read" in warnings[0].getMessage()
    # back with a new token: read, and a second loss warns again
    write(path, NEW)
    assert token() == NEW
    path.unlink()
    assert token() == NEW
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert OLD not in caplog.text
    assert NEW not in caplog.text


def test_a_file_emptied_later_keeps_the_last_token(tmp_path, caplog):
    path = tmp_path / "token"
    write(path, OLD)
    token = TokenFile(path, clock=later)
    write(path, "", mtime_ns=2_000_000_000)
    assert token() == OLD
    assert "is empty" in caplog.text
    write(path, NEW, mtime_ns=3_000_000_000)
    assert token() == NEW
    assert OLD not in caplog.text


def test_post_json_sends_the_token_as_a_bearer_header():
    with receiving() as receiver:
        post_json(receiver.url, {"eventId": "E1"}, 10, token=OLD)
        post_json(receiver.url, {"eventId": "E2"}, 10)
    assert receiver.request_headers[0]["Authorization"] == f"Bearer {OLD}"
    assert "Authorization" not in receiver.request_headers[1]


def test_post_json_refuses_a_token_that_is_no_header_value_without_showing_it():
    bad = "abc\r\nX-Injected: 1"
    with receiving() as receiver, pytest.raises(DeliveryError) as raised:
        post_json(receiver.url, {"eventId": "E1"}, 10, token=bad)
    assert receiver.attempts == 0
    assert "RFC 6750" in str(raised.value)
    assert "abc" not in str(raised.value)


def test_the_dispatcher_asks_for_the_token_at_each_attempt():
    tokens = iter([OLD, NEW])
    service = PartyInteractionService(MemoryStore())
    with receiving() as receiver:
        service.events.register({"callback": receiver.url})
        dispatcher = Dispatcher(service.store, token=lambda: next(tokens))
        for _ in range(2):
            service.create(MINIMAL)
            assert dispatcher.run_once() == 1
    assert [h["Authorization"] for h in receiver.request_headers] == [
        f"Bearer {OLD}",
        f"Bearer {NEW}",
    ]


def test_a_token_needs_the_default_post():
    with pytest.raises(ValueError, match="default post"):
        Dispatcher(MemoryStore(), post=lambda *args: None, token=lambda: OLD)
