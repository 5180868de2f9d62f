"""The PostgreSQL rules of the shared SQL code (:mod:`tmf683.storage._sql`).

How each rule of the in-memory oracle is kept:

- Typed values: ``jsonb_typeof`` must be ``string`` (text, date-times) or ``number``.
- Text compares and sorts under ``COLLATE "C"``: byte order of UTF-8, which is code
  point order, as in Python and SQLite.
- Numbers compare as ``numeric`` with :class:`~decimal.Decimal` parameters: exact,
  as Python compares ints and floats. The store writes each float as its exact
  decimal value (:func:`jsonb_text`), so the ``numeric`` in the document is the
  float the document holds.
- Keys are followed with ``->`` one at a time, each a bound parameter: ``#>`` would
  read a key such as ``"0"`` as an array index.
- Arrays are crossed with ``jsonb_array_elements`` (of arrays only).
- ``regex``: PostgreSQL's regular expressions are not RE2, so the dialect has no
  regex function: the store collects the distinct texts at the path (in the query's
  snapshot), the pattern runs on them in Python with RE2, and the condition becomes
  equality with the texts that matched.
- NUL and unpaired surrogates: no stored text holds one, and PostgreSQL cannot
  receive one as a parameter; ``eq``/``ne`` drop such values, ordering tests rewrite
  them (:func:`order_test`), and ids holding one are not found.
- Sorting: absent values first ascending and last descending (``NULLS FIRST`` /
  ``NULLS LAST``).
"""

from __future__ import annotations

import json
import typing
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson
import psycopg
import re2
from psycopg import errors as pg_errors
from psycopg.types.json import Json

from tmf683._errors import ValidationError
from tmf683._listing import encode_json
from tmf683.query.ast import Condition, Path
from tmf683.query.literals import All, Literal, Requirement
from tmf683.query.schema import AttributeKind
from tmf683.storage._sql import texts
from tmf683.storage._sql.dialect import Bind, Connection
from tmf683.storage._sql.leaves import LEAF_TABLE, cut
from tmf683.storage._sql.tables import UNSTORABLE
from tmf683.storage.base import Document


def key_chain(source: str, path: Path) -> str:
    """SQL following constant keys with ``->``, for the whitelisted schema only.

    Args:
        source: SQL of a ``jsonb`` value, e.g. ``document``.
        path: keys from :data:`tmf683.storage._sql.tables.COLUMNS` (never client
            text).

    Returns:
        e.g. ``(document -> 'interactionDate' -> 'startDateTime')``.
    """
    return "(" + source + "".join(f" -> '{name}'" for name in path) + ")"


def typed_sql(value: str, kind: AttributeKind) -> str:
    """SQL of a ``jsonb`` value when it has the kind's JSON type, else NULL.

    Args:
        value: SQL of the ``jsonb`` value.
        kind: the attribute's kind.

    Returns:
        A ``numeric`` for numbers, a ``text COLLATE "C"`` otherwise: the SQL twin of
        :func:`tmf683.query.evaluate.typed`.
    """
    if kind is AttributeKind.NUMBER:
        return (
            f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value})::numeric END)"
        )
    return (
        f"((CASE WHEN jsonb_typeof({value}) = 'string' THEN {value} #>> '{{}}' END) "
        'COLLATE "C")'
    )


def json_path_text(path: Path) -> str:
    """A lax SQL/JSON path reaching every value at ``path``, through arrays too.

    Args:
        path: attribute names from the document root.

    Returns:
        e.g. ``lax $."relatedParty"."id"``, to be bound as a ``jsonpath`` parameter.
    """
    quoted = (name.replace("\\", "\\\\").replace('"', '\\"') for name in path)
    return "lax $" + "".join(f'."{name}"' for name in quoted)


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        text = format(Decimal(value), "f")
        return orjson.Fragment(text if "." in text else text + ".0")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


def jsonb_text(document: Any) -> str:
    """JSON text of a document for a ``jsonb`` column, every float written exactly.

    ``jsonb`` keeps numbers as ``numeric``: written as Python writes a float
    (``0.1``), the stored number would not be the float the document holds, and
    comparisons with it would differ from Python's. Written as the float's exact
    decimal value (``0.1000000000000000055511151231257827021181583404541015625``),
    it compares exactly and reads back as the same float. Integral floats keep a
    ``.0`` so they read back as floats.

    Args:
        document: a JSON value (dicts with string keys, lists, text, numbers,
            booleans, ``None``).

    Returns:
        The JSON text.

    Raises:
        ValidationError: the document holds text Unicode cannot encode (an unpaired
            surrogate).
    """
    try:
        return orjson.dumps(_exact(document)).decode()
    except orjson.JSONEncodeError as exc:
        raise ValidationError(
            [("$", f"holds text that is not valid Unicode: {exc}")]
        ) from exc


def _wide(value: Any) -> Any:
    """``value`` with its integers beyond 64 bits as orjson fragments."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if -(2**63) <= value < 2**64 else orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {key: _wide(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wide(item) for item in value]
    return value


_LONG_INTEGER = re2.compile(r"[:,\[]-?[0-9]{19}")
"""An integer of 19 digits or more (after what precedes a number in compact JSON):
maybe beyond 64 bits, which orjson reads as a float. (In a string too: then the
text is read by ``json.loads``, slower, never wrong.)"""


def wire_text(document: Document) -> str:
    """The document's ``document_text``: :func:`tmf683.encode_json`'s text.

    Integers beyond 64 bits (which no service write lets in, but the store
    keeps) are written as their digits. Call it after :func:`jsonb_text`, which
    refuses unpaired surrogates.
    """
    try:
        return encode_json(document).decode()
    except TypeError:  # an integer beyond 64 bits
        return orjson.dumps(_wide(document)).decode()


def read_text(text: str) -> Document:
    """A ``document_text`` parsed, as ``json.loads`` would.

    By orjson (floats read exactly), or by ``json.loads`` where an integer may
    pass 64 bits.
    """
    document: Document = (
        json.loads(text) if _LONG_INTEGER.search(text) else orjson.loads(text)
    )
    return document


class PostgresDialect:
    """The PostgreSQL :class:`~tmf683.storage._sql.dialect.Dialect`."""

    true = "true"
    false = "false"
    ascending = "ASC NULLS FIRST"
    descending = "DESC NULLS LAST"
    regex_function: str | None = None
    skip_locked = " FOR UPDATE SKIP LOCKED"
    lock_row = " FOR UPDATE"
    lock_subscriptions = "LOCK TABLE event_subscription IN SHARE ROW EXCLUSIVE MODE"

    def placeholder(self, name: str) -> str:
        """``%(name)s``."""
        return f"%({name})s"

    def cast(self, placeholder: str, sql_type: str) -> str:
        """``placeholder::type``."""
        return f"{placeholder}::{sql_type}"

    def _json(self, bind: Bind, source: str, path: Path) -> str:
        keys = "".join(f" -> {bind(name)}::text" for name in path)
        return f"({source}{keys})"

    def value(self, bind: Bind, source: str, path: Path, kind: AttributeKind) -> str:
        """:func:`typed_sql` of the value the bound keys reach."""
        return typed_sql(self._json(bind, source, path), kind)

    def elements(self, bind: Bind, source: str, path: Path, alias: str) -> str:
        """The object elements of the value at ``path``, when it is an array."""
        array = self._json(bind, source, path)
        return (
            "FROM jsonb_array_elements(CASE WHEN "
            f"jsonb_typeof({array}) = 'array' THEN {array} END) AS {alias}(value) "
            f"WHERE jsonb_typeof({alias}.value) = 'object'"
        )

    def leaf_value(self, kind: AttributeKind) -> str:
        """``number`` (``numeric``) or ``text`` (``COLLATE "C"``)."""
        return "number" if kind is AttributeKind.NUMBER else "text"

    def leaf_kind(self, kind: AttributeKind) -> str:
        """The column is set: the predicate of its partial index."""
        return f"{self.leaf_value(kind)} IS NOT NULL"

    def storable(self, condition: Condition) -> Condition:
        """``eq`` and ``ne`` without the values holding a NUL or unpaired surrogate.

        No stored text holds either, so no stored text equals such a value, and
        PostgreSQL could not receive it as a parameter.
        """
        return texts.storable(condition, UNSTORABLE)

    def member(
        self, bind: Bind, value: str, values: Sequence[Any], kind: AttributeKind
    ) -> str:
        """``value = ANY(array)``: one ``numeric[]`` or ``text[]`` parameter."""
        if kind is AttributeKind.NUMBER:
            array = f"{bind([Decimal(v) for v in values])}::numeric[]"
        else:
            array = f"{bind([str(v) for v in values])}::text[]"
        return f"{value} = ANY({array})"

    def order_test(
        self, bind: Bind, value: str, sign: str, bound: Any, kind: AttributeKind
    ) -> str:
        """Numbers as exact ``numeric``; texts rewritten around NUL and surrogates."""
        if kind is AttributeKind.NUMBER:
            return f"{value} {sign} {bind(Decimal(bound))}::numeric"
        text_sign, text = texts.order_test(sign, str(bound), UNSTORABLE)
        return f"{value} {text_sign} {bind(text)}::text"

    def text_candidates(
        self,
        bind: Bind,
        path: str,
        leaf: str,
        requirement: Requirement,
        accepted: Sequence[str] | None,
        patterns: Sequence[str],
    ) -> str:
        """The leaf rows at ``leaf`` of the ``accepted`` texts (cut as it keeps them).

        The compiler looked the texts up already, through the trigram index
        (``_read.regex_matches``); searching it again here, for the count and for
        the page, cost two more GIN searches that grew with the table (x4 from 10k
        to 1M interactions), where the leaf index's B-tree reads the documents of
        known texts by their keys. A text longer than the leaf index keeps finds
        the documents with its cut: a superset, which the caller rechecks.
        """
        cuts = sorted({cut(text) for text in accepted or ()})
        return (
            f"SELECT seq FROM {LEAF_TABLE} WHERE path = {bind(leaf)} "  # noqa: S608
            f"AND text = ANY({bind(cuts)}::text[])"
        )

    def among(self, placeholder: str) -> str:
        """``= ANY`` of the array parameter."""
        return f"= ANY({placeholder})"

    def text_list(self, texts: Sequence[str]) -> list[str]:
        """The texts as a list (a ``text[]`` parameter)."""
        return list(texts)

    def can_hold(self, text: str) -> bool:
        """Whether the text has no NUL and no unpaired surrogate."""
        return isinstance(text, str) and not UNSTORABLE.search(text)

    def dump_document(self, document: Document) -> str:
        """:func:`jsonb_text` (every float exact), for a ``::jsonb`` parameter."""
        return jsonb_text(document)

    def load_document(self, value: Any) -> Document:
        """Psycopg has parsed the ``jsonb``/``json`` column already."""
        document: Document = value
        return document

    stored_document = "document_text"
    """The text column beside ``jsonb`` (schema version 8): the document's JSON as
    :func:`tmf683.encode_json` wrote it, in the key order it was written."""

    def load_stored(self, value: Any) -> Document:
        """:func:`read_text`."""
        return read_text(value)

    document_assignment = (
        "document = %(document)s::jsonb, document_text = %(document_text)s"
    )

    def document_values(self, document: Document) -> dict[str, Any]:
        """The ``jsonb`` parameter (:func:`jsonb_text`) and the wire text."""
        return {
            "document": jsonb_text(document),
            "document_text": wire_text(document),
        }

    def dump_event(self, event: Document) -> Json:
        """A ``json`` parameter."""
        return Json(event)

    def executemany(
        self, conn: Connection, sql: str, rows: Sequence[dict[str, Any]]
    ) -> None:
        """``executemany`` on a cursor of the connection."""
        with typing.cast(psycopg.Connection[Any], conn).cursor() as cursor:
            cursor.executemany(sql, rows)

    def taken_id(self, exc: Exception, table: str) -> bool:
        """The unique constraint of ``id ... UNIQUE`` is named ``<table>_id_key``."""
        return (
            isinstance(exc, pg_errors.UniqueViolation)
            and exc.diag.constraint_name == f"{table}_id_key"
        )


DIALECT = PostgresDialect()


def like_sql(bind: Bind, requirement: Requirement, column: str = "text") -> str:
    """``column LIKE '%abc%'`` tests of the literals, ``ILIKE`` for ``nocase`` ones.

    The column is ``COLLATE "C"``: ``ILIKE`` folds ASCII letters only, all a
    ``nocase`` literal holds (:mod:`tmf683.query.literals`).
    """
    if isinstance(requirement, Literal):
        operator = "ILIKE" if requirement.nocase else "LIKE"
        escaped = (
            requirement.text.replace("\\", "\\\\")
            .replace("%", "\\%")
            .replace("_", "\\_")
        )
        return f"{column} {operator} {bind('%' + escaped + '%')}"
    joint = " AND " if isinstance(requirement, All) else " OR "
    return (
        "("
        + joint.join(like_sql(bind, part, column) for part in requirement.parts)
        + ")"
    )
