"""How the commands stop: SIGINT and SIGTERM, once each run.

``tmf683-server`` and ``tmf683-dispatcher`` run until a signal, then close what
they opened: the dispatcher waits for a delivery in flight (up to its timeout, 10
s by default), the stores close their connections. A second signal in that time
(a second Ctrl-C, GNU ``timeout`` signalling both the process and its group, a
supervisor repeating its SIGTERM) must not cut the close short with a traceback:
once stopping starts, the signals are ignored and the command says it is waiting.
"""

from __future__ import annotations

import atexit
import logging
import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""The signals that stop a command."""


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Do nothing: the handler of a signal that comes while the command stops.

    Not ``SIG_IGN``: a signal already pending when the handler changes to
    ``SIG_IGN`` makes CPython print ``OSError: Signal 15 ignored due to race
    condition`` with a traceback.
    """


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # ignored from here on, before the raise: a second signal close behind the
    # first (SIGINT then SIGTERM) would otherwise raise again inside the cleanup
    # the first one starts (a lock's release, a thread's join)
    for stop in STOP_SIGNALS:
        signal.signal(stop, _ignore)
    raise KeyboardInterrupt


def interrupt_on_signals() -> None:
    """Make the first SIGTERM or SIGINT raise ``KeyboardInterrupt`` in the main thread.

    The first one also makes both ignored from then on (as
    :func:`ignore_stop_signals`), so the stop it starts runs to its end.

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
        signal.signal(stop, _ignore)
    # and SIG_IGN at exit: Python puts its own handlers back to SIG_DFL when it
    # finalizes, where a late signal would then kill the stopped process
    atexit.register(_ignore_at_exit)
    log.info("stopping: waiting %s", waiting)


def _ignore_at_exit() -> None:
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
