"""``tmf683_falcon.wsgi:application``: the server for gunicorn or any WSGI server.

Configured from the environment only: the same options as ``tmf683-server``, each
read from its ``TMF683_...`` variable (``TMF683_DB``, ``TMF683_MAX_PAGE_SIZE``,
...; see ``docs/server.md``). The options about listening (``--host``,
``--port``, ``--threads``, the connection limits and timeouts) are the WSGI
server's business and are ignored here.

::

    TMF683_DB=postgresql://tmf683@db/tmf683 gunicorn -w 4 tmf683_falcon.wsgi:application

Nothing starts at import (``gunicorn --preload`` imports in the master, before it
forks): each process builds its store, services and app when it first serves a
request (or at worker start with :mod:`tmf683_falcon.gunicorn_conf`), and then
starts an :class:`~tmf683.ElectedDispatcher`, so that one process of those on the
store delivers the hub events (the one holding the store's dispatcher lock; the
others take over within seconds when it dies). The process closes it all at exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from wsgiref.types import StartResponse, WSGIEnvironment

from tmf683 import ElectedDispatcher, configure_logging, safe_location
from tmf683_falcon.config import parse
from tmf683_falcon.runtime import DISPATCHER_STOP_SECONDS, Runtime, StartupError, build

log = logging.getLogger("tmf683.server")


class Application:
    """A WSGI application that builds its runtime in the process that calls it.

    Args:
        argv: options as on the ``tmf683-server`` command line, read before the
            environment; default none (the environment and the defaults).

    Raises:
        StartupError: an option or a ``TMF683_...`` variable that is not usable
            (its error line is printed on stderr first).
    """

    def __init__(self, argv: Sequence[str] = ()) -> None:
        try:
            self.args = parse(list(argv))
        except SystemExit as exc:
            raise StartupError(
                "the tmf683 options are not usable; see the error line above"
            ) from exc
        self._guard = threading.Lock()
        self._runtime: Runtime | None = None
        self._pid: int | None = None

    def runtime(self) -> Runtime:
        """This process's runtime, built (and its dispatcher started) on first use.

        A process forked from one that had built it builds its own.

        Raises:
            StartupError: the store cannot be opened, a ``TMF683_JWKS`` or
                ``TMF683_DELIVERY_TOKEN_FILE`` cannot be read.
        """
        runtime, pid = self._runtime, os.getpid()
        if runtime is not None and self._pid == pid:
            return runtime
        with self._guard:
            if self._runtime is None or self._pid != pid:
                self._runtime = self._start()
                self._pid = pid
            return self._runtime

    def _start(self) -> Runtime:
        if not logging.getLogger().handlers:  # an embedding app's logging is kept
            configure_logging(self.args.log_level, self.args.log_format)
        runtime = build(self.args, elected=True)
        for version, prefix in runtime.prefixes.items():
            log.info(
                "process %s serves TMF683 %s under %s/ (store: %s)",
                os.getpid(),
                version,
                prefix,
                safe_location(self.args.db),
            )
        if not self.args.no_dispatcher:
            runtime.dispatcher.start()
        atexit.register(self.close)
        return runtime

    @property
    def dispatcher(self) -> ElectedDispatcher:
        """This process's elected dispatcher (``is_alive()`` None: another runs)."""
        dispatcher = self.runtime().dispatcher
        assert isinstance(dispatcher, ElectedDispatcher)  # noqa: S101 - elected=True
        return dispatcher

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Serve one request (WSGI, PEP 3333)."""
        return self.runtime().app(environ, start_response)

    def close(self, timeout: float = DISPATCHER_STOP_SECONDS) -> None:
        """Stop this process's dispatcher and close its store (nothing if not built).

        Args:
            timeout: seconds to wait for deliveries in flight.
        """
        with self._guard:
            runtime, self._runtime = self._runtime, None
            built_here = self._pid == os.getpid()
        if runtime is not None and built_here:
            runtime.close(timeout)


application = Application()
"""The WSGI application, configured from the ``TMF683_...`` environment."""
