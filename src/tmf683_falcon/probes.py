"""``GET /health`` (liveness) and ``GET /ready`` (readiness), at the server root.

Both answer ``application/health+json`` (the IETF draft "Health Check Response
Format for HTTP APIs", the form ODA components and Kubernetes probes read), need
no token and are never cached (``Cache-Control: no-store``).

``/health`` is ``{"status": "pass"}`` with 200. It touches no store, so it answers
while every store connection is busy with expensive queries.

``/ready`` checks what the process needs to serve: the store answers a trivial
query within a deadline and has the schema version this tmf683 writes
(``check_ready`` of the store), and the dispatcher runs where this process runs
one. 200 ``{"status": "pass", "checks": {...}}`` when all pass; 503
``{"status": "fail", "output": "<reason>", "checks": {...}}`` otherwise, with
``checks`` holding one entry per check (``store:responsive``,
``dispatcher:alive``) in the draft's ``componentName:measurementName`` form.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

import falcon

from tmf683 import PartyInteractionStore, StoreUnavailableError

HEALTH_MEDIA_TYPE = "application/health+json"
HEALTH_PATH = "/health"
READY_PATH = "/ready"
READY_TIMEOUT = 2.0
"""Seconds the store check of ``/ready`` may take before the probe fails."""


class Liveness(Protocol):
    """What ``/ready`` asks a dispatcher (:class:`~tmf683.Dispatcher` is one)."""

    def is_alive(self) -> bool | None:
        """Whether the dispatcher runs.

        ``True``: it runs; ``False``: it should and does not; ``None``: this
        process runs no dispatcher (another one delivers), nothing to check.
        """
        ...


class Health:
    """The ``/health`` resource: ``GET`` and ``HEAD`` answer 200, status ``pass``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 with ``{"status": "pass"}`` as ``application/health+json``."""
        resp.content_type = HEALTH_MEDIA_TYPE
        resp.text = '{"status": "pass"}'
        resp.cache_control = ["no-store"]

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer as ``GET`` does, without the body."""
        self.on_get(req, resp)


class StoreCheck:
    """Runs a store's ``check_ready`` in a thread of its own, bounded in time.

    A store hung in a system call cannot hang the probe: the caller waits
    ``timeout`` seconds at most. While a check that ran past its deadline still
    hangs, later probes fail at once instead of starting another thread, so a
    hung store holds one thread, however often it is probed.

    Args:
        store: the store to check.
        timeout: seconds one check may take.
    """

    def __init__(self, store: PartyInteractionStore, timeout: float) -> None:
        self.store = store
        self.timeout = timeout
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None

    def __call__(self) -> str | None:
        """Check the store; return ``None`` when it is ready, else the reason."""
        with self._lock:
            if self._running is not None and self._running.is_alive():
                return (
                    f"the store has not answered an earlier check for more than "
                    f"{self.timeout:g} s"
                )
            outcome: list[str | None] = []
            thread = threading.Thread(
                target=self._check, args=(outcome,), name="tmf683-ready", daemon=True
            )
            self._running = thread
            thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            return f"the store did not answer within {self.timeout:g} s"
        return outcome[0] if outcome else "the store check ended without an answer"

    def _check(self, outcome: list[str | None]) -> None:
        try:
            # the store's own deadline comes first: its reason beats "no answer"
            self.store.check_ready(self.timeout * 0.9)
        except StoreUnavailableError as exc:
            outcome.append(str(exc))
        except Exception as exc:  # any failure of the check is a failed probe
            outcome.append(f"{type(exc).__name__}: {exc}")
        else:
            outcome.append(None)


class Ready:
    """The ``/ready`` resource: the store (and dispatcher) checks, see the module.

    Args:
        store: the store the app serves.
        dispatcher: the dispatcher of this process, or ``None`` when it runs none
            (or answers ``is_alive() -> None``).
        timeout: seconds the store check may take.
    """

    def __init__(
        self,
        store: PartyInteractionStore,
        dispatcher: Liveness | None = None,
        timeout: float = READY_TIMEOUT,
    ) -> None:
        self.store_check = StoreCheck(store, timeout)
        self.dispatcher = dispatcher

    def checks(self) -> tuple[str | None, dict[str, list[dict[str, str]]]]:
        """Run the checks: the first failure's reason (or ``None``) and ``checks``."""
        failures: list[str] = []
        checks: dict[str, list[dict[str, str]]] = {}
        reason = self.store_check()
        checks["store:responsive"] = [_entry(reason)]
        if reason is not None:
            failures.append(reason)
        alive = None if self.dispatcher is None else self.dispatcher.is_alive()
        if alive is not None:
            reason = None if alive else "the event dispatcher is not running"
            checks["dispatcher:alive"] = [_entry(reason)]
            if reason is not None:
                failures.append(reason)
        return ("; ".join(failures) or None), checks

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 ``pass`` or 503 ``fail`` with the reason, as health+json."""
        reason, checks = self.checks()
        body: dict[str, Any] = {"status": "pass" if reason is None else "fail"}
        if reason is not None:
            body["output"] = reason
            resp.status = falcon.HTTP_503
        body["checks"] = checks
        resp.content_type = HEALTH_MEDIA_TYPE
        resp.text = json.dumps(body)
        resp.cache_control = ["no-store"]

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer as ``GET`` does, without the body."""
        self.on_get(req, resp)


def _entry(reason: str | None) -> dict[str, str]:
    if reason is None:
        return {"status": "pass"}
    return {"status": "fail", "output": reason}
