"""What a PartyInteraction must contain: the TMF683 v4 conformance profile.

The profile, not the swagger's ``required`` list, decides (``TMF630.md``, "What a create
must contain"): ``channel`` is a non-empty array whose items have ``id``; ``direction``
and ``reason`` are present; ``relatedParty[]`` items have ``id`` and ``@referredType``;
``interactionItem[].item`` has ``role``. ``id`` and ``href`` belong to the server.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tmf683._errors import Problem, ValidationError
from tmf683._model import PartyInteraction
from tmf683._normalize import model_strings, normalize
from tmf683._serialization import structure

INDEXED_TEXT_LENGTH = 500
"""Most characters of ``status`` and ``direction``: stores index them, and an index
entry has a size limit (PostgreSQL's B-tree: about 2,700 bytes; 500 characters are
at most 2,000 bytes of UTF-8)."""

SERVER_ATTRIBUTES = ("id", "href")
"""Attributes only the server sets; a client sending them on create gets a 400."""

MAX_NESTING_DEPTH = 64
"""Most levels of nested objects and arrays a document may have (the document itself
is level 1): deeper documents, possible only through extension attributes, are
refused so that every stored document can be written back as JSON."""

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""The largest JSON text of a stored document, in bytes, that a patch may build
(16 MiB; the request body limit of ``tmf683-server`` is 1 MiB by default)."""

INTEGER_RANGE = (-(2**63), 2**63 - 1)
"""Integers a document may hold (signed 64-bit, what SQLite's JSON functions and
64-bit JSON encoders keep exact)."""

T = TypeVar("T")

_TOO_DEEP = f"nests objects and arrays deeper than {MAX_NESTING_DEPTH} levels"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain the NUL character (U+0000)"
    if _SURROGATE.search(text):
        return "must not contain an unpaired surrogate (not valid Unicode)"
    return None


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]:
        return "is an integer outside the 64-bit range"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    return None


_NUL_IN_JSON = "\\u0000"
"""How ``json.dumps`` writes the NUL character (after a backslash it is a literal
backslash: then the walk decides)."""
_LONG_NUMBER = re.compile(r"\d{19}")
"""In a JSON text: an integer that may be out of :data:`INTEGER_RANGE` (19 digits or
more; a float has at most 17), or a text holding such digits."""


def _clean_json_text(document: object) -> str | None:
    """The compact JSON text of a document surely free of :func:`json_problems`.

    One ``json.dumps`` and three searches of its text, in C, instead of a walk of
    every value in Python: every name and text is tested at once (``json.dumps``
    keeps unpaired surrogates and escapes NUL), and the nesting cannot exceed the
    number of brackets. Anything suspect returns ``None``, for the walk that names
    the path of a finding.

    Returns:
        The text (as :func:`json_size` measures it), or ``None``: look closer.
    """
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return None
    if (
        _NUL_IN_JSON in text
        or (not text.isascii() and _SURROGATE.search(text))
        or "NaN" in text  # a non-finite number, or a text holding the word
        or "Infinity" in text
        or _LONG_NUMBER.search(text)
        or text.count("{") + text.count("[") > MAX_NESTING_DEPTH
    ):
        return None
    return text


def json_problems(document: object) -> list[Problem]:
    """Find what no TMF683 document may hold, whatever its schema.

    Checks every value, extension attributes included: nesting deeper than
    :data:`MAX_NESTING_DEPTH`, the NUL character in a name or text, integers outside
    :data:`INTEGER_RANGE`, and non-finite numbers. Iterative, so any depth is safe.

    Args:
        document: a parsed JSON value.

    Returns:
        At most one finding, ``(json_path, message)``; empty when all is well.
    """
    if _clean_json_text(document) is not None:
        return []
    return _walk_problems(document)


def _walk_problems(document: object) -> list[Problem]:
    """:func:`json_problems` by a walk of every value, naming the path it stops at."""
    stack: list[tuple[object, str, int]] = [(document, "$", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_NESTING_DEPTH:
            return [("$", _TOO_DEEP)]
        if isinstance(value, dict):
            for key, child in value.items():
                if (message := _text_problem(key)) is not None:
                    return [(path, f"has an attribute name that {message}")]
                stack.append((child, f"{path}.{key}", depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (child, f"{path}[{index}]", depth + 1)
                for index, child in enumerate(value)
            )
        elif (message := _scalar_problem(value)) is not None:
            return [(path, message)]
    return []


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes | str) -> Any:
    """Parse a JSON text (RFC 8259) the way tmf683 reads every request body.

    Integers are exact (the standard library parser: no 64-bit rounding); ``NaN``
    and ``Infinity`` are refused, as JSON has no such numbers.

    Args:
        data: the JSON text, as UTF-8 bytes or as str.

    Returns:
        The parsed value: dicts, lists, str, int, float, bool or None.

    Raises:
        ValidationError: at ``$``, for bytes that are not UTF-8, text that is not
            JSON, or nesting too deep for the parser (far beyond
            :data:`MAX_NESTING_DEPTH`, which :func:`json_problems` enforces).
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise ValidationError([("$", f"is not valid UTF-8: {exc.reason}")]) from exc
    except RecursionError as exc:
        raise ValidationError([("$", _TOO_DEEP)]) from exc
    except ValueError as exc:
        raise ValidationError([("$", f"is not valid JSON: {exc}")]) from exc


def _items(value: object) -> list[tuple[int, dict[str, Any]]]:
    """The object items of a JSON array with their indexes; nothing for a non-array."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def profile_problems(document: Mapping[str, Any]) -> list[Problem]:
    """List what the conformance profile misses in a PartyInteraction JSON document.

    Works on the raw JSON, so it reports missing attributes even where others have
    the wrong type; wrong types themselves are the schema's findings
    (:func:`tmf683._serialization.structure`).

    Args:
        document: the JSON object.

    Returns:
        ``(json_path, message)`` findings; empty when the document conforms.
    """
    problems: list[Problem] = []
    channel = document.get("channel")
    if channel is None or channel == []:
        problems.append(("$.channel", "is required and must hold at least one channel"))
    problems += [
        (f"$.channel[{index}].id", "is required")
        for index, item in _items(channel)
        if item.get("id") in (None, "")
    ]
    for name in ("direction", "reason"):
        if document.get(name) is None:
            problems.append((f"$.{name}", "is required"))
        elif document.get(name) == "":
            problems.append((f"$.{name}", "must not be empty"))
    for name in ("status", "direction"):
        value = document.get(name)
        if isinstance(value, str) and len(value) > INDEXED_TEXT_LENGTH:
            problems.append(
                (f"$.{name}", f"is longer than {INDEXED_TEXT_LENGTH} characters")
            )
    problems += _party_problems("$.relatedParty", document.get("relatedParty"))
    for index, item in _items(document.get("interactionItem")):
        entity = item.get("item")
        if isinstance(entity, dict) and entity.get("role") in (None, ""):
            problems.append((f"$.interactionItem[{index}].item.role", "is required"))
        # an item's parties are RelatedParty too (the swagger's InteractionItem)
        at = f"$.interactionItem[{index}].relatedParty"
        problems += _party_problems(at, item.get("relatedParty"))
    problems += [
        (path, SCHEMA_LOCATION_HINT)
        for path, value in model_strings(document, PartyInteraction, "@schemaLocation")
        if not _URI.fullmatch(value)
    ]
    return problems


def _party_problems(at: str, parties: object) -> list[Problem]:
    """The swagger's required ``id`` and ``@referredType`` of RelatedParty items."""
    return [
        (f"{at}[{index}].{name}", "is required")
        for index, party in _items(parties)
        for name in ("id", "@referredType")
        if party.get(name) in (None, "")
    ]


_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*"
)
"""An absolute URI (RFC 3986 section 3: a scheme, ``:``, then URI characters and
percent-encodings only; IP-literal hosts in brackets are not taken)."""

SCHEMA_LOCATION_HINT = (
    "must be an absolute URI (RFC 3986), e.g. https://example.com/schema.json"
)
"""The finding for an ``@schemaLocation`` that is not one (the swagger's
``format: uri``)."""


def json_size(value: Any) -> int:
    """The length of ``value`` as compact JSON, non-ASCII kept (characters).

    Raises:
        TypeError, ValueError: ``value`` is not JSON (check :func:`json_problems`
            first).
    """
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def validate_party_interaction(document: object) -> PartyInteraction:
    """Validate a PartyInteraction JSON document against the schema and the profile.

    Server attributes (``id``, ``href``) are not checked here: a create refuses them
    before calling this, and a patch keeps the stored ones. The write path uses
    :func:`party_interaction_document`, which checks the same without the model.

    Args:
        document: the parsed JSON body.

    Returns:
        The structured interaction.

    Raises:
        ValidationError: every finding at once, schema findings first; or the one
            finding of :func:`json_problems` when there is one; or the document is
            larger than :data:`MAX_DOCUMENT_BYTES` as JSON (what every create and
            every patch, of any format and version, would store).
    """
    return _validated(document, lambda body: structure(body, PartyInteraction))


def party_interaction_document(document: object) -> dict[str, Any]:
    """Validate a PartyInteraction JSON document and return its normal form.

    The same checks and findings as :func:`validate_party_interaction`, in one walk
    of the JSON document (:func:`tmf683._normalize.normalize`) instead of a round
    trip through the attrs model.

    Args:
        document: the parsed JSON body.

    Returns:
        A new dict equal to ``unstructure(validate_party_interaction(document))``:
        the model's attribute order, ``null`` attributes left out, date-times in
        UTC with ``Z``.

    Raises:
        ValidationError: as :func:`validate_party_interaction`.
    """
    return _validated(document, lambda body: normalize(body, PartyInteraction))


def _validated(document: object, convert: Callable[[dict[str, Any]], T]) -> T:
    """Check ``document`` (see :func:`validate_party_interaction`), then convert it.

    ``convert`` reports the schema findings as a ValidationError; the profile's
    findings follow them, except at a path the schema already names.
    """
    if not isinstance(document, dict):
        raise ValidationError([("$", "must be a JSON object")])
    text = _clean_json_text(document)
    if text is None and (found := json_problems(document)):
        raise ValidationError(found)
    size = json_size(document) if text is None else len(text)
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            [("$", f"is {size} bytes of JSON, larger than {MAX_DOCUMENT_BYTES}")]
        )
    schema_problems: list[Problem] = []
    try:
        converted = convert(document)
    except ValidationError as exc:
        schema_problems = list(exc.problems)
    reported = {path for path, _ in schema_problems}
    problems = schema_problems + [
        problem for problem in profile_problems(document) if problem[0] not in reported
    ]
    if problems:
        raise ValidationError(problems)
    return converted
