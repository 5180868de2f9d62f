"""``{root}/docs``: an API explorer (Swagger UI) for each API root's contract.

Swagger UI's files come from the ``swagger-ui-bundle`` package (its ``dist``,
Apache 2.0), served from this process under ``{root}/docs/``: no CDN, the page
works offline. The page loads ``{root}/openapi.json``
(:mod:`tmf683_falcon.contract`) by a URL relative to its own script, so it works
behind a path prefix or a proxy; "try it out" calls the address that document
names, which is this server's. Everything is ``GET``/``HEAD`` only, needs no token
(the page is public, as the contract is; its "try it out" calls need one when the
API does: *Authorize* takes it) and is sent with a Content-Security-Policy that
admits this origin only (plus the API root's origin when ``--base-url`` names
another), ``X-Content-Type-Options: nosniff`` and an ETag (304 when unchanged).
"""

from __future__ import annotations

import argparse
from functools import cache
from urllib.parse import urlsplit

import falcon
import swagger_ui_bundle

from tmf683_falcon.contract import (
    CONTRACT_NAME,
    OpenApiDocument,
    entity_tag,
    send,
)
from tmf683_falcon.forwarded import api_root

EXPLORER_NAME = "docs"
"""The explorer page's path below each API root; its files are below it."""
ASSET_CACHE_CONTROL = "public, max-age=86400"
"""A day in any cache (Swagger UI's files change only with the package)."""
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
_INITIALIZER = "tmf683-explorer.js"
_BUNDLE_FILES = {
    "swagger-ui.css": _CSS,
    "swagger-ui-bundle.js": _JS,
    "index.css": _CSS,
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
"""The files of Swagger UI's dist the page uses, with their content types."""

_INITIALIZER_JS = f"""\
(function () {{
  "use strict";
  // {EXPLORER_NAME}/{_INITIALIZER} -> ../{CONTRACT_NAME}: the contract of this API root
  var contract = new URL("../{CONTRACT_NAME}", document.currentScript.src).href;
  window.addEventListener("load", function () {{
    window.ui = SwaggerUIBundle({{
      url: contract,
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      displayOperationId: true,
      validatorUrl: null
    }});
  }});
}})();
"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>TMF683 Party Interaction {version}: API explorer</title>
<link rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="stylesheet" href="{assets}index.css">
<link rel="icon" type="image/png" href="{assets}favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{assets}favicon-16x16.png" sizes="16x16">
</head>
<body>
<noscript><p>The explorer needs JavaScript; the contract itself is
<a href="{contract}">{contract_name}</a>.</p></noscript>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js" charset="utf-8"></script>
<script src="{assets}{initializer}" charset="utf-8"></script>
</body>
</html>
"""


def content_security_policy(api_origin: str | None = None) -> str:
    """The page's Content-Security-Policy: this origin only.

    Args:
        api_origin: the origin "try it out" calls when it is not the page's
            (``--base-url`` naming another host), e.g. ``"https://api.example.com"``.

    Returns:
        The header value. Swagger UI's icons are ``data:`` images in its CSS.
    """
    connect = "'self'" + (f" {api_origin}" if api_origin else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data:; font-src 'self'; connect-src {connect}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def asset(name: str) -> tuple[bytes, str, str] | None:
    """One file of the explorer: ``(body, content type, ETag)``; ``None``: no such.

    Args:
        name: a file name below ``{root}/docs/``, e.g. ``"swagger-ui-bundle.js"``;
            only the page's own files are served (read once, then kept).
    """
    if name != _INITIALIZER and name not in _BUNDLE_FILES:
        return None
    return _loaded(name)


@cache
def _loaded(name: str) -> tuple[bytes, str, str]:
    if name == _INITIALIZER:
        body = _INITIALIZER_JS.encode()
        return body, _JS, entity_tag(body)
    body = (swagger_ui_bundle.swagger_ui_path / name).read_bytes()
    return body, _BUNDLE_FILES[name], entity_tag(body)


class ExplorerPage:
    """``GET``/``HEAD {root}/docs``: the Swagger UI page of one API version.

    Args:
        version: ``"v4"`` or ``"v5"`` (in the page's title).
        base_url: ``--base-url``; ``None``: from each request.
        path: the API's route prefix, e.g. ``"/tmf-api/partyInteraction/v4"``.
    """

    def __init__(self, version: str, base_url: str | None, path: str) -> None:
        self.version = version
        self.base_url = base_url
        self.path = path

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 with the page as ``text/html`` (304 if unchanged)."""
        # Relative links: from .../docs they go through docs/, from .../docs/ not.
        slash = req.env.get("PATH_INFO", "").endswith("/")
        assets = "" if slash else f"{EXPLORER_NAME}/"
        page = _PAGE.format(
            version=self.version,
            assets=assets,
            initializer=_INITIALIZER,
            contract=("../" if slash else "") + CONTRACT_NAME,
            contract_name=CONTRACT_NAME,
        ).encode()
        root = urlsplit(api_root(req, self.base_url, self.path))
        page_origin = f"{req.scheme}://{req.netloc}"
        api_origin = f"{root.scheme}://{root.netloc}"
        resp.set_header(
            "Content-Security-Policy",
            content_security_policy(None if api_origin == page_origin else api_origin),
        )
        resp.set_header("Referrer-Policy", "no-referrer")
        send(req, resp, page, entity_tag(page), falcon.MEDIA_HTML, "no-cache")

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer as ``GET`` does, without the body."""
        self.on_get(req, resp)


class ExplorerAsset:
    """``GET``/``HEAD {root}/docs/{name}``: Swagger UI's files and the initializer."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        """Answer 200 with the file (304 if unchanged); 404 for any other name."""
        found = asset(name)
        if found is None:
            raise falcon.HTTPNotFound()
        body, content_type, etag = found
        send(req, resp, body, etag, content_type, ASSET_CACHE_CONTROL)

    def on_head(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        """Answer as ``GET`` does, without the body."""
        self.on_get(req, resp, name)


def add_contract_routes(
    app: falcon.App[falcon.Request, falcon.Response],
    version: str,
    path: str,
    base_url: str | None,
    *,
    bearer: bool,
    explorer: bool,
) -> list[object]:
    """Add ``{path}/openapi.json`` and, with ``explorer``, ``{path}/docs[/[{name}]]``.

    Args:
        app: the host application.
        version: ``"v4"`` or ``"v5"``.
        path: the API's route prefix, e.g. ``"/tmf-api/partyInteraction/v4"``.
        base_url: ``--base-url``; ``None``: from each request.
        bearer: the API requires bearer tokens (the contract says so).
        explorer: add the explorer page too.

    Returns:
        The resources added (none of them requires a token).
    """
    routes: dict[str, object] = {
        f"{path}/{CONTRACT_NAME}": OpenApiDocument(version, base_url, path, bearer)
    }
    if explorer:
        page = ExplorerPage(version, base_url, path)
        routes[f"{path}/{EXPLORER_NAME}"] = page
        # an app that keeps trailing slashes (falcon's default) routes this apart
        routes[f"{path}/{EXPLORER_NAME}/"] = page
        routes[f"{path}/{EXPLORER_NAME}/{{name}}"] = ExplorerAsset()
    for template, resource in routes.items():
        app.add_route(template, resource)
    return list(dict.fromkeys(routes.values()))


def add_explorer_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--no-explorer`` to ``tmf683-server``'s parser."""
    parser.add_argument(
        "--no-explorer",
        action="store_true",
        help="do not serve the API explorer at {root}/docs (each root's contract "
        "stays at {root}/openapi.json)",
    )
