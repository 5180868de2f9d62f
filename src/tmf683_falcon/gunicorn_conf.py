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

Every other setting comes from the command line or ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

from typing import Any

wsgi_app = "tmf683_falcon.wsgi:application"
forwarded_allow_ips = ""
logger_class = "tmf683_falcon.gunicorn_logging.Logger"
worker_class = "gthread"
threads = 4


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
