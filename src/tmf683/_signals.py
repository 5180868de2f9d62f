"""How the commands stop: SIGINT and SIGTERM, once each run.

``tmf683-server`` and ``tmf683-dispatcher`` run until a signal, then close what
they opened: the dispatcher waits for a delivery in flight (up to its timeout, 10
s by default), the stores close their connections. A second signal in that time
(a second Ctrl-C, GNU ``timeout`` signalling both the process and its group, a
supervisor repeating its SIGTERM) must not cut the close short with a traceback:
once stopping starts, the signals are ignored and the command says it is waiting.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""The signals that stop a command."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def interrupt_on_signals() -> None:
    """Make SIGTERM and SIGINT raise ``KeyboardInterrupt`` in the main thread.

    Raises:
        ValueError: called outside the main thread (``signal.signal``'s rule).
    """
    for stop in STOP_SIGNALS:
        signal.signal(stop, _interrupt)


def ignore_stop_signals(log: logging.Logger, waiting: str) -> None:
    """Ignore SIGTERM and SIGINT from now on, and say what the stop waits for.

    Args:
        log: where to say it (at INFO).
        waiting: what the close waits for, e.g. ``"up to 15 s for a delivery in
            flight"``; logged as ``stopping: waiting <waiting>``.

    Raises:
        ValueError: called outside the main thread (``signal.signal``'s rule).
    """
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    log.info("stopping: waiting %s", waiting)
