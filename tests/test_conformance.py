"""Postman collections run by newman against a freshly started server.

- The official TM Forum CTK for TMF683 v4, taken from ``TMF683_CTK_DIR`` or
  ``../shared/ctk`` beside the checkout; never copied into this project.
- Our own collections in ``tests/conformance/``, which check what the CTK does not:
  one for v4, one for v5 served beside v4 over one store (every v5 response against
  the OAS schemas, both roots, the same interactions across versions).

newman comes from ``npm ci`` (``package.json`` and its lockfile). Where the CTK or
newman is missing the tests skip and say how to provide them, unless
``TMF683_REQUIRE_CTK=1`` (set by ``.ci/run``), which turns the absence into a failure.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.servers import REPO_ROOT, ServerProcess

pytestmark = pytest.mark.slow

NEWMAN = REPO_ROOT / "node_modules" / ".bin" / "newman"
CTK_COLLECTION = "TMF683-PartyInteraction-v4.0.0.testkit.json"
CTK_ENVIRONMENT = "TMFENV-V4.0.0.postman_environment.json"
CONFORMANCE = REPO_ROOT / "tests" / "conformance"
OWN_COLLECTION = CONFORMANCE / "tmf683-conformance.postman_collection.json"
V5_COLLECTION = CONFORMANCE / "tmf683-v5-conformance.postman_collection.json"
V5_MIN_ASSERTIONS = 1000
NEWMAN_TIMEOUT_SECONDS = 300
REQUIRED = os.environ.get("TMF683_REQUIRE_CTK") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (TMF683_REQUIRE_CTK=1 makes this a failure)")
    pytest.skip(reason)


def ctk_dir() -> Path:
    configured = os.environ.get("TMF683_CTK_DIR")
    folder = Path(configured) if configured else REPO_ROOT.parent / "shared" / "ctk"
    if not (folder / CTK_COLLECTION).is_file():
        _unavailable(
            f"official TMF683 v4 CTK not found in {folder}: the official CTK step was "
            "skipped; set TMF683_CTK_DIR=/path/to/ctk (the folder holding "
            f"{CTK_COLLECTION}) to run it"
        )
    return folder


def newman() -> Path:
    if not NEWMAN.is_file():
        _unavailable("newman is not installed: run `npm ci` in the project folder")
    return NEWMAN


def run_newman(collection: Path, base: str, report: Path, *extra: str) -> Any:
    command = [
        str(newman()),
        "run",
        str(collection),
        *extra,
        "--env-var",
        f"Party_Interaction={base}",
        "--reporters",
        "cli,json",
        "--reporter-json-export",
        str(report),
        "--timeout-request",
        "10000",
        "--color",
        "off",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=NEWMAN_TIMEOUT_SECONDS
    )
    print(result.stdout[-4000:])
    assert report.is_file(), result.stdout + result.stderr
    summary = json.loads(report.read_text())["run"]
    failures = [
        f"{f['source'].get('name')}: {f['error'].get('message')}"
        for f in summary["failures"]
    ]
    assert failures == []
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return summary["stats"]


@pytest.mark.newman
def test_official_ctk_passes_against_a_fresh_server(tmp_path, database):
    folder = ctk_dir()
    with ServerProcess("--db", database) as server:
        stats = run_newman(
            folder / CTK_COLLECTION,
            server.base,
            tmp_path / "ctk.json",
            "--environment",
            str(folder / CTK_ENVIRONMENT),
        )
    assert stats["requests"]["total"] == 18
    assert stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] > 100


@pytest.mark.newman
def test_own_conformance_collection_passes_twice_against_a_fresh_server(
    tmp_path, database
):
    assert OWN_COLLECTION.is_file()
    with ServerProcess("--db", database) as server:
        for run in ("first", "second"):
            stats = run_newman(OWN_COLLECTION, server.base, tmp_path / f"{run}.json")
            assert stats["assertions"]["failed"] == 0
            assert stats["assertions"]["total"] > 50


@pytest.mark.newman
def test_own_v5_collection_passes_twice_against_a_fresh_server(tmp_path, database):
    requests = sum(
        len(folder["item"]) for folder in json.loads(V5_COLLECTION.read_text())["item"]
    )
    with ServerProcess("--db", database, "--versions", "v4,v5") as server:
        v4_root = f"Party_Interaction_v4={server.bases['v4']}"
        for run in ("first", "second"):
            stats = run_newman(
                V5_COLLECTION,
                server.bases["v5"],
                tmp_path / f"v5-{run}.json",
                "--env-var",
                v4_root,
            )
            assert stats["requests"]["total"] == requests
            assert stats["requests"]["failed"] == 0
            assert stats["assertions"]["failed"] == 0
            assert stats["assertions"]["total"] > V5_MIN_ASSERTIONS


@pytest.mark.parametrize(
    ("builder", "committed"),
    [
        ("tests.conformance.build_collection", OWN_COLLECTION),
        ("tests.conformance.build_collection_v5", V5_COLLECTION),
    ],
)
def test_committed_collection_is_the_builders_output(tmp_path, builder, committed):
    built = tmp_path / "built.json"
    subprocess.run(
        [sys.executable, "-m", builder, str(built)],
        check=True,
        capture_output=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert built.read_bytes() == committed.read_bytes()
