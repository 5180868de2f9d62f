"""The deadline of one list query, for work done in Python between statements."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tmf683._errors import QueryTimeoutError

T = TypeVar("T")

CHECK_EVERY = 256
"""How many items :meth:`Deadline.bounded` yields between two looks at the clock."""


class Deadline:
    """``timeout`` seconds from now (:func:`time.monotonic`); ``None``: no deadline.

    Args:
        timeout: the query's budget in seconds, or ``None``.
    """

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.at = None if timeout is None else time.monotonic() + timeout

    def expired(self) -> bool:
        """Whether the deadline has passed (never, without one)."""
        return self.at is not None and time.monotonic() > self.at

    def check(self) -> None:
        """Raise when the deadline has passed.

        Raises:
            QueryTimeoutError: it has (naming the timeout in seconds).
        """
        if self.expired():
            raise QueryTimeoutError(self.timeout or 0.0)

    def bounded(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, checking the deadline every :data:`CHECK_EVERY` items.

        Raises:
            QueryTimeoutError: the deadline passed while they were consumed.
        """
        for number, item in enumerate(items):
            if number % CHECK_EVERY == 0:
                self.check()
            yield item
