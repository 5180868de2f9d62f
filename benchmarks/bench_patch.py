"""The worst JSON Patches found by an adversarial pass: CPU until each is answered.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_patch.py

Through the library service (v4 and v5, the memory store, no deadline so only the
counted limits act), prints the answer and the CPU seconds of each patch:

- 100 ``test`` operations over 5,000 notes (27.6 s of CPU before the step budget);
- 1,000 ``replace`` operations over 20,000 notes (193 s v4, 270 s v5 before);
- one ``replace`` over all 20,000 notes (40,000 steps: passes);
- 100 copies of a 200 KB value onto itself (refused as "larger than 16 MiB" before).

The goal of the budgets is that each refused patch is answered within about a second
on the development machine, and that the legitimate ones pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tmf683 import (
    MemoryStore,
    PartyInteractionService,
    PartyInteractionServiceV5,
    PatchFormat,
    Tmf683Error,
)

V4_BODY: dict[str, Any] = {"channel": [{"id": "1"}], "direction": "in", "reason": "r"}
V5_BODY: dict[str, Any] = {
    "@type": "PartyInteraction",
    "direction": "inbound",
    "reason": "r",
    "relatedChannel": [
        {
            "@type": "RelatedChannel",
            "role": "interactionChannel",
            "channel": {"@type": "ChannelRef", "id": "1"},
        }
    ],
}

Create = Callable[[dict[str, Any]], dict[str, Any]]
Patch = Callable[[str, list[dict[str, Any]], PatchFormat], dict[str, Any]]

CASES: list[tuple[str, int, str, list[dict[str, Any]], PatchFormat]] = [
    (
        "100 tests over 5,000 notes",
        5000,
        "",
        [{"op": "test", "path": "/note?id.ne=zz/text", "value": "t"}] * 100,
        PatchFormat.JSON_PATCH_QUERY,
    ),
    (
        "1,000 replaces over 20,000 notes",
        20_000,
        "",
        [{"op": "replace", "path": "/note?text.regex=^t/text", "value": "t"}] * 1000,
        PatchFormat.JSON_PATCH_QUERY,
    ),
    (
        "1 replace over 20,000 notes",
        20_000,
        "",
        [{"op": "replace", "path": "/note?text.regex=^t/text", "value": "u"}],
        PatchFormat.JSON_PATCH_QUERY,
    ),
    (
        "100 copies of 200 KB onto itself",
        0,
        "y" * 200_000,
        [{"op": "copy", "from": "/description", "path": "/description"}] * 100,
        PatchFormat.JSON_PATCH,
    ),
]


def run(version: str, create: Create, patch: Patch, note: dict[str, Any]) -> None:
    """Create each case's interaction and time its patch (CPU seconds)."""
    body = V4_BODY if version == "v4" else V5_BODY
    for name, count, description, operations, patch_format in CASES:
        document = {**body, "note": [{**note, "id": str(n)} for n in range(count)]}
        if description:
            document["description"] = description
        id = create(document)["id"]
        start = time.process_time()
        try:
            patch(id, operations, patch_format)
            answer = "passed"
        except Tmf683Error as exc:
            answer = f"refused: {str(exc)[:70]}"
        seconds = time.process_time() - start
        print(f"{version}  {name:34} {seconds:6.2f} s  {answer}")


def main() -> None:
    """Run every case in v4 and in v5."""
    v4 = PartyInteractionService(MemoryStore(query_timeout=None))
    v5 = PartyInteractionServiceV5(v4)
    run(
        "v4",
        v4.create,
        lambda id, ops, kind: v4.patch(id, ops, patch_format=kind),
        {"text": "t"},
    )
    run(
        "v5",
        v5.create,
        lambda id, ops, kind: v5.patch(id, ops, patch_format=kind),
        {"@type": "Note", "text": "t"},
    )


if __name__ == "__main__":
    main()
