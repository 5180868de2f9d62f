"""Without PostgreSQL, its tests skip and say why; with TMF683_REQUIRE_POSTGRES=1
they fail instead (as in CI)."""

import os
import subprocess
import sys

import pytest

from tests.servers import REPO_ROOT

pytestmark = pytest.mark.slow

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/postgres"
ONE_TEST = "tests/test_postgres_store.py::test_open_store_selects_postgres_by_url"


def run_one(**env):
    return subprocess.run(
        [sys.executable, "-m", "pytest", ONE_TEST, "-rsE", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env={**os.environ, "TMF683_TEST_POSTGRES": UNREACHABLE, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("required", "code", "outcome"), [("", 0, "1 skipped"), ("1", 1, "1 error")]
)
def test_an_unreachable_server_skips_unless_required(required, code, outcome):
    result = run_one(TMF683_REQUIRE_POSTGRES=required)
    assert result.returncode == code, result.stdout
    assert outcome in result.stdout
    assert "no PostgreSQL answers at 127.0.0.1:1/postgres" in result.stdout
    assert "TMF683_TEST_POSTGRES" in result.stdout
