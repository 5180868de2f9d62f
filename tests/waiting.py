"""Wait on a condition with a deadline instead of sleeping (tests only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout: float = 10.0, *, interval: float = 0.01
) -> T:
    """Call ``predicate`` until it returns something truthy; return that value.

    Args:
        predicate: the condition, called at least once.
        timeout: seconds before giving up.
        interval: seconds between calls (a short yield of the CPU, not a guess of
            how long the condition takes).

    Raises:
        AssertionError: the condition did not hold within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)
