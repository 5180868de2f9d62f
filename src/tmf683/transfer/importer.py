"""``tmf683 import``: NDJSON records into a store, one transaction per batch.

Every record is checked as a create checks its body
(:func:`~tmf683.transfer.records.check_record`) before its batch is written, so a
bad record leaves its whole batch unwritten; the batches before it are committed
and stay. Writes go through :meth:`~tmf683.storage.base.DocumentStore.put_many`:
they raise no events (a move of a store is not a burst of creates; the hub's
subscribers are not told).

Imports are idempotent on ids: a stored id is skipped (the default) or replaced,
so running the same import again after a failure continues where it stopped.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from tmf683._errors import Problem, ValidationError
from tmf683.storage.base import Document, DocumentStore
from tmf683.transfer.records import read_record

if TYPE_CHECKING:
    from concurrent.futures import Future

IMPORT_BATCH = 1000
"""Records per batch (and per transaction) of an import."""

OnExisting = Literal["skip", "replace"]
"""What an import does with a record whose id is stored already."""


@attrs.frozen
class ImportResult:
    """What an import did (so far, in :class:`ImportFailedError`).

    Attributes:
        lines: the lines read and committed (blank lines included).
        records: the records of those lines.
        written: records added or replaced.
        skipped: records left out because their id was stored already (or
            repeated in a batch).
    """

    lines: int = 0
    records: int = 0
    written: int = 0
    skipped: int = 0

    def plus(self, lines: int, records: int, written: int) -> ImportResult:
        """This result with one more committed batch."""
        return ImportResult(
            self.lines + lines,
            self.records + records,
            self.written + written,
            self.skipped + records - written,
        )


class ImportFailedError(Exception):
    """An import stopped: a record was bad, or the store refused a batch.

    The batch holding ``line`` was not written (one transaction); the batches
    before it were (``done``).

    Attributes:
        line: the number (from 1) of the bad record, or of the first line of the
            batch the store refused.
        batch_start: the first line of the batch that was not written.
        problems: ``(json_path, message)`` findings of the bad record; empty when
            the store failed.
        done: what was committed before.
        reason: one line saying what went wrong.
    """

    def __init__(
        self,
        line: int,
        batch_start: int,
        reason: str,
        done: ImportResult,
        problems: list[Problem] | None = None,
    ) -> None:
        self.line = line
        self.batch_start = batch_start
        self.reason = reason
        self.done = done
        self.problems = problems or []
        super().__init__(self.message())

    def message(self) -> str:
        """The one error line: where, what, and how to continue."""
        kept = (
            f"lines 1-{self.batch_start - 1} are imported ({self.done.written} "
            f"written, {self.done.skipped} skipped); "
            if self.batch_start > 1
            else ""
        )
        return (
            f"line {self.line}: {self.reason}; its batch (from line "
            f"{self.batch_start}) was not written; {kept}fix line {self.line} and "
            "run the same import again: stored ids are skipped, so it continues there"
        )


def _reason(problems: list[Problem]) -> str:
    return "; ".join(f"{path} {message}" for path, message in problems)


@attrs.frozen
class _Batch:
    """The lines of one batch: numbers ``first`` to ``last``, ``size`` long."""

    first: int
    last: int
    lines: list[bytes | str]
    size: int


def _batches(lines: Iterable[bytes | str], batch_size: int) -> Iterator[_Batch]:
    """Cut the lines into batches of ``batch_size`` records (blank lines ride along)."""
    batch: list[bytes | str] = []
    first, records, size, number = 1, 0, 0, 0
    for number, line in enumerate(lines, 1):
        batch.append(line)
        size += len(line)
        if line.strip():
            records += 1
            if records >= batch_size:
                yield _Batch(first, number, batch, size)
                batch, first, records, size = [], number + 1, 0, 0
    if batch:
        yield _Batch(first, number, batch, size)


Checked = tuple[list[Document], int | None, list[Problem]]
"""A batch's documents, and the number and problems of its bad line (or ``None``)."""


def check_lines(first: int, lines: Sequence[bytes | str]) -> Checked:
    """Check the records of a batch (in a worker process, when ``jobs`` > 1).

    Args:
        first: the number of the first line.
        lines: the lines.

    Returns:
        The documents to store, and ``(None, [])`` or the number and problems of
        the first bad line (the documents before it are returned, not to be
        written).
    """
    documents: list[Document] = []
    for number, line in enumerate(lines, first):
        if not line.strip():
            continue
        try:
            documents.append(read_record(line))
        except ValidationError as exc:
            return documents, number, list(exc.problems)
    return documents, None, []


def import_documents(
    store: DocumentStore,
    lines: Iterable[bytes | str],
    *,
    batch_size: int = IMPORT_BATCH,
    on_existing: OnExisting = "skip",
    progress: Callable[[int], object] | None = None,
    jobs: int = 1,
) -> ImportResult:
    """Import NDJSON records, as :func:`.export.export_documents` writes them.

    Batches are written in order, each in one transaction, after every record in
    it passed :func:`~tmf683.transfer.records.check_record`. With ``jobs`` above 1,
    that many worker processes check the next batches while this one writes
    (checking is most of an import's work), started once there is a second
    batch; memory holds at most ``2 * jobs + 1`` batches.

    Args:
        store: where to write.
        lines: the lines of the NDJSON text (UTF-8 bytes or str, line breaks
            kept or not); blank lines are ignored.
        batch_size: records per transaction (at least 1).
        on_existing: ``"skip"`` keeps a stored document of the same id;
            ``"replace"`` overwrites it (its version one more).
        progress: called after each committed batch with the bytes (for bytes
            lines) or characters of its lines.
        jobs: processes checking records (1: this one, no workers).

    Returns:
        What was imported.

    Raises:
        ValueError: ``batch_size`` or ``jobs`` below 1, or another
            ``on_existing``.
        ImportFailedError: a line is not JSON, not an object, or not a valid
            interaction (nothing of its batch is written); or the store refused a
            batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if on_existing not in ("skip", "replace"):
        raise ValueError(
            f"on_existing must be 'skip' or 'replace', not {on_existing!r}"
        )
    done = ImportResult()
    for batch, (documents, bad, problems) in _checked(
        _batches(lines, batch_size), jobs
    ):
        if bad is not None:
            raise ImportFailedError(bad, batch.first, _reason(problems), done, problems)
        done = _write(store, documents, batch, done, on_existing)
        if progress is not None:
            progress(batch.size)
    return done


PARENT_POLL = 1.0
"""Seconds between a worker's looks at whether the importing process still runs."""


def _exit_with(parent: int) -> None:  # pragma: no cover - runs in the workers
    """A worker's initializer: end the worker once ``parent`` is gone.

    A worker of a process killed by SIGKILL would otherwise wait for work
    forever: the call queue's pipe stays open in the other workers.
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os._exit(1)

    threading.Thread(target=watch, name="tmf683-parent-watch", daemon=True).start()


def _checked(batches: Iterator[_Batch], jobs: int) -> Iterator[tuple[_Batch, Checked]]:
    """Each batch with its check, in order; checked ahead by ``jobs`` workers."""
    first = list(itertools.islice(batches, 2))
    if jobs == 1 or len(first) < 2:  # one batch: no workers to start
        for batch in itertools.chain(first, batches):
            yield batch, check_lines(batch.first, batch.lines)
        return
    batches = itertools.chain(first, batches)
    from concurrent.futures import ProcessPoolExecutor  # only an import with workers
    from multiprocessing import get_context

    # spawn: a fork would copy the store's connections and threads
    with ProcessPoolExecutor(
        jobs,
        mp_context=get_context("spawn"),
        initializer=_exit_with,
        initargs=(os.getpid(),),
    ) as pool:
        ahead: deque[tuple[_Batch, Future[Checked]]] = deque()
        try:
            for batch in batches:
                ahead.append(
                    (batch, pool.submit(check_lines, batch.first, batch.lines))
                )
                if len(ahead) > 2 * jobs:
                    waiting, future = ahead.popleft()
                    yield waiting, future.result()
            while ahead:
                waiting, future = ahead.popleft()
                yield waiting, future.result()
        finally:
            for _, future in ahead:
                future.cancel()


def _write(
    store: DocumentStore,
    documents: list[Document],
    batch: _Batch,
    done: ImportResult,
    on_existing: OnExisting,
) -> ImportResult:
    try:
        written = (
            store.put_many(documents, replace=on_existing == "replace")
            if documents
            else 0
        )
    except Exception as exc:
        raise ImportFailedError(
            batch.first,
            batch.first,
            f"the store refused the batch of lines {batch.first}-{batch.last}: {exc}",
            done,
        ) from exc
    return done.plus(batch.last - batch.first + 1, len(documents), written)
