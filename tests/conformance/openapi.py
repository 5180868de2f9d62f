"""The v5 OAS component schemas as JSON Schema draft-07, for Postman's sandbox ajv.

newman 6.2.2 runs test scripts in postman-sandbox 4.7.1, whose
``pm.response.to.have.jsonSchema`` (and ``require('ajv')``) is ajv 6.12: JSON Schema
draft-07 (draft-06; draft-04 only with its meta-schema added), no OpenAPI keywords.
:func:`draft07` converts the OAS 3.0.1 file shipped in the package
(``tmf683/versions/spec``) at build time, so the collection checks every response
against the contract itself:

- **discriminator**: read as :mod:`tmf683.versions.v5contract` reads it (which
  does it with a keyword of its own, one look-up, where ajv needs plain draft-07;
  ``tests/test_conformance_openapi.py`` holds the two verdicts equal): a ``oneOf``
  with a ``discriminator`` mapping becomes ``anyOf`` of the branches plus, for each
  mapped ``@type``, an ``if @type = name then $ref target``. The branches overlap (``PartyRef`` and
  ``Individual`` both fit a bare reference), so a plain ``oneOf`` would refuse every
  body; a ``@type`` outside the mapping is checked against any branch. A
  ``discriminator`` without ``oneOf`` (on ``allOf`` schemas) says nothing more and is
  dropped, as ``v5contract`` ignores it.
- **$ref**: ``#/components/schemas/X`` becomes ``#/definitions/X``; the result holds
  exactly the schemas reachable from the roots asked for. A ``$ref``'s siblings are
  ignored in OAS 3.0 and draft-07 alike and are dropped.
- **nullable**: ``type: T, nullable: true`` becomes ``type: [T, "null"]`` (and
  ``null`` joins an ``enum``). The v5 file has none; the rule is here for the next one.
- **readOnly / writeOnly**: kept (draft-07 knows both as annotations). As OAS 3.0
  says, a ``required`` property that is ``readOnly`` binds responses only and one that
  is ``writeOnly`` requests only: ``direction="response"`` drops the ``writeOnly``
  ones from ``required``, ``"request"`` the ``readOnly`` ones.
- **format**: ``date-time`` is kept; the collection runs ajv 6 with
  ``format: "full"``, which checks RFC 3339 (a real calendar date and time and an
  offset; its default "fast" mode takes month 13). ``int32``, ``float`` and ``base64`` are OAS
  data-type formats no JSON Schema library knows (ajv 6 would refuse the schema for an
  unknown format) and are dropped; ``type`` still checks the JSON type.
- Everything else that is not a draft-07 keyword (``example``, ``description``,
  ``discriminator``, ``xml``, ``externalDocs``, ``deprecated``) is dropped: the
  examples hold the known faults of the file (``lastUpdateDate``, ``PArtyRef``,
  ``op: delete``...), which play no part in validation here as in ``v5contract``.

The rule that a ``@type`` must be a schema of the OAS unless the object carries
``@schemaLocation`` is ``v5contract``'s, not the OAS's; the collection checks it beside
the schema with the names from :func:`schema_names`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Literal

from tmf683.versions import v5contract

COMPONENTS = "#/components/schemas/"
DRAFT07 = "http://json-schema.org/draft-07/schema#"
Direction = Literal["response", "request"]

# Draft-07 keywords whose value is one schema, a list of schemas, or a map of them.
_ONE = frozenset(
    {
        "additionalItems",
        "additionalProperties",
        "contains",
        "else",
        "if",
        "items",
        "not",
        "propertyNames",
        "then",
    }
)
_LIST = frozenset({"allOf", "anyOf", "oneOf"})
_MAP = frozenset({"definitions", "dependencies", "patternProperties", "properties"})
# Draft-07 keywords kept as they are.
_PLAIN = frozenset(
    {
        "$ref",
        "const",
        "default",
        "enum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "format",
        "maxItems",
        "maxLength",
        "maxProperties",
        "maximum",
        "minItems",
        "minLength",
        "minProperties",
        "minimum",
        "multipleOf",
        "pattern",
        "readOnly",
        "required",
        "type",
        "uniqueItems",
        "writeOnly",
    }
)
# Formats both ajv 6 and Python's jsonschema know; the OAS file uses date-time only.
KNOWN_FORMATS = frozenset({"date", "date-time", "email", "time", "uri", "uuid"})


def _discriminated(node: Any) -> Any:
    """Rewrite each ``oneOf`` + ``discriminator`` as ``anyOf`` + ``if``/``then``."""
    if isinstance(node, list):
        return [_discriminated(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {k: _discriminated(v) for k, v in node.items()}
    mapping = (node.get("discriminator") or {}).get("mapping")
    if "oneOf" in result and mapping:
        chosen = [
            {
                "if": {"properties": {"@type": {"const": name}}, "required": ["@type"]},
                "then": {"$ref": target},
            }
            for name, target in mapping.items()
        ]
        result["anyOf"] = result.pop("oneOf")
        result["allOf"] = [*result.get("allOf", []), *chosen]
    return result


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(COMPONENTS):
                    raise ValueError(f"a $ref outside the component schemas: {value}")
                found.add(value[len(COMPONENTS) :])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def reachable(schemas: dict[str, Any], roots: Iterable[str]) -> list[str]:
    """Return the names of ``roots`` and every schema their ``$ref``s reach, sorted."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise KeyError(f"no schema {name!r} in the OAS")
        seen.add(name)
        found: set[str] = set()
        _refs(schemas[name], found)
        todo += sorted(found - seen)
    return sorted(seen)


def _required(node: dict[str, Any], direction: Direction) -> list[str] | None:
    """``required`` without what the other direction alone must carry."""
    required = node.get("required")
    if not isinstance(required, list):
        return None
    skip = "writeOnly" if direction == "response" else "readOnly"
    properties = node.get("properties") or {}
    return [
        name
        for name in required
        if not (isinstance(properties.get(name), dict) and properties[name].get(skip))
    ]


def convert(node: Any, direction: Direction = "response") -> Any:
    """Convert one OAS 3.0 schema object (discriminators already rewritten)."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith(COMPONENTS):
            raise ValueError(f"a $ref outside the component schemas: {ref}")
        return {"$ref": "#/definitions/" + ref[len(COMPONENTS) :]}
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ONE and isinstance(value, list):  # items as a tuple
            result[key] = [convert(item, direction) for item in value]
        elif key in _ONE:
            result[key] = convert(value, direction)
        elif key in _LIST:
            result[key] = [convert(item, direction) for item in value]
        elif key in _MAP:
            result[key] = {k: convert(v, direction) for k, v in value.items()}
        elif key == "format":
            if value in KNOWN_FORMATS:
                result[key] = value
        elif key == "required":
            kept = _required(node, direction)
            if kept:
                result[key] = kept
        elif key in _PLAIN:
            result[key] = copy.deepcopy(value)
    if node.get("nullable") is True:
        kind = result.get("type")
        if isinstance(kind, str):
            result["type"] = [kind, "null"]
        if isinstance(result.get("enum"), list) and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
    # OAS 3.0 writes exclusive bounds as booleans beside minimum/maximum (draft-04).
    for bound, exclusive in (
        ("minimum", "exclusiveMinimum"),
        ("maximum", "exclusiveMaximum"),
    ):
        if result.get(exclusive) is True and bound in result:
            result[exclusive] = result.pop(bound)
        elif result.get(exclusive) is False:
            del result[exclusive]
    return result


def schema_names(oas: dict[str, Any] | None = None) -> list[str]:
    """Return the OAS's schema names (the ``@type`` values it defines), sorted."""
    return sorted((oas or v5contract.oas())["components"]["schemas"])


def draft07(
    roots: Iterable[str],
    direction: Direction = "response",
    oas: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a draft-07 document whose ``definitions`` hold ``roots`` and their refs.

    Validate against one of them with ``{"$ref": "#/definitions/NAME",
    "definitions": ...}`` (see :func:`schema`).

    Args:
        roots: component schema names, e.g. ``["PartyInteraction", "Error"]``.
        direction: ``"response"`` (what a server answers) or ``"request"``.
        oas: the OpenAPI document; the v5 file shipped in the package by default.
    """
    document = oas or v5contract.oas()
    schemas = _discriminated(copy.deepcopy(document["components"]["schemas"]))
    names = reachable(schemas, roots)
    return {
        "$schema": DRAFT07,
        "definitions": {name: convert(schemas[name], direction) for name in names},
    }


def schema(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """Return the draft-07 schema of one definition of ``document`` (from draft07)."""
    if name not in document["definitions"]:
        raise KeyError(f"{name!r} is not in the converted definitions")
    return {
        "$schema": DRAFT07,
        "$ref": "#/definitions/" + name,
        "definitions": document["definitions"],
    }
