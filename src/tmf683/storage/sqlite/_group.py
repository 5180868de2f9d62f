"""Group commit: concurrent writes of one process share a SQLite transaction.

A write's ``COMMIT`` on SQLite costs more than its statements (a create's ~65 WAL
pages, ~40 of them leaf-index pages shared with other creates: docs/benchmarks.md,
issue 13). Writers that arrive while another one commits queue their jobs; one
thread, the leader, runs up to :data:`GROUP_CAP` of them in one transaction, each
under its own ``SAVEPOINT``, then commits once, so the shared pages are written
once per group. Every caller returns only after the ``COMMIT`` that holds its write
(the same durability as one transaction per write).

The leader is the first caller that finds no leader; it runs one group (the queue's
head, its own job first among them) and hands the lead to the next queued caller,
so that no caller waits for more than the groups queued before it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import sqlite_utils

T = TypeVar("T")

GROUP_CAP = 64
"""The most jobs one transaction runs (a bound on a caller's wait and on a group's
rollback)."""

Work = Callable[[sqlite_utils.Database], T]
"""A job's work: the statements of one write, run inside the shared transaction on
the leader's connection; what it returns is the caller's result."""


class _Job(Generic[T]):
    """One caller's queued work and, once its group ended, its outcome."""

    __slots__ = ("done", "error", "result", "wake", "work")

    def __init__(self, work: Work[T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.done = False
        self.wake = threading.Event()  # set when done, or when made the leader

    def outcome(self) -> T:
        """The work's result; raises what the work or its group's commit raised."""
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit:
    """Runs queued write jobs of many threads in shared transactions.

    Args:
        connect: this thread's connection (the leader's runs the group).
        write_lock: the process's write lock, held from ``BEGIN IMMEDIATE`` to
            ``COMMIT`` (other transactions of the store take it too).
        cap: the most jobs in one group.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite_utils.Database],
        write_lock: threading.Lock,
        cap: int = GROUP_CAP,
    ) -> None:
        self._connect = connect
        self._write_lock = write_lock
        self.cap = cap
        self._mutex = threading.Lock()
        self._queue: list[_Job[object]] = []
        self._leading = False  # whether some thread leads (False: queue empty)

    def run(self, work: Work[T]) -> T:
        """Run ``work`` in a committed transaction, maybe shared with others' jobs.

        Returns:
            What ``work`` returned, once the ``COMMIT`` holding its write is done.

        Raises:
            BaseException: what ``work`` raised (its statements are rolled back to
                its savepoint, the group's other jobs are not touched); or what the
                ``COMMIT`` (or a statement that ended the whole transaction) raised,
                for every job of the group, none of whose writes is kept.
        """
        job: _Job[T] = _Job(work)
        with self._mutex:
            self._queue.append(job)  # type: ignore[arg-type]
            lead = not self._leading
            self._leading = True
        if not lead:
            job.wake.wait()  # bounded: the groups queued before this job
            if job.done:
                return job.outcome()
        try:  # the leader: this job heads the queue
            with self._mutex:
                group = self._queue[: self.cap]
                del self._queue[: self.cap]
            self._run_group(group)
        finally:
            with self._mutex:
                if self._queue:
                    self._queue[0].wake.set()  # the next leader
                else:
                    self._leading = False
        return job.outcome()

    def _run_group(self, group: list[_Job[object]]) -> None:
        """Run the jobs in one transaction, then end each with its outcome."""
        try:
            self._transaction(group)
        except BaseException as exc:  # the transaction failed: every job fails
            for job in group:
                if job.error is None:  # one that failed alone keeps its own error
                    job.error = exc
        finally:
            for job in group:
                job.done = True
                job.wake.set()

    def _transaction(self, group: list[_Job[object]]) -> None:
        """``BEGIN IMMEDIATE``, each job (under a savepoint if not alone), ``COMMIT``.

        A group of one runs as a plain transaction, as it would without grouping.
        When every job failed, the transaction is rolled back, not committed.
        """
        db = self._connect()
        alone = len(group) == 1
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                kept = False
                for job in group:
                    if alone:
                        job.result = job.work(db)
                        kept = True
                        continue
                    db.execute("SAVEPOINT job")
                    try:
                        job.result = job.work(db)
                    except BaseException as exc:
                        if not db.conn.in_transaction:
                            raise  # SQLite ended the transaction: the group fails
                        db.execute("ROLLBACK TO job")
                        db.execute("RELEASE job")
                        job.error = exc
                        continue
                    db.execute("RELEASE job")
                    kept = True
            except BaseException:
                rollback(db)
                raise
            if not kept:
                rollback(db)
                return
            try:
                db.execute("COMMIT")
            except BaseException:
                rollback(db)  # a failed COMMIT may leave the transaction open
                raise


def rollback(db: sqlite_utils.Database) -> None:
    """Roll back the open transaction, if SQLite has not already."""
    if db.conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the first error is the one told
            db.execute("ROLLBACK")
