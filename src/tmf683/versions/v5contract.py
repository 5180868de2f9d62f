"""The TMF683 v5 contract: bodies checked against the OAS file itself.

The OAS (``spec/TMF683-PartyInteraction-v5.0.0.oas.yaml``, TM Forum, Apache 2.0, see
``spec/NOTICE``) is OpenAPI 3.0.1; its schemas are read as JSON Schema 2020-12 and
checked by ``jsonschema-rs`` (compiled once, about a microsecond per object, so a
1 MiB body is checked in milliseconds), each ``#/components/schemas/...`` ref resolved
in one registry. Two OAS habits are rewritten into plain JSON Schema as OpenAPI means
them: a ``oneOf`` with a ``discriminator`` picks the branch its ``@type`` maps to (the
branches overlap, so plain ``oneOf`` would refuse every body), and a ``@type`` outside
the mapping is checked against any branch, unless it names another schema of the OAS
that extends none of the branches (a ``Note`` as ``partyOrPartyRole``): that is
refused. A ``@type`` that no schema of the OAS names is refused unless the object
carries ``@schemaLocation`` (TMF630 extension). ``format`` is not checked here (dates
are read by the model, as in v4). The known faults of the file's examples
(``lastUpdateDate``, ``PArtyRef``...) are in examples only and play no part.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from tmf683._errors import Problem, ValidationError
from tmf683._validation import json_problems
from tmf683.versions.contract import CONTRACT_FILES, shipped_contract

if TYPE_CHECKING:  # loaded on first use: ``import tmf683`` stays light
    import jsonschema_rs

OAS_FILE = CONTRACT_FILES["v5"]
_URI = "urn:tmf683:v5:oas"


_SCHEMAS = "#/components/schemas/"


def _schema_uri(name: str) -> str:
    return f"{_URI}:schema:{name}"


def _has_type(names: list[str]) -> dict[str, Any]:
    """The ``if`` that holds for an object whose ``@type`` is one of ``names``.

    It holds for a value that is not an object too (``properties`` and
    ``required`` say nothing of those).
    """
    return {"properties": {"@type": {"enum": names}}, "required": ["@type"]}


def _discriminated(node: Any) -> Any:
    """Rewrite ``oneOf`` + ``discriminator`` into an ``@type``-driven choice.

    In plain JSON Schema: one ``if: {@type: <name>}, then: {$ref: <target>}`` per
    mapping entry, beside ``anyOf: <branches>`` for an object whose ``@type`` is
    missing or maps to no branch (a subclass is checked against any branch). A value
    that is not an object satisfies every ``if``, so it is checked against every
    target. Each ``#/components/schemas/X`` ref becomes the URI of schema ``X``'s
    own resource (:func:`_schema_uri`), found without a JSON pointer walk.
    """
    if isinstance(node, list):
        return [_discriminated(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {k: _discriminated(v) for k, v in node.items()}
    ref = result.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMAS):
        result["$ref"] = _schema_uri(ref.removeprefix(_SCHEMAS))
    mapping = (node.get("discriminator") or {}).get("mapping")
    if "oneOf" in result and mapping:
        branches = result.pop("oneOf")
        refs = {
            b["$ref"] for b in branches if isinstance(b, dict) and set(b) == {"$ref"}
        }
        targets = {
            name: _schema_uri(target.removeprefix(_SCHEMAS))
            for name, target in mapping.items()
        }
        direct = sorted(name for name, uri in targets.items() if uri in refs)
        result["allOf"] = [
            *result.get("allOf", []),
            *(
                {"if": _has_type([name]), "then": {"$ref": uri}}
                for name, uri in targets.items()
            ),
            {"if": _has_type(direct), "else": {"anyOf": branches}},
        ]
        result[_BRANCHES] = sorted(refs | set(targets.values()))
    return result


_BRANCHES = "x-tmf683-branches"
"""Where :func:`_discriminated` notes the schemas a choice names (its branches and
mapping targets), for :func:`_known_types_in_their_place`; no validator reads it."""


def _ancestors(name: str, schemas: dict[str, Any]) -> set[str]:
    """``name`` and every schema it extends through ``allOf`` ``$ref`` s."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in schemas:
            continue
        seen.add(current)
        for part in schemas[current].get("allOf", []):
            if isinstance(part, dict) and isinstance(part.get("$ref"), str):
                todo.append(part["$ref"].rsplit("/", 1)[-1])
    return seen


_VARIANTS = ("_FVO", "_MVO")
"""The request forms of a schema: ``Individual_FVO`` extends ``Party_FVO``, while its
``@type`` stays ``Individual``."""


def _allowed_types(
    mapping: dict[str, Any], targets: set[str], schemas: dict[str, Any]
) -> dict[str, Any]:
    """The ``if``/``then`` that keeps a known ``@type`` to ``mapping`` or a subtype.

    ``if`` the ``@type`` names a schema of the OAS, ``then`` it is one of the
    allowed ones.
    """
    allowed = sorted(
        set(mapping)
        | {
            name
            for name in schemas
            if not name.endswith(_VARIANTS)
            and any(
                _ancestors(name + variant, schemas) & targets
                for variant in ("", *_VARIANTS)
            )
        }
    )
    return {
        "if": _has_type(sorted(schemas)),
        "then": {"properties": {"@type": {"enum": allowed}}},
    }


def _target(ref: object) -> str | None:
    """The schema name a ``$ref`` names, as the OAS or :func:`_schema_uri` writes it."""
    if not isinstance(ref, str):
        return None
    return ref.removeprefix(_SCHEMAS).removeprefix(_schema_uri(""))


def _known_types_in_their_place(node: Any, schemas: dict[str, Any]) -> None:
    """Refuse, where a discriminator chooses, a ``@type`` of another hierarchy.

    After :func:`_discriminated`, a ``@type`` outside the mapping is checked against
    any branch; that lets a subclass through, but also a schema the OAS itself
    defines elsewhere (a ``Note`` or a ``ChannelRef`` as ``partyOrPartyRole``),
    which every branch happens to fit. A ``@type`` naming an OAS schema must be
    mapped, or extend one of the branches (``Individual`` is an ``Entity``). The
    same holds for a schema's own discriminator (``PartyInteraction`` maps only
    itself): a known ``@type`` there is mapped or extends the schema. Changes
    ``node`` (the OAS after :func:`_discriminated`) in place.
    """
    if isinstance(node, list):
        for item in node:
            _known_types_in_their_place(item, schemas)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _known_types_in_their_place(value, schemas)
    mapping = (node.get("discriminator") or {}).get("mapping")
    named = node.pop(_BRANCHES, None)
    if not mapping or named is None:
        return
    targets = {name for ref in named if (name := _target(ref)) is not None}
    node["allOf"] = [*node.get("allOf", []), _allowed_types(mapping, targets, schemas)]


def _own_types_in_their_place(
    rewritten: dict[str, Any], schemas: dict[str, Any]
) -> None:
    """Keep a known ``@type`` where a schema's own discriminator (no ``oneOf``) is.

    The rule of :func:`_known_types_in_their_place`, by the schema's name: mapped,
    or a schema that extends it (or a mapped one).
    """
    for name, schema in rewritten.items():
        mapping = (schema.get("discriminator") or {}).get("mapping")
        if not mapping or "oneOf" in (schemas.get(name) or {}):
            continue
        targets = {name} | {
            target for ref in mapping.values() if (target := _target(ref)) is not None
        }
        schema["allOf"] = [
            *schema.get("allOf", []),
            _allowed_types(mapping, targets, schemas),
        ]


@cache
def oas() -> dict[str, Any]:
    """Return the v5 OAS document (parsed once; the file the server serves).

    Returns:
        The OpenAPI document as JSON values, as shipped
        (:func:`tmf683.versions.contract.shipped_contract`); shared: do not change it.
    """
    return shipped_contract("v5")


def _rewritten() -> dict[str, Any]:
    """The OAS's schemas as plain JSON Schema 2020-12, by name (see module doc)."""
    schemas = oas()["components"]["schemas"]
    rewritten: dict[str, Any] = _discriminated(copy.deepcopy(schemas))
    _known_types_in_their_place(rewritten, schemas)
    _own_types_in_their_place(rewritten, schemas)
    return rewritten


@cache
def _registry() -> jsonschema_rs.Registry:
    import jsonschema_rs

    return jsonschema_rs.Registry(
        [
            (_schema_uri(name), {"$schema": _DRAFT, **contents})
            for name, contents in _rewritten().items()
        ]
    )


_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_names() -> frozenset[str]:
    """Return the names of the OAS's schemas (the ``@type`` values it defines)."""
    return frozenset(oas()["components"]["schemas"])


@cache
def _validator(schema: str) -> jsonschema_rs.Validator:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(
        {"$ref": _schema_uri(schema)}, registry=_registry(), validate_formats=False
    )


def _path(parts: Any) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _unknown_types(value: Any, path: str, names: frozenset[str]) -> list[Problem]:
    if isinstance(value, list):
        return [
            p
            for i, item in enumerate(value)
            for p in _unknown_types(item, f"{path}[{i}]", names)
        ]
    if not isinstance(value, dict):
        return []
    problems: list[Problem] = []
    kind = value.get("@type")
    if isinstance(kind, str) and kind not in names and "@schemaLocation" not in value:
        problems.append(
            (
                f"{path}.@type",
                f"'{kind}' is no schema of TMF683 v5; give @schemaLocation for a "
                "subclass",
            )
        )
    for name, item in value.items():
        problems += _unknown_types(item, f"{path}.{name}", names)
    return problems


def schema_problems(document: Any, schema: str) -> list[Problem]:
    """Check a JSON document against one schema of the v5 OAS.

    Args:
        document: the JSON value.
        schema: the schema's name, e.g. ``"PartyInteraction_FVO"``.

    What no TMF683 document may hold (:func:`tmf683._validation.json_problems`: NUL,
    an unpaired surrogate, in a value or an attribute name, an integer beyond 64
    bits, a non-finite number, nesting too deep) is checked first, and alone: the
    validator takes only Unicode text.

    Returns:
        ``($.path, message)`` pairs, sorted; empty when it conforms.
    """
    problems = json_problems(document)
    if problems:
        return problems
    problems = _unknown_types(document, "$", schema_names())
    if problems:
        return sorted(problems)
    for error in _validator(schema).iter_errors(document):
        deepest = max(_with_context(error), key=lambda e: len(e.instance_path))
        where = _path(deepest.instance_path)
        if deepest.kind.name == "required":
            problems.append(
                (f"{where}.{deepest.kind.as_dict()['property']}", "is required")
            )
        else:
            problems.append((where, _message(deepest)))
    return sorted(set(problems))


def _with_context(error: jsonschema_rs.ValidationError) -> list[Any]:
    """``error`` and, for an ``anyOf``, the errors of each of its branches."""
    context = (
        error.kind.as_dict().get("context") if error.kind.name == "anyOf" else None
    )
    return [error, *(e for branch in context or () for e in branch)]


_SHOWN = 80
"""At most this many characters of a value are repeated in a message."""


def _as_quoted(value: Any) -> str:
    """``value`` as ``jsonschema-rs`` quotes it in its messages (compact, sorted)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _shown(value: Any) -> str:
    text = _as_quoted(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _message(error: jsonschema_rs.ValidationError) -> str:
    """The error's message, with the value shortened and every allowed value named."""
    kind = error.kind.as_dict()
    if error.kind.name == "enum":
        allowed = ", ".join(json.dumps(option) for option in kind["options"])
        return f"{_shown(error.instance)} is not one of {allowed}"
    message = error.message
    whole = _as_quoted(error.instance)
    if message.startswith(whole):
        return _shown(error.instance) + message[len(whole) :]
    return message


def validate(document: Any, schema: str) -> None:
    """Refuse a document that does not conform to a schema of the v5 OAS.

    Args:
        document: the JSON value.
        schema: the schema's name, e.g. ``"PartyInteraction_MVO"``.

    Raises:
        ValidationError: every problem, each with its ``$.path``.
    """
    problems = schema_problems(document, schema)
    if problems:
        raise ValidationError(problems)


SERVER_SET_DATES: dict[str, tuple[str, ...]] = {
    "PartyInteraction_FVO": ("creationDate", "statusChangeDate"),
}
"""Per create schema, the dates its body may not hold, as the OAS leaves them out of
the FVO (and the MVO) and the server sets them. ``lastUpdate`` is in both, and the
server sets it on every write whatever was sent."""


def check_new(document: object, schema: str) -> None:
    """Check the body of a create (an ``_FVO`` schema): what a client may send.

    Args:
        document: the parsed JSON body.
        schema: e.g. ``"PartyInteraction_FVO"`` or ``"Hub_FVO"``.

    Raises:
        ValidationError: not an object; ``id`` or ``href`` given (the server sets
            them), or a date of :data:`SERVER_SET_DATES`; every problem against
            ``schema``, each with its ``$.path``.
    """
    if not isinstance(document, dict):
        raise ValidationError([("$", "must be a JSON object")])
    problems: list[Problem] = [
        (f"$.{name}", "is set by the server; leave it out")
        for name in ("id", "href")
        if name in document
    ]
    problems += [
        (f"$.{name}", f"is set by the server (not in {schema}); leave it out")
        for name in SERVER_SET_DATES.get(schema, ())
        if name in document
    ]
    problems += schema_problems(document, schema)
    if problems:
        raise ValidationError(sorted(problems))
