"""Realistic PartyInteraction documents for the benchmarks, deterministic per seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

STATUSES = ["open", "inProgress", "completed", "closed", "held"]
CHANNELS = ["email", "phone", "chat", "web", "shop"]
REASONS = [
    "billing question",
    "invoice dispute",
    "technical fault",
    "move house",
    "new contract",
    "cancel contract",
    "upgrade plan",
    "roaming charges",
    "device repair",
    "password reset",
    "payment arrangement",
    "coverage complaint",
    "number porting",
    "SIM replacement",
    "fraud report",
    "tariff change",
    "delivery status",
    "refund request",
    "service outage",
    "general information",
]
AGENTS = 500
YEAR_START = datetime(2024, 1, 1, tzinfo=UTC)


def customer_id(number: int) -> str:
    return f"C{number:07d}"


def interactions(
    count: int, seed: int = 683, *, extended: bool = False
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` v4 create bodies: 3 related parties, 2 channels, 2 notes.

    ``extended`` (issue 13) adds attributes of about 100 matches per value at any
    ``count``: the owner's ``name`` (``Team <k>``), the first note's ``author``
    (``agent-<k>``), an extension ``x-campaign`` (``K<k>``, declared by
    ``@schemaLocation``), and ``reason`` = :data:`CALLBACK` on one interaction in
    ``count // 100``; the other attributes are drawn as without it.

    Each channel has the ``role`` a v5 ``RelatedChannel`` requires, so the v5 view
    of a stored one is a valid v5 create body (:func:`v5_create_body`).
    """
    rng = random.Random(seed)
    extra = random.Random(seed + 1)  # the attributes of ~100 matches each (issue 13)
    buckets = max(1, count // 100)
    customers = max(1, count // 3)
    for _ in range(count):
        body = _body(rng, customers)
        if extended:
            _extend(body, extra, buckets)
        yield body


def _body(rng: random.Random, customers: int) -> dict[str, Any]:
    start = YEAR_START + timedelta(seconds=rng.randrange(365 * 24 * 3600))
    customer = customer_id(rng.randrange(customers))
    return {
        "channel": [
            {
                "id": channel,
                "name": channel.title(),
                "role": "interactionChannel",
                "@referredType": "Channel",
            }
            for channel in rng.sample(CHANNELS, 2)
        ],
        "direction": rng.choice(["inbound", "outbound"]),
        "reason": f"{rng.choice(REASONS)} #{rng.randrange(10_000)}",
        "description": "Customer called about the latest invoice and asked for "
        "a detailed breakdown of the charges.",
        "status": rng.choice(STATUSES),
        "interactionDate": {
            "startDateTime": start.isoformat(),
            "endDateTime": (
                start + timedelta(minutes=rng.randrange(1, 60))
            ).isoformat(),
        },
        "relatedParty": [
            {
                "id": customer,
                "role": "customer",
                "@referredType": "Individual",
                "name": f"Customer {customer}",
            },
            {
                "id": f"A{rng.randrange(AGENTS):04d}",
                "role": "agent",
                "@referredType": "Individual",
            },
            {
                "id": f"O{rng.randrange(50):03d}",
                "role": "owner",
                "@referredType": "Organization",
            },
        ],
        "note": [
            {"id": "1", "author": "agent", "text": "Explained the charges."},
            {"id": "2", "author": "agent", "text": "Customer satisfied."},
        ],
    }


CALLBACK = "callback requested"
"""The ``reason`` of one interaction in ``count // 100`` (about 100 at any count)."""


def _extend(body: dict[str, Any], extra: random.Random, buckets: int) -> None:
    body["relatedParty"][2]["name"] = f"Team {extra.randrange(buckets)}"
    body["note"][0]["author"] = f"agent-{extra.randrange(buckets)}"
    body["x-campaign"] = f"K{extra.randrange(buckets)}"
    body["@schemaLocation"] = "https://example.com/schemas/campaign.json"
    if extra.randrange(buckets) == 0:
        body["reason"] = CALLBACK


SET_BY_THE_SERVER = ("id", "href", "creationDate", "lastUpdate", "statusChangeDate")


def v5_create_body(view: dict[str, Any]) -> dict[str, Any]:
    """The v5 create body of a stored interaction's v5 view: what a client sends."""
    return {k: v for k, v in view.items() if k not in SET_BY_THE_SERVER}
