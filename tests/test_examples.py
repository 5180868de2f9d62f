"""Every examples/*.py runs to completion and does what it says."""

import subprocess
import sys

import pytest

from tests.servers import REPO_ROOT

EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.py"))
EXPECTED = {
    "library_in_process.py": [
        "created ",
        "interaction started at 2024-05-01T08:00:00.000000Z",
        "open inbound interactions: 1 Customer asks why",
        "status now completed",
        "refused: $.channel is required",
        "deleted: no PartyInteraction with id",
    ],
    "mount_in_falcon_app.py": [
        "health: {'status': 'up'}",
        "created: 201 http://127.0.0.1:",
        "/bss/tmf-api/partyInteraction/v4/partyInteraction/",
    ],
    "property_test_toy_engine.py": [
        "toy engine agrees with tmf683.testing.matches",
        "a case-insensitive variant is caught",
    ],
    "receive_events.py": [
        "subscribed: 201 eventType=PartyInteractionCreateEvent",
        "created: 201 ",
        "received: PartyInteractionCreateEvent for ",
        "same interaction: True",
    ],
}


def test_every_example_has_expectations():
    assert {path.name for path in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(example):
    result = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for expected in EXPECTED[example.name]:
        assert expected in result.stdout
