"""Use tmf683 inside your own Python service: no HTTP, a SQLite file as the store.

Run: python examples/library_in_process.py [PATH_TO_DB]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tmf683 import NotFoundError, PartyInteractionService, SQLiteStore, ValidationError


def main(db_path: Path) -> None:
    """Record a call, find it again, update it, show the errors, then delete it."""
    store = SQLiteStore(db_path)
    service = PartyInteractionService(
        store, base_url="https://bss.example.com/tmf-api/partyInteraction/v4"
    )
    try:
        call = service.create(
            {
                "channel": [{"id": "phone-1", "name": "phone"}],
                "direction": "inbound",
                "reason": "Customer asks why the last invoice doubled",
                "status": "open",
                "interactionDate": {"startDateTime": "2024-05-01T10:00:00+02:00"},
                "relatedParty": [
                    {"id": "C-42", "role": "customer", "@referredType": "Individual"}
                ],
            }
        )
        print("created", call["id"], call["href"])
        print("interaction started at", call["interactionDate"]["startDateTime"])

        page = service.list("status=open&direction=inbound&fields=reason")
        print("open inbound interactions:", page.total_count, page.items[0]["reason"])

        closed = service.patch(call["id"], {"status": "completed"})
        print("status now", closed["status"], "since", closed["statusChangeDate"])

        try:
            service.create({"direction": "inbound"})
        except ValidationError as exc:
            print("refused:", "; ".join(f"{p} {m}" for p, m in exc.problems))

        service.delete(call["id"])
        try:
            service.retrieve(call["id"])
        except NotFoundError as exc:
            print("deleted:", exc)
    finally:
        store.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(Path(folder) / "interactions.db")
