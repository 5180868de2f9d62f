"""The TMF683 v5 contract: bodies checked against the OAS file itself.

The OAS (``spec/TMF683-PartyInteraction-v5.0.0.oas.yaml``, TM Forum, Apache 2.0, see
``spec/NOTICE``) is OpenAPI 3.0.1; its schemas are read as JSON Schema 2020-12 by
``jsonschema`` with ``referencing`` resolving the ``#/components/schemas/...`` refs.
Two OAS habits are read as OpenAPI means them: a ``oneOf`` with a ``discriminator``
picks the branch its ``@type`` maps to (the branches overlap, so plain ``oneOf`` would
refuse every body), and a ``@type`` outside the mapping is checked against any branch.
A ``@type`` that no schema of the OAS names is refused unless the object carries
``@schemaLocation`` (TMF630 extension). The known faults of the file's examples
(``lastUpdateDate``, ``PArtyRef``...) are in examples only and play no part.
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

    schemas = _discriminated(copy.deepcopy(oas()["components"]["schemas"]))
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (
            _schema_uri(name),
            referencing.Resource.from_contents(
                contents, default_specification=referencing.jsonschema.DRAFT202012
            ),
        )
        for name, contents in schemas.items()
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
        draft, {_CHOICE: _choose}
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


def check_new(document: object, schema: str) -> None:
    """Check the body of a create (an ``_FVO`` schema): what a client may send.

    Args:
        document: the parsed JSON body.
        schema: e.g. ``"PartyInteraction_FVO"`` or ``"Hub_FVO"``.

    Raises:
        ValidationError: not an object; ``id`` or ``href`` given (the server sets
            them); every problem against ``schema``, each with its ``$.path``.
    """
    if not isinstance(document, dict):
        raise ValidationError([("$", "must be a JSON object")])
    problems: list[Problem] = [
        (f"$.{name}", "is set by the server; leave it out")
        for name in ("id", "href")
        if name in document
    ]
    problems += schema_problems(document, schema)
    if problems:
        raise ValidationError(sorted(problems))
