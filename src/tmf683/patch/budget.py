"""The work one JSON Patch may do: steps and bytes written, counted as it applies.

A JSON Patch Query operation such as ``/note?id.ne=zz/text`` examines every element
of an array and becomes one plain operation per match, so 1,000 operations over an
array of 20,000 elements would be 40 million steps; a ``copy`` can double a document
with a few bytes of patch. Both are counted here, before the work is done, and a
patch going past either limit is refused (a :class:`~tmf683.ValidationError`, 400
``invalidBody`` over HTTP, like the other limits on a body): the same patch on the
same document is refused again, so retrying does not help. Nothing is stored.

A step is not a fixed time (a ``regex`` over a long text costs more than an ``id``
compared), so the service also gives the patch its store's query deadline
(``--query-timeout``), looked at on every step spent: past it the patch is stopped
with a :class:`~tmf683.QueryTimeoutError` (503 ``queryTimeout``), as a list query
is.
"""

from __future__ import annotations

from tmf683._errors import QueryTimeoutError, ValidationError
from tmf683._validation import MAX_DOCUMENT_BYTES
from tmf683.storage._deadline import Deadline

MAX_PATCH_STEPS = 100_000
"""The most steps one patch may take.

Every array element a JSON Patch Query filter examines is a step (once per value
the filter compares: ``id=1,2`` two), and so is every plain operation applied (a
plain JSON Patch of :data:`~tmf683.patch.json_patch.MAX_OPERATIONS` operations
takes 1,000). About 0.6 s of CPU on the 2-core development machine."""

MAX_WRITTEN_BYTES = 4 * MAX_DOCUMENT_BYTES
"""The most bytes of JSON one patch may write in all, 64 MiB.

The values its ``add`` and ``replace`` operations write, and the values its
``copy`` operations copy, once per element a query selects. It bounds the memory
and time of a patch that copies a document onto itself or doubles it; the size of
the result is bounded by :data:`~tmf683._validation.MAX_DOCUMENT_BYTES`, measured
once."""


class PatchBudget:
    """What one patch may still spend; each method refuses the patch past a limit.

    Args:
        steps: the steps allowed (default :data:`MAX_PATCH_STEPS`).
        written: the bytes of JSON it may write (default :data:`MAX_WRITTEN_BYTES`).
        timeout: seconds the patch may take from now; ``None``: no deadline.

    Attributes:
        steps_left, written_left: what is left to spend.
    """

    def __init__(
        self,
        steps: int = MAX_PATCH_STEPS,
        written: int = MAX_WRITTEN_BYTES,
        timeout: float | None = None,
    ) -> None:
        self.steps, self.written = steps, written
        self.steps_left, self.written_left = steps, written
        self.deadline = Deadline(timeout)

    def step(self, count: int, where: str) -> None:
        """Spend ``count`` steps before taking them.

        Args:
            count: elements about to be examined, or operations about to apply.
            where: the problem path of the operation, e.g. ``"$[3]"``.

        Raises:
            ValidationError: fewer than ``count`` steps are left.
            QueryTimeoutError: the deadline has passed (``patch=True``).
        """
        self.check_deadline()
        self.steps_left -= count
        if self.steps_left < 0:
            message = (
                f"takes the patch past {self.steps} steps (array elements its "
                "queries examine plus operations applied); split the patch or "
                "select fewer elements"
            )
            raise ValidationError([(where, message)])

    def check_deadline(self) -> None:
        """Raise when the patch's deadline has passed.

        Raises:
            QueryTimeoutError: it has (``patch=True``).
        """
        if self.deadline.expired():
            raise QueryTimeoutError(self.deadline.timeout or 0.0, patch=True)

    def write(self, size: int, where: str) -> None:
        """Spend ``size`` bytes before writing them.

        Args:
            size: bytes of JSON about to be written (or copied).
            where: the problem path of the operation, e.g. ``"$[3]"``.

        Raises:
            ValidationError: fewer than ``size`` bytes are left.
        """
        self.written_left -= size
        if self.written_left < 0:
            message = (
                f"takes the patch past {self.written} bytes of JSON written "
                "(values added, replaced or copied, in all)"
            )
            raise ValidationError([(where, message)])
