"""One attempt of one delivery: check its callback again, POST it, judge the outcome.

What a worker of :class:`~tmf683.events.dispatch.Dispatcher` does with each delivery
it takes: the callback's host is checked against today's allowlist (a subscription
may be older than it), the event is POSTed (with the default ``post``, to an address
the callback policy allows), and what happened becomes the
:class:`~tmf683.storage.base.AttemptOutcome` the store records: delivered, failed for
good (a host no longer allowed, a refused address, the last attempt), or to be
retried after the backoff delay. It never raises. Its log lines are the dispatcher's
(logger ``tmf683.events.dispatch``, as documented in the server guide).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from tmf683._errors import ValidationError
from tmf683.events.callbacks import CallbackPolicy
from tmf683.events.envelopes import validate_callback
from tmf683.events.transport import CallbackRefused, Post, post_json
from tmf683.storage.base import AttemptOutcome, Delivery

log = logging.getLogger("tmf683.events.dispatch")


class AttemptSettings(Protocol):
    """What an attempt reads of its dispatcher, at each attempt.

    :class:`~tmf683.events.dispatch.Dispatcher` documents each; it is read anew at
    every attempt, so a change to the dispatcher holds for the next one.
    """

    post: Post
    timeout: float
    token: Callable[[], str | None] | None
    allowed_hosts: frozenset[str] | None
    callback_policy: CallbackPolicy
    max_attempts: int
    clock: Callable[[], float]

    def delay(self, failures: int) -> float:
        """Seconds to wait after the given number of failed attempts (>= 1)."""
        ...


def attempt_outcome(delivery: Delivery, settings: AttemptSettings) -> AttemptOutcome:
    """POST one delivery; return the outcome to record (never raises).

    Args:
        delivery: the delivery a worker took, with its ``attempts`` so far.
        settings: the dispatcher's settings (``allowed_hosts``, ``post`` and so on).

    Returns:
        Delivered; failed for good (a host no longer allowed, an address the
        policy refuses, the last of ``max_attempts``) with the error; or failed
        with ``next_attempt_at`` after ``settings.delay`` of the failures so far.
    """
    try:
        validate_callback(delivery.callback, settings.allowed_hosts)
    except ValidationError:
        log.error(
            "event %s not sent: the host of %s is not allowed any more",
            delivery.event.get("eventId"),
            delivery.callback,
        )
        return AttemptOutcome(delivered=False, error="callback host not allowed")
    try:
        if settings.post is post_json:
            post_json(
                delivery.callback,
                delivery.event,
                settings.timeout,
                policy=settings.callback_policy,
                token=None if settings.token is None else settings.token(),
            )
        else:
            _check_literal(delivery.callback, settings.callback_policy)
            settings.post(delivery.callback, delivery.event, settings.timeout)
    except CallbackRefused as exc:
        log.error(
            "event %s not sent to %s: %s",
            delivery.event.get("eventId"),
            delivery.callback,
            exc,
        )
        return AttemptOutcome(delivered=False, error=str(exc))
    except Exception as exc:  # any failure to deliver counts as one attempt
        failures = delivery.attempts + 1
        if failures >= settings.max_attempts:
            log.error(
                "giving up on event %s to %s after %d attempts: %s",
                delivery.event.get("eventId"),
                delivery.callback,
                failures,
                exc,
            )
            return AttemptOutcome(delivered=False, error=str(exc))
        log.warning(
            "event %s to %s failed (%s); retry %d",
            delivery.event.get("eventId"),
            delivery.callback,
            exc,
            failures,
        )
        return AttemptOutcome(
            delivered=False,
            next_attempt_at=settings.clock() + settings.delay(failures),
            error=str(exc),
        )
    return AttemptOutcome(delivered=True)


def _check_literal(url: str, policy: CallbackPolicy) -> None:
    """Refuse a callback whose host is a literal address the policy refuses."""
    reason = policy.literal_refusal(url)
    if reason is not None:
        raise CallbackRefused(f"not sent: {reason}")
