"""gunicorn settings for ``tmf683_falcon.wsgi``: start and stop with each worker.

::

    gunicorn -c python:tmf683_falcon.gunicorn_conf -w 4 -b 0.0.0.0:8080

- ``wsgi_app``: :data:`tmf683_falcon.wsgi.application`, so no app argument is
  needed;
- :func:`post_worker_init`: a worker builds its store and app, and joins the
  dispatcher election, as it starts (not at its first request); a store that
  cannot be opened fails the boot, and gunicorn stops;
- :func:`worker_exit`: a stopping worker finishes its deliveries in flight and
  closes its store;
- :func:`child_exit`: with ``PROMETHEUS_MULTIPROC_DIR`` set, a dead worker's
  live gauges are removed (:func:`tmf683_falcon.mark_process_dead`).

- ``forwarded_allow_ips``: none, so gunicorn itself believes no proxy header
  (its default trusts ``X-Forwarded-Proto`` and friends from 127.0.0.1 and would
  change the scheme of every link and of the served contract behind the
  server's back); proxies are trusted with ``TMF683_TRUSTED_PROXY``
  (``--trusted-proxy``) only.
- ``logger_class``: ``tmf683_falcon.gunicorn_logging.Logger``, so gunicorn's
  own lines take the app's format (``TMF683_LOG_FORMAT``: JSON lines stay JSON).
- ``worker_class`` ``gthread`` with ``threads`` 4: a worker keeps HTTP/1.1
  connections open and serves 4 requests at once, so one waiting on the store
  does not hold its core (gunicorn's default ``sync`` worker serves one request
  per connection and closes it: on loopback it spent 1.4 times the CPU per read by
  id; ``docs/benchmarks.md``, "Several cores"). ``--threads`` on the command
  line wins; the sync worker needs ``-k sync --threads 1`` (gunicorn runs
  ``gthread`` for any ``threads`` above 1).

- :func:`on_starting`: ``reuse_port`` on when every bind is a TCP address with
  a port number (not ``unix:``, ``fd://``, port 0 or sockets handed over by
  systemd or a re-exec): each worker then listens on a socket of its own
  (``SO_REUSEPORT``) and the kernel spreads new connections over the workers.
  With one shared socket, the worker that wakes first accepts most of a burst
  of connections and keeps them (HTTP/1.1): 16 connections opened at once went
  16 to one worker and 0 to the other, which stayed idle (``docs/benchmarks.md``,
  "Several cores"). ``--reuse-port`` on the command line turns it on for the
  other binds too (gunicorn's own behaviour, at your risk: per-worker ``unix:``
  sockets replace one another's file).

Every other setting comes from the command line or ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "tmf683_falcon.wsgi:application"
forwarded_allow_ips = ""
logger_class = "tmf683_falcon.gunicorn_logging.Logger"
worker_class = "gthread"
threads = 4


def own_sockets_fit(addresses: list[Any], environ: dict[str, str]) -> bool:
    """Whether per-worker listening sockets can serve ``addresses``.

    Args:
        addresses: gunicorn's parsed binds (``cfg.address``): ``(host, port)``
            for TCP, a path text for ``unix:``, an int for ``fd://``.
        environ: the master's environment (``LISTEN_FDS`` from systemd,
            ``GUNICORN_FD`` from a re-exec: sockets gunicorn must take over).

    Returns:
        True when every bind is TCP with a port number other than 0 (port 0
        would give each worker a port of its own) and no socket is handed over.
    """
    if "LISTEN_FDS" in environ or "GUNICORN_FD" in environ:
        return False
    return bool(addresses) and all(
        isinstance(address, tuple) and address[1] != 0 for address in addresses
    )


def on_starting(server: Any) -> None:
    """In the master, before it listens: a socket per worker where that fits.

    Sets ``reuse_port`` when :func:`own_sockets_fit` the binds (see the module
    docstring); leaves it as given otherwise.
    """
    if own_sockets_fit(list(server.cfg.address), dict(os.environ)):
        server.cfg.set("reuse_port", True)


def post_worker_init(worker: Any) -> None:
    """Build this worker's runtime and start its dispatcher election."""
    from tmf683_falcon import wsgi

    wsgi.application.runtime()


def worker_exit(server: Any, worker: Any) -> None:
    """Close this worker's runtime (deliveries in flight first)."""
    from tmf683_falcon import wsgi

    wsgi.application.close()


def child_exit(server: Any, worker: Any) -> None:
    """In the master: forget a dead worker's prometheus multiprocess files.

    Does nothing without ``PROMETHEUS_MULTIPROC_DIR``
    (:func:`tmf683_falcon.mark_process_dead`).
    """
    from tmf683_falcon.metrics import mark_process_dead

    mark_process_dead(worker.pid)
