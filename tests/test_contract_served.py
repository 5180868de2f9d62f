"""Each API root serves its contract (``openapi.json``) and an explorer (``docs``).

On a real ``tmf683-server``: the served document is TM Forum's shipped file with only
the address replaced (and a bearer scheme with ``--jwks``); the files are the ones the
server checks v5 bodies with and the fuzzer fuzzes with (one copy of each in the
repository); the explorer's page and files are served with their types, caching and
security headers, without a token, through the Host and Accept checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import falcon
import httpx
import pytest
import yaml

from tests.servers import REPO_ROOT, ServerProcess
from tests.test_fuzz import corrected_v4
from tests.tokens import AUDIENCE, ISSUER, JwksServer, Keys, jwks_served, sign
from tests.wsgi import serving
from tmf683 import (
    MemoryStore,
    PartyInteractionService,
    PartyInteractionServiceV5,
    contract_document,
    shipped_contract,
)
from tmf683.versions import v5contract
from tmf683.versions.contract import CONTRACT_FILES, contract_path
from tmf683_falcon import create_app, mount

V4_ROOT = "/tmf-api/partyInteraction/v4"
V5_ROOT = "/tmf-api/partyInteractionManagement/v5"
ADDRESS_KEYS = {"v4": {"host", "basePath", "schemes"}, "v5": {"servers"}}


def from_file(version: str) -> dict[str, Any]:
    """The shipped file parsed here, independently of ``tmf683.versions.contract``."""
    text = contract_path(version).read_text(encoding="utf-8")
    loaded: dict[str, Any] = (
        json.loads(text) if version == "v4" else yaml.safe_load(text)
    )
    return loaded


def without(document: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in keys}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess("--db", "memory:", "--no-dispatcher") as running:
        yield running


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.root, timeout=10) as http:
        yield http


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_each_root_serves_the_shipped_file_with_this_servers_address(
    client, server, version
):
    root = {"v4": V4_ROOT, "v5": V5_ROOT}[version]
    response = client.get(f"{root}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    keys = ADDRESS_KEYS[version]
    assert without(served, keys) == without(from_file(version), keys)
    host = server.root.removeprefix("http://")
    if version == "v4":
        assert (served["schemes"], served["host"], served["basePath"]) == (
            ["http"],
            host,
            V4_ROOT,
        )
        assert "securityDefinitions" not in served
    else:
        assert served["servers"] == [{"url": f"{server.root}{V5_ROOT}"}]
        assert served["components"]["securitySchemes"] == {}
    assert "security" not in served


def test_the_server_the_fuzzer_and_the_v5_checks_read_one_copy_of_each_file():
    names = set(CONTRACT_FILES.values())
    copies = sorted(
        path.relative_to(REPO_ROOT).as_posix()
        for path in REPO_ROOT.rglob("TMF683-PartyInteraction-*")
        if not {".git", ".venv", "node_modules"} & set(path.parts)
        and path.name in names | {p.replace(".oas.yaml", ".oas.json") for p in names}
    )
    assert copies == sorted(f"src/tmf683/versions/spec/{name}" for name in names)
    # the v5 body checks and the v4 fuzzer start from the document that is served
    assert v5contract.oas() == from_file("v5")
    fuzzed = corrected_v4()
    assert fuzzed["info"] == from_file("v4")["info"]
    assert set(fuzzed["paths"]) <= set(from_file("v4")["paths"])


def test_a_configured_base_url_and_base_path_are_the_documents_address():
    with (
        ServerProcess(
            "--db",
            "memory:",
            "--no-dispatcher",
            "--base-url",
            "https://api.example.com/pfx",
            "--v4-base-path",
            "/crm/pi/v4/",
        ) as running,
        httpx.Client(base_url=running.root, timeout=10) as http,
    ):
        v4 = http.get("/crm/pi/v4/openapi.json").json()
        assert (v4["schemes"], v4["host"], v4["basePath"]) == (
            ["https"],
            "api.example.com",
            "/pfx/crm/pi/v4",
        )
        v5 = http.get(f"{V5_ROOT}/openapi.json").json()
        assert v5["servers"] == [{"url": f"https://api.example.com/pfx{V5_ROOT}"}]
        # the page may call that other origin, and no other
        page = http.get("/crm/pi/v4/docs")
        policy = page.headers["content-security-policy"]
        assert "connect-src 'self' https://api.example.com;" in policy
        assert http.get(f"{V4_ROOT}/openapi.json").status_code == 404


def test_the_host_a_document_names_passes_the_host_check(client, server):
    named = client.get(
        f"{V4_ROOT}/openapi.json", headers={"Host": "localhost:4321"}
    ).json()
    assert named["host"] == "localhost:4321"
    for path in (f"{V4_ROOT}/openapi.json", f"{V5_ROOT}/docs"):
        evil = client.get(path, headers={"Host": "evil.example"})
        assert (evil.status_code, evil.json()["code"]) == (400, "badRequest")
        assert "evil.example" in evil.json()["message"]


def test_the_document_has_an_etag_and_answers_head_and_304(client):
    url = f"{V5_ROOT}/openapi.json"
    first = client.get(url)
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    head = client.head(url)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["etag"] == etag
    assert client.post(url, json={}).status_code == 405


@pytest.mark.parametrize("root", [V4_ROOT, V5_ROOT])
@pytest.mark.parametrize("slash", ["", "/"])
def test_the_explorer_page_and_every_file_it_links(client, root, slash):
    page_url = f"{root}/docs{slash}"
    # a browser's Accept, which is not JSON: the page is HTML, no 406
    page = client.get(page_url, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert "unsafe" not in policy
    links = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    types = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
    assert len(links) == 7
    for link in links:
        url = urljoin(f"{client.base_url}{page_url}", link)
        assert not url.startswith("http") or url.startswith(str(client.base_url))
        answer = client.get(url, headers={"Accept": "*/*"})
        assert answer.status_code == 200, url
        if link.endswith("openapi.json"):
            assert url.endswith(f"{root}/openapi.json")
            continue
        suffix = link[link.rindex(".") :]
        assert answer.headers["content-type"].startswith(types[suffix]), url
        assert answer.headers["cache-control"] == "public, max-age=86400"
        assert answer.headers["x-content-type-options"] == "nosniff"
    initializer = client.get(f"{root}/docs/tmf683-explorer.js").text
    assert 'new URL("../openapi.json", document.currentScript.src)' in initializer
    # a page script's URL, resolved as the browser does, is the root's contract
    assert urljoin(f"{root}/docs/tmf683-explorer.js", "../openapi.json") == (
        f"{root}/openapi.json"
    )


def test_the_explorer_serves_only_its_files_and_only_to_reads(client):
    for name in ("index.html", "swagger-ui-bundle.js.map", "..%2Fopenapi.json", "x"):
        missing = client.get(f"{V4_ROOT}/docs/{name}")
        assert missing.status_code == 404, name
    missing = client.get(f"{V5_ROOT}/docs/nope.js")
    assert missing.json()["@type"] == "Error"  # under v5, a v5 Error body
    assert client.post(f"{V4_ROOT}/docs").status_code == 405
    assert client.delete(f"{V4_ROOT}/docs/swagger-ui.css").status_code == 405
    page = client.head(f"{V4_ROOT}/docs")
    assert (page.status_code, page.content) == (200, b"")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    head = client.head(f"{V4_ROOT}/docs/swagger-ui-bundle.js")
    assert (head.status_code, head.content) == (200, b"")
    etag = head.headers["etag"]
    cached = client.get(
        f"{V4_ROOT}/docs/swagger-ui-bundle.js", headers={"If-None-Match": etag}
    )
    assert cached.status_code == 304
    # the API routes still refuse an Accept without JSON
    refused = client.get(f"{V4_ROOT}/partyInteraction", headers={"Accept": "text/html"})
    assert refused.status_code == 406


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def jwks(keys) -> Iterator[JwksServer]:
    with jwks_served(keys.jwks()) as served:
        yield served


def test_with_tokens_the_contract_and_explorer_are_public_and_declare_the_bearer(
    jwks, keys
):
    flags = ("--jwks", jwks.url, "--issuer", ISSUER, "--audience", AUDIENCE)
    with (
        ServerProcess("--db", "memory:", "--no-dispatcher", *flags) as running,
        httpx.Client(base_url=running.root, timeout=10) as http,
    ):
        assert http.get(f"{V4_ROOT}/partyInteraction").status_code == 401
        assert http.get(f"{V4_ROOT}/docs").status_code == 200
        assert http.get(f"{V4_ROOT}/docs/swagger-ui.css").status_code == 200
        v4 = http.get(f"{V4_ROOT}/openapi.json").json()
        assert v4["security"] == [{"bearerAuth": []}]
        scheme = v4["securityDefinitions"]["bearerAuth"]
        assert (scheme["type"], scheme["in"], scheme["name"]) == (
            "apiKey",
            "header",
            "Authorization",
        )
        v5 = http.get(f"{V5_ROOT}/openapi.json").json()
        assert v5["security"] == [{"bearerAuth": []}]
        bearer = v5["components"]["securitySchemes"]["bearerAuth"]
        assert (bearer["type"], bearer["scheme"], bearer["bearerFormat"]) == (
            "http",
            "bearer",
            "JWT",
        )
        # nothing else differs from the shipped files
        added = {"v4": {"security", "securityDefinitions"}, "v5": {"security"}}
        for version, served in (("v4", v4), ("v5", v5)):
            left = ADDRESS_KEYS[version] | added[version] | {"components"}
            shipped = from_file(version)
            assert without(served, left) == without(shipped, left)
            assert set(served) - set(shipped) == added[version]
        components = dict(v5["components"], securitySchemes={})
        assert components == from_file("v5")["components"]
        # what Authorize sends is what the API takes
        token = sign(keys.rsa)
        answer = http.get(
            f"{V5_ROOT}/partyInteraction", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200


@pytest.fixture
def mounted() -> Iterator[str]:
    app = falcon.App()
    v4 = PartyInteractionService(MemoryStore())
    mount(app, v4, base_path="/bss/pi/")
    mount(app, PartyInteractionServiceV5(v4), contract=True, explorer=False)
    with serving(app) as root:
        yield root


def test_a_mounted_api_serves_its_contract_and_explorer_too(mounted):
    with httpx.Client(base_url=mounted, timeout=10) as http:
        v4 = http.get("/bss/pi/openapi.json").json()
        assert v4["basePath"] == "/bss/pi"
        assert http.get("/bss/pi/docs").status_code == 200
        page = http.get("/bss/pi/docs/")  # falcon's default keeps the slash
        assert (page.status_code, 'href="swagger-ui.css"' in page.text) == (200, True)
        assert http.get("/bss/pi/docs/swagger-ui.css").status_code == 200
        v5 = http.get(f"{V5_ROOT}/openapi.json").json()
        assert v5["servers"] == [{"url": f"{mounted}{V5_ROOT}"}]
        assert http.get(f"{V5_ROOT}/docs").status_code == 404
        # no Host check here (mount without allowed_hosts): a Host that is no
        # host[:port] names no address
        odd = http.get("/bss/pi/openapi.json", headers={"Host": "user@evil.example"})
        assert odd.status_code == 400
        assert "not a host[:port]" in odd.json()["message"]


def test_the_contract_and_explorer_can_be_left_out():
    service = PartyInteractionService(MemoryStore())
    with pytest.raises(ValueError, match="explorer reads the contract"):
        create_app(service, contract=False)
    app = create_app(service, contract=False, explorer=False)
    with serving(app) as root, httpx.Client(base_url=root, timeout=10) as http:
        assert http.get(f"{V4_ROOT}/openapi.json").status_code == 404
        assert http.get(f"{V4_ROOT}/docs").status_code == 404
        assert http.get(f"{V4_ROOT}/partyInteraction").status_code == 200


def test_no_explorer_leaves_the_page_out_and_keeps_the_contract():
    with (
        ServerProcess("--db", "memory:", "--no-dispatcher", "--no-explorer") as running,
        httpx.Client(base_url=running.root, timeout=10) as http,
    ):
        for root in (V4_ROOT, V5_ROOT):
            assert http.get(f"{root}/openapi.json").status_code == 200
            assert http.get(f"{root}/docs").status_code == 404
            assert http.get(f"{root}/docs/swagger-ui.css").status_code == 404


def test_contract_document_replaces_the_address_only_and_copies():
    v4 = contract_document("v4", scheme="http", host="[::1]:8080", base_path="/")
    assert (v4["host"], v4["basePath"], v4["schemes"]) == ("[::1]:8080", "/", ["http"])
    v4["paths"].clear()
    assert shipped_contract("v4")["paths"]
    assert shipped_contract("v4") == from_file("v4")
    assert shipped_contract("v5") == from_file("v5")
    v5 = contract_document("v5", scheme="https", host="h", base_path="a/b/")
    assert v5["servers"] == [{"url": "https://h/a/b"}]
    root = contract_document("v5", scheme="https", host="h", base_path="")
    assert root["servers"] == [{"url": "https://h"}]
    for scheme, host in (("ftp", "h"), ("http", ""), ("http", "h/x"), ("http", "u@h")):
        with pytest.raises(ValueError, match=r"scheme|host"):
            contract_document("v4", scheme=scheme, host=host, base_path="/")
    with pytest.raises(ValueError, match="no contract"):
        shipped_contract("v6")
