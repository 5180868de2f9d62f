"""The Python sessions shown in the docs (```pycon blocks) run as written."""

import doctest
import re

import pytest

from tests.servers import REPO_ROOT

PAGES = sorted(
    page for page in (REPO_ROOT / "docs").glob("*.md") if "```pycon" in page.read_text()
)


def test_the_library_guide_has_sessions():
    assert REPO_ROOT / "docs" / "library.md" in PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_pycon_blocks_run_as_one_session(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```pycon\n(.*?)```", page.read_text(), flags=re.S)
    test = doctest.DocTestParser().get_doctest(
        "\n".join(blocks), {}, page.name, str(page), 0
    )
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 20
    assert result.failed == 0
