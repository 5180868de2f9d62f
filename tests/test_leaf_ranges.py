"""A range of two bounds on one path reads only its own rows of the leaf index.

SQLite took the kind guard (``value >= ''``) as the lower bound of the primary key's
range in place of the query's, so ``a.gte=x&a.lt=y`` read every text below ``y``
(issue 13: 113 ms at 1M interactions). The work is counted in SQLite virtual
machine steps: the same narrow range costs the same at either end of the values.
"""

from __future__ import annotations

from pathlib import Path

from tmf683 import SQLiteStore, parse_query
from tmf683.storage._sql.compiler import compile_query
from tmf683.storage.sqlite._dialect import DIALECT

COUNT = 3000


def _steps(store: SQLiteStore, text: str) -> tuple[int, int]:
    """The count of a query and the virtual machine steps (of 10) it took."""
    compiled = compile_query(parse_query(text), DIALECT)
    conn = store._db().conn
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn.set_progress_handler(step, 10)
    try:
        (total,) = conn.execute(compiled.count, compiled.params).fetchone()
    finally:
        conn.set_progress_handler(None, 0)
    return total, steps


def test_a_two_sided_text_range_reads_its_rows_only(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "r.db")
    try:
        store.add_many([{"id": f"I{n}", "reason": f"r{n:05d}"} for n in range(COUNT)])
        low = _steps(store, "reason.gte=r00010&reason.lt=r00015")
        high = _steps(store, f"reason.gte=r{COUNT - 10:05d}&reason.lt=r{COUNT - 5:05d}")
        assert low[0] == high[0] == 5
        assert high[1] < 2 * low[1] + 20, (low, high)
    finally:
        store.close()
