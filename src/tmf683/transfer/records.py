"""One line of an NDJSON export: a stored (canonical) document, checked on import.

A record is the document as the store keeps it (:mod:`tmf683.versions.canonical`):
``id``, the v4 attributes, and under ``_v5`` what only v5 can say (``lastUpdate``,
``externalIdentifier``, the v5 forms of array elements). No ``href`` (the server
builds it from its base URL) and no version (an imported document starts at 1).
"""

from __future__ import annotations

import json
from typing import Any

from tmf683._datetimes import DATETIME_HINT, parse_datetime
from tmf683._errors import Problem, ValidationError
from tmf683._validation import (
    MAX_DOCUMENT_BYTES,
    json_problems,
    json_size,
    parse_json,
    party_interaction_document,
)
from tmf683.storage.base import Document
from tmf683.versions import v5contract
from tmf683.versions.canonical import V5_KEY, v4_part
from tmf683.versions.v5 import to_v5
from tmf683.versions.v5rules import ARRAY_RULES, MAPPED_V5

_V5_ARRAYS = frozenset(rule.canonical for rule in ARRAY_RULES)
_PAIR_KEYS = frozenset({"v4", "v5", "at"})


def dump_record(document: Document) -> str:
    """The NDJSON line of a stored document, without the line break.

    Args:
        document: a canonical document with ``id``.

    Returns:
        Compact JSON, non-ASCII kept as is (the file is UTF-8).
    """
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _v5_problems(part: Any) -> list[Problem]:
    """What is wrong with the shape of a record's ``_v5`` data."""
    where = f"$.{V5_KEY}"
    if not isinstance(part, dict):
        return [(where, "must be an object")]
    problems: list[Problem] = []
    for name, value in part.items():
        if name == "attributes":
            if not isinstance(value, dict):
                problems.append((f"{where}.attributes", "must be an object"))
                continue
            problems += [
                (f"{where}.attributes.{key}", "is not v5-only data; leave it out")
                for key in value
                if key in MAPPED_V5
            ]
            if "lastUpdate" in value:
                try:
                    parse_datetime(value["lastUpdate"])
                except ValueError:
                    problems.append((f"{where}.attributes.lastUpdate", DATETIME_HINT))
            continue
        if name not in _V5_ARRAYS:
            problems.append((f"{where}.{name}", "is not an array of PartyInteraction"))
            continue
        if not isinstance(value, list):
            problems.append((f"{where}.{name}", "must be an array"))
            continue
        for index, pair in enumerate(value):
            at = pair.get("at") if isinstance(pair, dict) else None
            if (
                not isinstance(pair, dict)
                or set(pair) != _PAIR_KEYS
                or not isinstance(at, int)
                or isinstance(at, bool)
                or at < 0
            ):
                problems.append(
                    (
                        f"{where}.{name}[{index}]",
                        'must be {"v4": ..., "v5": ..., "at": position}',
                    )
                )
    return problems


def check_record(record: object) -> Document:
    """Validate one record as a create validates its body; return what to store.

    The v4 part goes through
    :func:`~tmf683._validation.validate_party_interaction` (schema, conformance
    profile, JSON limits) and is stored in the form a create stores (UTC
    date-times); the ``_v5`` data must have the shape the v5 mapping reads.

    Args:
        record: a parsed NDJSON line.

    Returns:
        The canonical document to store.

    Raises:
        ValidationError: every problem, each with its ``$.path``.
    """
    if not isinstance(record, dict):
        raise ValidationError([("$", "must be a JSON object")])
    # what validate_party_interaction does not see (it checks the rest)
    rest = {k: record[k] for k in ("id", "href", V5_KEY) if k in record}
    if found := json_problems(rest):
        raise ValidationError(found)
    problems: list[Problem] = []
    id = record.get("id")
    if not isinstance(id, str) or not id:
        problems.append(("$.id", "is required: a non-empty string"))
    elif "/" in id:  # a path segment cannot hold it, even as %2F
        problems.append(("$.id", "must not contain / (no URL could address it)"))
    if "href" in record:
        problems.append(("$.href", "is built by the server; leave it out"))
    body = {k: v for k, v in record.items() if k not in ("id", "href", V5_KEY)}
    try:
        normalised = party_interaction_document(body)
    except ValidationError as exc:
        problems += exc.problems
    if V5_KEY in record:
        problems += _v5_problems(record[V5_KEY])
    if problems:
        raise ValidationError(problems)
    stored: Document = {"id": id, **v4_part(normalised)}
    if record.get(V5_KEY):
        stored[V5_KEY] = record[V5_KEY]
        try:
            view = to_v5(stored, "")
        except Exception as exc:  # pragma: no cover - a guard: the shape is checked
            raise ValidationError(
                [(f"$.{V5_KEY}", f"cannot be shown in v5: {exc!r}")]
            ) from exc
        # what v5 clients would read must be a v5 PartyInteraction, as after a
        # v5 create: the kept v5 forms and attributes are not checked by the v4 model
        view.pop("href")
        if found := v5contract.schema_problems(view, "PartyInteraction"):
            raise ValidationError(
                [
                    (f"$.{V5_KEY}", f"makes a v5 view whose {path} {message}")
                    for path, message in found
                ]
            )
        if (size := json_size(stored)) > MAX_DOCUMENT_BYTES:
            raise ValidationError(
                [("$", f"is {size} bytes of JSON, larger than {MAX_DOCUMENT_BYTES}")]
            )
    return stored


def read_record(line: bytes | str) -> Document:
    """Parse and check one NDJSON line (see :func:`check_record`).

    Raises:
        ValidationError: not JSON, or a record that :func:`check_record` refuses.
    """
    return check_record(parse_json(line))
