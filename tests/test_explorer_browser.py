"""The API explorer in a real browser: the distribution's headless Chromium.

Playwright drives ``/usr/bin/chromium`` (Debian's package; ``playwright install`` is
never run) on a fresh profile against a real ``tmf683-server``. For each version the
test opens ``{root}/docs``, reads the rendered DOM (every operation of the served
contract is listed, and nothing else), performs "try it out" on
``listPartyInteraction`` through the UI (the UI shows 200 and the interaction the
test created, and the request went to this server's API root), checks that no
request left the server's origin (no CDN: the page works offline) and that the
Content-Security-Policy blocked nothing, and saves a screenshot that is not blank.
On a server with ``--jwks``, *Authorize* takes a token and "try it out" then gets the
200 that the same call without it does not.

The browser tests take 20 to 45 seconds together on a shared two-core machine
(Chromium's start, Swagger UI rendering the 180 kB v5 OAS) and are marked ``slow``:
``make test`` and CI run them, ``make test-fast`` leaves them out.

Without Chromium (or Playwright) the tests skip with the reason, unless ``CI`` or
``TMF683_REQUIRE_BROWSER`` is set: then they fail (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import png
from tests.conftest import MINIMAL
from tests.servers import ServerProcess
from tests.tokens import AUDIENCE, ISSUER, Keys, jwks_served, sign

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000
"""Bound on every browser step (navigation, selector, click, response)."""
METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}
ROOTS = {
    "v4": "/tmf-api/partyInteraction/v4",
    "v5": "/tmf-api/partyInteractionManagement/v5",
}


def _missing(reason: str) -> None:
    if os.environ.get("CI") or os.environ.get("TMF683_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (required: CI or TMF683_REQUIRE_BROWSER is set)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        _missing("no chromium: apt-get install -y chromium")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def context(chromium, tmp_path_factory) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("no playwright: pip install playwright (never `playwright install`)")
    with sync_playwright() as playwright:
        browser_context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            timeout=TIMEOUT_MS,
        )
        browser_context.set_default_timeout(TIMEOUT_MS)
        try:
            yield browser_context
        finally:
            browser_context.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess("--db", "memory:", "--no-dispatcher") as running:
        yield running


@pytest.fixture(scope="module")
def created(server) -> str:
    with httpx.Client(timeout=10) as http:
        answer = http.post(f"{server.bases['v4']}partyInteraction", json=MINIMAL)
        assert answer.status_code == 201
        identifier: str = answer.json()["id"]
        return identifier


def operations(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(METHOD, path, operationId)`` of every operation of a contract."""
    return sorted(
        (method.upper(), path, operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    )


LISTED = """els => els.map(e => [
  e.querySelector('.opblock-summary-method').innerText.trim(),
  (e.querySelector('.opblock-summary-path').getAttribute('data-path')
   || e.querySelector('.opblock-summary-path').innerText).replace(/\\u200b/g, ''),
  e.querySelector('.opblock-summary-operation-id').innerText.trim()])"""

WATCH_CSP = """window.__blocked = [];
document.addEventListener('securitypolicyviolation',
  e => window.__blocked.push(e.violatedDirective + ' ' + e.blockedURI));"""


def try_listing(page: Any, root: str) -> Any:
    """Expand ``listPartyInteraction``, *Try it out*, *Execute*: the live response.

    Checks that the request went to ``{root}/partyInteraction`` and answered 200,
    and that the UI shows the 200 and that URL.
    """
    block = page.locator(
        ".opblock",
        has=page.locator(
            ".opblock-summary-operation-id",
            has_text=re.compile(r"^\s*listPartyInteraction\s*$"),
        ),
    )
    block.locator(".opblock-summary").first.click()
    block.locator("button.try-out__btn").click()
    with page.expect_response(
        lambda r: (
            r.request.method == "GET"
            and r.url.split("?")[0] == f"{root}/partyInteraction"
        ),
        timeout=TIMEOUT_MS,
    ) as listed:
        block.locator("button.execute").click()
    assert listed.value.status == 200
    live = block.locator(".live-responses-table")
    status = live.locator(".response .response-col_status").first
    assert status.inner_text().strip() == "200"
    assert (
        block.locator(".request-url pre")
        .inner_text()
        .startswith(f"{root}/partyInteraction")
    )
    return live


@pytest.mark.slow
@pytest.mark.parametrize("version", ["v4", "v5"])
def test_the_explorer_lists_every_operation_and_tries_one_out(
    context, server, created, version, tmp_path
):
    root = f"{server.root}{ROOTS[version]}"
    with httpx.Client(timeout=10) as http:
        expected = operations(http.get(f"{root}/openapi.json").json())
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        url = route.request.url
        if url.startswith(f"{server.root}/") or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page = context.new_page()
    try:
        page.route("**/*", only_this_server)
        page.add_init_script(WATCH_CSP)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{root}/docs", timeout=TIMEOUT_MS)
        page.wait_for_selector(".opblock .opblock-summary-operation-id")
        assert (
            sorted(tuple(row) for row in page.eval_on_selector_all(".opblock", LISTED))
            == expected
        )
        title = page.locator(".info .title").inner_text()
        assert f"{version[1]}.0.0" in title  # the info of the version's own file

        live = try_listing(page, root)
        assert (
            created
            in live.locator(".response .response-col_description").first.inner_text()
        )

        shot = tmp_path / f"explorer-{version}.png"
        page.screenshot(path=str(shot))
        assert png.colours(shot.read_bytes()) > 50
        assert page.evaluate("window.__blocked") == []
        assert outside == []
        assert errors == []
    finally:
        page.close()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def guarded(keys) -> Iterator[ServerProcess]:
    with (
        jwks_served(keys.jwks()) as jwks,
        ServerProcess(
            "--db",
            "memory:",
            "--no-dispatcher",
            *("--jwks", jwks.url, "--issuer", ISSUER, "--audience", AUDIENCE),
        ) as running,
    ):
        yield running


@pytest.mark.slow
@pytest.mark.parametrize("version", ["v4", "v5"])
def test_with_tokens_authorize_then_try_it_out(context, guarded, keys, version):
    root = f"{guarded.root}{ROOTS[version]}"
    token = sign(keys.rsa)
    assert httpx.get(f"{root}/partyInteraction", timeout=10).status_code == 401
    page = context.new_page()
    try:
        page.goto(f"{root}/docs", timeout=TIMEOUT_MS)
        page.locator(".auth-wrapper button.authorize").click()
        # v4 declares an apiKey (the whole header value), v5 an http bearer scheme
        typed = f"Bearer {token}" if version == "v4" else token
        page.locator(".auth-container input").first.fill(typed)
        page.locator(".auth-btn-wrapper button.authorize").click()
        page.locator(".auth-btn-wrapper button.btn-done").click()
        try_listing(page, root)  # 200: the UI sent the token
    finally:
        page.close()


@pytest.mark.slow
def test_a_blank_page_counts_as_blank(context):
    # the other side of the screenshot check: an empty page has one colour
    page = context.new_page()
    try:
        page.set_content("<html><body></body></html>")
        assert png.colours(page.screenshot()) == 1
    finally:
        page.close()


@pytest.mark.parametrize("variable", ["CI", "TMF683_REQUIRE_BROWSER"])
def test_a_missing_browser_fails_where_one_is_required(monkeypatch, variable):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TMF683_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        _missing("no chromium")
    monkeypatch.setenv(variable, "1")
    with pytest.raises(pytest.fail.Exception, match="required"):
        _missing("no chromium")
