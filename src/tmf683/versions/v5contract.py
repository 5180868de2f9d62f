"""The TMF683 v5 contract: bodies checked against the OAS file itself.

The OAS (``spec/TMF683-PartyInteraction-v5.0.0.oas.yaml``, TM Forum, Apache 2.0, see
``spec/NOTICE``) is OpenAPI 3.0.1; its schemas are read as JSON Schema 2020-12 by
``jsonschema`` with ``referencing`` resolving the ``#/components/schemas/...`` refs.
Two OAS habits are read as OpenAPI means them: a ``oneOf`` with a ``discriminator``
picks the branch its ``@type`` maps to (the branches overlap, so plain ``oneOf`` would
refuse every body), and a ``@type`` outside the mapping is checked against any branch,
unless it names another schema of the OAS that extends none of the branches (a
``Note`` as ``partyOrPartyRole``): that is refused. A ``@type`` that no schema of the
OAS names is refused unless the object carries ``@schemaLocation`` (TMF630
extension). The known faults of the file's examples (``lastUpdateDate``,
``PArtyRef``...) are in examples only and play no part.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from tmf683._errors import Problem, ValidationError

if TYPE_CHECKING:  # loaded on first use: ``import tmf683`` stays light
    import jsonschema.protocols
    import referencing

OAS_FILE = "TMF683-PartyInteraction-v5.0.0.oas.yaml"
_URI = "urn:tmf683:v5:oas"


_SCHEMAS = "#/components/schemas/"
_CHOICE = "x-tmf683-discriminator"
"""The keyword :func:`_discriminated` writes in place of ``oneOf`` (:func:`_choose`)."""


def _schema_uri(name: str) -> str:
    return f"{_URI}:schema:{name}"


def _discriminated(node: Any) -> Any:
    """Rewrite ``oneOf`` + ``discriminator`` into an ``@type``-driven choice.

    The branches and the mapping go to the :data:`_CHOICE` keyword
    (:func:`_choose`); each ``#/components/schemas/X`` ref becomes the URI of
    schema ``X``'s own resource (:func:`_schema_uri`), found without a JSON pointer
    walk.
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
        result[_CHOICE] = {
            "anyOf": branches,
            "mapping": {
                name: _schema_uri(target.removeprefix(_SCHEMAS))
                for name, target in mapping.items()
            },
            "branches": [
                branch["$ref"]
                for branch in branches
                if isinstance(branch, dict) and set(branch) == {"$ref"}
            ],
        }
    return result


def _choose(
    validator: Any, choice: dict[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    """Check a value as OpenAPI reads ``oneOf`` with a ``discriminator``.

    The same errors as ``anyOf: <branches>`` beside one
    ``if: {@type: const <name>}, then: {$ref: <target>}`` per mapping entry, in one
    look-up: an object is checked against the branch its ``@type`` names (none when
    its ``@type`` is missing or outside the mapping), a value that is not an object
    (which satisfies every such ``if``) against every target; the ``anyOf`` is
    skipped when a target that is one of its branches holds (it holds then too).
    """
    mapping = choice["mapping"]
    if isinstance(instance, dict):
        kind = instance.get("@type")
        targets = [mapping[kind]] if isinstance(kind, str) and kind in mapping else []
    else:
        targets = list(mapping.values())
    errors = [
        error
        for target in targets
        for error in validator.descend(instance, {"$ref": target})
    ]
    yield from errors
    if errors or not any(target in choice["branches"] for target in targets):
        yield from validator.descend(instance, {"anyOf": choice["anyOf"]})


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
    """The ``if``/``then`` that keeps a known ``@type`` to ``mapping`` or a subtype."""
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
    return {_TYPES: {"known": frozenset(schemas), "allowed": allowed}}


_TYPES = "x-tmf683-types"
"""The keyword :func:`_allowed_types` writes: a ``@type`` that names an OAS schema
must be one of ``allowed`` (:func:`_types_in_place`)."""


def _types_in_place(
    validator: Any, rule: dict[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    """Check that a ``@type`` naming an OAS schema is an allowed one.

    The errors of ``if: {@type in known} then: {@type: enum allowed}``, in one set
    look-up (``known`` is every schema name of the OAS).
    """
    if isinstance(instance, dict):
        kind = instance.get("@type")
        if (
            isinstance(kind, str)
            and kind in rule["known"]
            and kind not in rule["allowed"]
        ):
            yield from validator.descend(kind, {"enum": rule["allowed"]}, path="@type")


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
    choice = node.get(_CHOICE)
    if not mapping or not isinstance(choice, dict):
        return
    targets = {
        name
        for ref in [
            *mapping.values(),
            *(b.get("$ref") for b in choice["anyOf"] if isinstance(b, dict)),
        ]
        if (name := _target(ref)) is not None
    }
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
        if not mapping or _CHOICE in schema:
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
    """Return the v5 OAS document (parsed once).

    Returns:
        The OpenAPI document as JSON values.
    """
    import yaml

    text = resources.files("tmf683.versions").joinpath("spec", OAS_FILE).read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def _registry() -> referencing.Registry[Any]:
    import referencing
    import referencing.jsonschema

    schemas = oas()["components"]["schemas"]
    rewritten = _discriminated(copy.deepcopy(schemas))
    _known_types_in_their_place(rewritten, schemas)
    _own_types_in_their_place(rewritten, schemas)
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (
            _schema_uri(name),
            referencing.Resource.from_contents(
                contents, default_specification=referencing.jsonschema.DRAFT202012
            ),
        )
        for name, contents in rewritten.items()
    )
    return registry.crawl()


def schema_names() -> frozenset[str]:
    """Return the names of the OAS's schemas (the ``@type`` values it defines)."""
    return frozenset(oas()["components"]["schemas"])


@cache
def _validator_class() -> Any:
    """Draft 2020-12 with the :data:`_CHOICE` keyword (the stub leaves it untyped)."""
    import jsonschema

    draft = jsonschema.Draft202012Validator
    return jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        draft, {_CHOICE: _choose, _TYPES: _types_in_place}
    )


@cache
def _validator(schema: str) -> jsonschema.protocols.Validator:
    kind = _validator_class()
    validator: jsonschema.protocols.Validator = kind(
        {"$ref": _schema_uri(schema)},
        registry=_registry(),
        format_checker=kind.FORMAT_CHECKER,
    )
    return validator


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

    Returns:
        ``($.path, message)`` pairs, sorted; empty when it conforms.
    """
    problems = _unknown_types(document, "$", schema_names())
    if problems:
        return sorted(problems)
    for error in _validator(schema).iter_errors(document):
        deepest = min(
            [error, *(error.context or [])], key=lambda e: -len(e.absolute_path)
        )
        where = _path(deepest.absolute_path)
        required, instance = deepest.validator_value, deepest.instance
        if deepest.validator == "required" and isinstance(instance, dict):
            problems += [
                (f"{where}.{name}", "is required")
                for name in (required if isinstance(required, list) else ())
                if name not in instance
            ]
        else:
            problems.append((where, deepest.message))
    return sorted(set(problems))


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
