"""The contract each API version serves: TM Forum's own file, pointed at this server.

The two files ship in ``spec/`` (TM Forum, Apache 2.0, see ``spec/NOTICE``), each
unmodified: the v4 Swagger 2.0 document
(``TMF683-PartyInteraction-v4.0.0.swagger.json``) and the v5 OpenAPI 3.0.1 one
(``TMF683-PartyInteraction-v5.0.0.oas.yaml``, the file :mod:`.v5contract` checks
bodies with). :func:`shipped_contract` returns one as shipped;
:func:`contract_document` returns it with the address of a running server in place
of the files' placeholder (``host: serverRoot`` in v4, ``servers: [{url:
https://serverRoot}]`` in v5), so that a client reading it, Swagger UI's "try it
out" included, calls that server. Everything else is served as TM Forum wrote it,
the known faults of the v5 file's examples too (docs/v5.md). The files are read
once; each call returns a fresh copy the caller may change.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

CONTRACT_FILES = {
    "v4": "TMF683-PartyInteraction-v4.0.0.swagger.json",
    "v5": "TMF683-PartyInteraction-v5.0.0.oas.yaml",
}
"""The shipped contract file of each API version, in ``tmf683/versions/spec``."""

BEARER_SCHEME = "bearerAuth"
"""The name of the security scheme :func:`contract_document` adds for tokens."""

_BEARER_HELP = (
    "An OAuth2 access token (a JWT) sent as 'Authorization: Bearer <token>' "
    "(RFC 6750); GET needs the read scope, every other method the write scope."
)


def contract_path(version: str) -> Any:
    """Return the shipped contract file of ``version`` as an importlib resource.

    Args:
        version: ``"v4"`` or ``"v5"``.

    Returns:
        An ``importlib.resources.abc.Traversable`` (``read_text()``,
        ``read_bytes()``; a real file in an ordinary install).

    Raises:
        ValueError: another version.
    """
    try:
        name = CONTRACT_FILES[version]
    except KeyError:
        raise ValueError(f"no contract for API version {version!r}") from None
    return resources.files("tmf683.versions").joinpath("spec", name)


@cache
def _shipped_text(version: str) -> str:
    """The shipped document of ``version`` as JSON text (YAML read once for v5)."""
    text: str = contract_path(version).read_text(encoding="utf-8")
    if version == "v4":
        return text
    import yaml

    return json.dumps(yaml.safe_load(text))


def shipped_contract(version: str) -> dict[str, Any]:
    """Return the contract of ``version`` exactly as TM Forum published it.

    Args:
        version: ``"v4"`` (Swagger 2.0) or ``"v5"`` (OpenAPI 3.0.1).

    Returns:
        The document as JSON values; a fresh copy on every call.

    Raises:
        ValueError: another version.
    """
    loaded: dict[str, Any] = json.loads(_shipped_text(version))
    return loaded


def contract_document(
    version: str,
    *,
    scheme: str,
    host: str,
    base_path: str,
    bearer: bool = False,
) -> dict[str, Any]:
    """Return the contract of ``version`` as a server at an address serves it.

    v4 (Swagger 2.0): ``schemes`` becomes ``[scheme]``, ``host`` ``host`` and
    ``basePath`` ``base_path`` (``"/"`` for the root; Swagger 2.0 joins it to each
    path, so it carries no trailing slash). v5 (OpenAPI 3.0): ``servers`` becomes
    ``[{"url": "<scheme>://<host><base_path>"}]``. The rest is the shipped file.

    Args:
        version: ``"v4"`` or ``"v5"``.
        scheme: ``"http"`` or ``"https"``.
        host: host and optional port as a client reaches the server, e.g.
            ``"api.example.com"`` or ``"127.0.0.1:8080"`` (an IPv6 address in
            brackets).
        base_path: the API root's path, e.g. ``"/tmf-api/partyInteraction/v4"``;
            slashes around it do not matter.
        bearer: declare that every operation takes an OAuth2 bearer token (the
            server runs with tokens): a security scheme named
            :data:`BEARER_SCHEME` and a top-level ``security`` requirement, so
            that Swagger UI's *Authorize* sends the token. v4 declares it as an
            ``apiKey`` in the ``Authorization`` header (Swagger 2.0 has no bearer
            type: the value typed is ``Bearer <token>``), v5 as ``http`` /
            ``bearer``. Off: the file's own (none).

    Returns:
        The document as JSON values; a fresh copy on every call.

    Raises:
        ValueError: another version, a scheme other than http/https, or an empty
            host or one holding ``/``, ``?``, ``#``, spaces or ``@``.
    """
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme must be http or https, not {scheme!r}")
    if not host or any(c in host for c in "/?#@ \t\r\n"):
        raise ValueError(f"not a host[:port]: {host!r}")
    path = "/" + base_path.strip("/")
    document = shipped_contract(version)
    if version == "v4":
        document["schemes"] = [scheme]
        document["host"] = host
        document["basePath"] = path
        if bearer:
            document.setdefault("securityDefinitions", {})[BEARER_SCHEME] = {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": _BEARER_HELP + " Type the value as 'Bearer <token>'.",
            }
            document["security"] = [{BEARER_SCHEME: []}]
        return document
    document["servers"] = [{"url": f"{scheme}://{host}{path.rstrip('/')}"}]
    if bearer:
        components = document.setdefault("components", {})
        components.setdefault("securitySchemes", {})[BEARER_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": _BEARER_HELP,
        }
        document["security"] = [{BEARER_SCHEME: []}]
    return document
