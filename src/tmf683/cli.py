"""The ``tmf683`` command: ``tmf683 export`` and ``tmf683 import`` (NDJSON).

Usage::

    tmf683 export --db sqlite:///tmf683.db [--query 'status=active'] [--output FILE]
    tmf683 import --db postgresql://tmf683@db/tmf683 [--on-existing skip] FILE

Both print one summary line on stderr when done (``--quiet``: none) and, when
stderr is a terminal and ``tqdm`` is installed (the ``cli`` extra), a progress
bar. Exit status: 0 done, 1 failed (one error line on stderr), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import attrs

from tmf683._errors import (
    InvalidQueryError,
    QueryTimeoutError,
    StoreConfigurationError,
    StoreUnavailableError,
)
from tmf683.envconfig import add_version_option
from tmf683.query.ast import Query
from tmf683.storage import open_store, safe_location
from tmf683.storage.base import PartyInteractionStore
from tmf683.transfer.export import EXPORT_BATCH, export_documents, export_query
from tmf683.transfer.importer import IMPORT_BATCH, ImportFailedError, import_documents

DEFAULT_JOBS = min(4, os.cpu_count() or 1)
"""``tmf683 import --jobs`` unless given: the CPUs, at most 4."""

_STORE_ERRORS = (
    StoreConfigurationError,
    StoreUnavailableError,
    QueryTimeoutError,
    OSError,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tmf683`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="tmf683", description="Move TMF683 party interactions in and out."
    )
    add_version_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    db_help = (
        "the store: a SQLite file path, sqlite:///PATH or a PostgreSQL URL "
        "(default: $TMF683_DB)"
    )
    db_default = os.environ.get("TMF683_DB") or None

    export = commands.add_parser(
        "export",
        help="write the stored interactions as NDJSON",
        description="Write the stored interactions, one JSON object a line, in "
        "creation order, as the store keeps them (v5-only data included).",
    )
    export.add_argument(
        "--db", default=db_default, required=db_default is None, help=db_help
    )
    export.add_argument(
        "--query",
        default="",
        help="a TMF630 filter as a v4 list takes it, e.g. "
        "'status=active&creationDate.gt=2026-01-01T00:00:00Z' "
        "(default: every interaction)",
    )
    export.add_argument(
        "--output",
        "-o",
        default="-",
        help="the file to write, replaced only once complete (default: stdout)",
    )
    export.add_argument(
        "--batch-size", type=_positive, default=EXPORT_BATCH, help="documents per read"
    )
    export.add_argument("--quiet", "-q", action="store_true", help="no summary line")

    load = commands.add_parser(
        "import",
        help="read NDJSON interactions into a store",
        description="Read interactions written by 'tmf683 export', each checked as "
        "a create checks its body, one transaction per batch; raises no events.",
    )
    load.add_argument(
        "--db", default=db_default, required=db_default is None, help=db_help
    )
    load.add_argument(
        "--batch-size",
        type=_positive,
        default=IMPORT_BATCH,
        help=f"records per transaction (default {IMPORT_BATCH})",
    )
    load.add_argument(
        "--on-existing",
        choices=("skip", "replace"),
        default="skip",
        help="a record whose id is stored already: keep the stored one (skip, the "
        "default: a re-run continues an import) or overwrite it (replace)",
    )
    load.add_argument(
        "--jobs",
        "-j",
        type=_positive,
        default=DEFAULT_JOBS,
        help="processes checking records, beside the one writing (default "
        f"{DEFAULT_JOBS}: the CPUs, at most 4; 1: no worker processes)",
    )
    load.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    load.add_argument("file", help="the NDJSON file; - for stdin")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _sqlite_file(location: str) -> Path | None:
    """The file a SQLite location names (``None`` for the other stores)."""
    text = location.strip()
    if text.startswith("sqlite:///"):
        return Path(text.removeprefix("sqlite:///"))
    if text == "memory:" or "://" in text or "=" in text:
        return None
    return Path(text)


@contextlib.contextmanager
def _bar(
    total: int | None, unit: str, desc: str
) -> Iterator[Callable[[int], object] | None]:
    """A tqdm progress bar's ``update`` on a terminal with tqdm installed, else None."""
    if not sys.stderr.isatty():
        yield None
        return
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - installs without the cli extra
        yield None
        return
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except OSError:  # pragma: no cover - a terminal that cannot tell
        size = os.terminal_size((0, 0))
    with tqdm(
        total=total,
        unit=unit,
        unit_scale=unit == "B",
        desc=desc,
        file=sys.stderr,
        leave=False,
        # a terminal of unknown size (0 by 0, e.g. a bare pty) gets 80 by 24:
        # tqdm would draw nothing
        ncols=None if size.columns else 80,
        nrows=None if size.lines else 24,
    ) as bar:
        yield bar.update


def _say(args: argparse.Namespace, line: str) -> None:
    if not args.quiet:
        print(line, file=sys.stderr)


def _fail(line: str) -> int:
    print(f"tmf683: error: {line}", file=sys.stderr)
    return 1


def _export(
    args: argparse.Namespace, store: PartyInteractionStore, query: Query
) -> int:
    total = (
        store.find(attrs.evolve(query, limit=0)).total_count
        if sys.stderr.isatty()
        else None
    )
    with _bar(total, " interactions", "export") as progress:
        if args.output == "-":
            count = export_documents(
                store,
                sys.stdout,
                query=query,
                batch_size=args.batch_size,
                progress=progress,
            )
            sys.stdout.flush()
        else:
            count = _export_to_file(args, store, query, progress)
    where = "stdout" if args.output == "-" else args.output
    _say(args, f"tmf683: exported {_interactions(count)} to {where}")
    return 0


def _export_to_file(
    args: argparse.Namespace,
    store: PartyInteractionStore,
    query: Query,
    progress: Callable[[int], object] | None,
) -> int:
    target = Path(args.output)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent or "."
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as output:
            count = export_documents(
                store,
                output,
                query=query,
                batch_size=args.batch_size,
                progress=progress,
            )
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _import(args: argparse.Namespace, store: PartyInteractionStore) -> int:
    source: IO[bytes]
    if args.file == "-":
        source, total = sys.stdin.buffer, None
    else:
        source = open(args.file, "rb")  # noqa: SIM115 - closed below
        total = os.fstat(source.fileno()).st_size
    with source, _bar(total, "B", "import") as progress:
        try:
            result = import_documents(
                store,
                source,
                batch_size=args.batch_size,
                on_existing=args.on_existing,
                progress=progress,
                jobs=args.jobs,
            )
        except ImportFailedError as exc:
            return _fail(exc.message())
    _say(
        args,
        f"tmf683: imported {_interactions(result.records)} from {args.file}: "
        f"{result.written} written, {result.skipped} skipped (id stored already)",
    )
    return 0


def _interactions(count: int) -> str:
    """``"1 interaction"``, ``"12 interactions"``."""
    return f"{count} interaction" if count == 1 else f"{count} interactions"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tmf683``; return the exit status.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        0 done; 1 failed (a bad record, a store that cannot be opened or refuses a
        write, a file that cannot be read or written); 2 bad arguments (argparse
        exits with it).
    """
    args = build_parser().parse_args(argv)
    query = Query()
    if args.command == "export":
        try:
            query = export_query(args.query)
        except InvalidQueryError as exc:
            problems = "; ".join(f"{name} {message}" for name, message in exc.problems)
            return _fail(f"--query: {problems}")
        source = _sqlite_file(args.db)
        if source is not None and not source.is_file():
            return _fail(f"--db {args.db}: no such SQLite file")
        if args.output == "-" and sys.stdout is None:
            return _fail("stdout is closed; give --output FILE")
    elif args.file == "-" and sys.stdin is None:
        return _fail("stdin is closed; give the NDJSON file")
    elif args.file != "-" and not Path(args.file).is_file():
        return _fail(f"{args.file}: no such file")  # before a target is created
    try:
        store = open_store(args.db, query_timeout=None)
    except _STORE_ERRORS as exc:
        return _fail(f"--db {safe_location(args.db)}: {exc}")
    try:
        if args.command == "export":
            return _export(args, store, query)
        return _import(args, store)
    except BrokenPipeError:  # stdout closed early (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except _STORE_ERRORS as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:  # pragma: no cover - Ctrl-C
        return _fail("interrupted")
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
