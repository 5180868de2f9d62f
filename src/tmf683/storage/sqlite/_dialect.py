"""The SQLite rules of the shared SQL code (:mod:`tmf683.storage._sql`).

- Typed values: ``json_type`` must be ``'text'``, or ``'integer'``/``'real'`` for
  numbers; SQLite compares texts by their UTF-8 bytes (code point order) and
  numbers exactly, as Python does.
- JSON paths are bound as parameters, each name quoted (``$."a"."b"``).
- Arrays are crossed with ``json_each``.
- ``regex`` runs RE2 in the registered function ``tmf683_regexp``.
- Every text, NUL and unpaired surrogates included, can be bound and stored.
- Sorting: SQLite puts NULL first ascending and last descending by itself.
"""

from __future__ import annotations

import json
import sqlite3
import typing
from collections.abc import Sequence
from typing import Any

from tmf683.query.ast import Condition, Path
from tmf683.query.literals import All, Literal, Requirement
from tmf683.query.regex import search
from tmf683.query.schema import AttributeKind
from tmf683.storage._sql import texts
from tmf683.storage._sql.dialect import Bind, Connection
from tmf683.storage._sql.leaves import LEAF_TABLE
from tmf683.storage._sql.tables import SURROGATE
from tmf683.storage._sql.text_index import TEXT_TABLE, TRIGRAM_TABLE
from tmf683.storage.base import Document
from tmf683.storage.sqlite import _numbers

REGEXP = "tmf683_regexp"
"""The name of the SQL function :func:`regexp` is registered under."""


def regexp(pattern: str, value: object) -> int:
    """The ``tmf683_regexp(pattern, value)`` SQL function: 1 on an RE2 match."""
    return int(search(pattern, value))


def dumps(document: Document) -> str:
    """The JSON text a document is stored as: compact, non-ASCII as is.

    orjson's text (the wire form, :mod:`tmf683.storage.encoded`), about 30 times
    quicker than ``json.dumps`` (a write encodes its document two to four times);
    ``json.dumps``'s for what orjson refuses (integers past 64 bits, unpaired
    surrogates), as every text was written before. Both are deterministic, so
    two dumps of one document compare equal (``documents.change_again``).
    """
    import orjson  # on first use: importing tmf683 loads no encoder

    try:
        return orjson.dumps(document).decode()
    except orjson.JSONEncodeError:  # a TypeError
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def json_path(path: Path) -> str:
    """Return the SQLite JSON path of an attribute path, each name quoted.

    Args:
        path: e.g. ``("interactionDate", "startDateTime")``; names hold no ``"``
            and no control character (the parser refuses them).

    Returns:
        e.g. ``'$."interactionDate"."startDateTime"'``, to be bound as a parameter.
        SQLite compares a quoted name with the key as the stored JSON text writes
        it, so a backslash is doubled (as :func:`dumps` writes it).
    """
    names = (name.replace("\\", "\\\\") for name in path)
    return "$" + "".join(f'."{name}"' for name in names)


def typed_value_sql(source: str, location: str, kind: AttributeKind) -> str:
    """SQL for the value at a JSON path when it has the kind's JSON type, else NULL.

    Args:
        source: SQL of the JSON text, e.g. ``document`` or ``e1.value``.
        location: SQL of the JSON path: a placeholder or a quoted literal from a
            whitelist.
        kind: the attribute's kind.

    Returns:
        A ``CASE`` expression, the SQL twin of :func:`tmf683.query.evaluate.typed`.
    """
    types = "('integer', 'real')" if kind is AttributeKind.NUMBER else "('text')"
    return (
        f"(CASE WHEN json_type({source}, {location}) IN {types} "
        f"THEN json_extract({source}, {location}) END)"
    )


class SQLiteDialect:
    """The SQLite :class:`~tmf683.storage._sql.dialect.Dialect`."""

    true = "1"
    false = "0"
    ascending = "ASC"
    descending = "DESC"
    regex_function: str | None = REGEXP
    skip_locked = ""
    lock_row = ""
    lock_subscriptions = ""

    def placeholder(self, name: str) -> str:
        """``:name``."""
        return f":{name}"

    def cast(self, placeholder: str, sql_type: str) -> str:
        """The placeholder itself: SQLite's columns take any type."""
        return placeholder

    def value(self, bind: Bind, source: str, path: Path, kind: AttributeKind) -> str:
        """``json_extract`` of the bound path, when ``json_type`` fits the kind."""
        return typed_value_sql(source, bind(json_path(path)), kind)

    def elements(self, bind: Bind, source: str, path: Path, alias: str) -> str:
        """The object rows of ``json_each`` over the bound path."""
        return (
            f"FROM json_each({source}, {bind(json_path(path))}) AS {alias} "
            f"WHERE {alias}.type = 'object'"
        )

    def attribute_text(self, bind: Bind, source: str, name: str) -> str:
        """The text of a first-level attribute's value as ``source`` writes it.

        ``->`` gives the sub-text of the stored text (strings with their escapes,
        numbers as written), as UTF-8 bytes; SQL ``NULL`` when the document has
        no such attribute (``'null'`` for a JSON ``null``). PostgreSQL gives the
        same with ``->`` on a ``json`` column and the name bound as it is.
        """
        return f"CAST({source} -> {bind(json_path((name,)))} AS BLOB)"

    def leaf_value(self, kind: AttributeKind) -> str:
        """``value``: texts and numbers in one column without type affinity."""
        return "value"

    def leaf_kind(self, kind: AttributeKind) -> str:
        """Numbers sort before every text (``''`` the least), so a range test.

        A filter only (``+value``, which no index answers): as a bound of the
        primary key's range, SQLite took it in place of the query's own bound on
        the same side (``a.gte=x&a.lt=y`` read every text from ``''`` to ``y``:
        113 ms instead of 1 at 1M interactions). The query's bounds make the
        range; a path holding both numbers and texts reads the other kind's rows
        beyond a lone bound and drops them here.
        """
        return "+value < ''" if kind is AttributeKind.NUMBER else "+value >= ''"

    def storable(self, condition: Condition) -> Condition:
        """``eq`` and ``ne`` without the values holding an unpaired surrogate.

        No stored text holds one, and sqlite3 could not bind it (not UTF-8); an
        integer past 64 bits becomes its float, or goes where none equals it
        (:func:`~tmf683.storage.sqlite._numbers.equal_values`).
        """
        return _numbers.equal_values(texts.storable(condition, SURROGATE))

    def member(
        self, bind: Bind, value: str, values: Sequence[Any], kind: AttributeKind
    ) -> str:
        """``value IN (...)``, one parameter per value (an index can answer it)."""
        return f"{value} IN ({', '.join(bind(v) for v in values)})"

    def order_test(
        self, bind: Bind, value: str, sign: str, bound: Any, kind: AttributeKind
    ) -> str:
        """``value <sign> :p``, the bound rewritten where sqlite3 cannot bind it.

        A text around surrogates; an integer past 64 bits as a float
        (:mod:`~tmf683.storage.sqlite._numbers`).
        """
        if isinstance(bound, str):
            sign, bound = texts.order_test(sign, bound, SURROGATE)
        else:
            sign, bound = _numbers.order_test(sign, bound)
        return f"{value} {sign} {bind(bound)}"

    def text_candidates(
        self,
        bind: Bind,
        path: str,
        leaf: str,
        requirement: Requirement,
        accepted: Sequence[str] | None,
        patterns: Sequence[str],
    ) -> str:
        """The leaf rows at ``leaf`` of the texts at ``path`` the patterns match.

        ``accepted`` is ``None`` here (SQLite has a regex function). The texts are
        those the FTS5 ``trigram`` index finds for the requirement, looked up by
        their ``id`` (a search by ``path`` first read every text at the path),
        and those of the texts still waiting for the index (``indexed = 0``,
        fewer than ``_index.TRIGRAM_BATCH``) that RE2 matches: a waiting text
        held by many documents brings them only if it matches. (RE2 on each of
        the index's candidates too made a common literal 1.7 times slower: they
        mostly match, and their documents are tested again.) FTS5 folds case on
        both sides (``case_sensitive 0``), so a case-sensitive literal selects a
        superset. A text longer than the leaf index keeps finds the documents
        with its cut: a superset. The caller tests every candidate document.
        """
        at = bind(leaf)  # SQLite keeps the texts at their leaf path
        test = " OR ".join(f"{REGEXP}({bind(p)}, text)" for p in patterns)
        return (
            f"SELECT seq FROM {LEAF_TABLE} WHERE path = {at} AND value IN "  # noqa: S608
            f"(SELECT coalesce(leaf, text) FROM {TEXT_TABLE} WHERE +path = {at} "
            f"AND id IN (SELECT rowid FROM {TRIGRAM_TABLE} WHERE {TRIGRAM_TABLE} "
            f"MATCH {bind(fts_query(requirement))}) "
            f"UNION ALL SELECT coalesce(leaf, text) FROM {TEXT_TABLE} "
            f"WHERE indexed = 0 AND +path = {at} AND ({test}))"
        )

    def among(self, placeholder: str) -> str:
        """``IN`` the values of the JSON array parameter (one parameter, any size)."""
        return f"IN (SELECT value FROM json_each({placeholder}))"  # noqa: S608

    def text_list(self, texts: Sequence[str]) -> str:
        """The texts as a JSON array."""
        return json.dumps(list(texts))

    def can_hold(self, text: str) -> bool:
        """Whether ``text`` is a str without an unpaired surrogate (not UTF-8)."""
        return isinstance(text, str) and not SURROGATE.search(text)

    def dump_document(self, document: Document) -> str:
        """Compact JSON text, non-ASCII kept as is."""
        return dumps(document)

    def load_document(self, value: Any) -> Document:
        """Parse the stored JSON text."""
        document: Document = json.loads(value)
        return document

    stored_document = "document"
    """The stored text is the document's column."""

    def load_stored(self, value: Any) -> Document:
        """:meth:`load_document`."""
        return self.load_document(value)

    document_assignment = "document = :document"

    def document_values(self, document: Document) -> dict[str, Any]:
        """``{"document": text}``."""
        return {"document": self.dump_document(document)}

    def dump_event(self, event: Document) -> str:
        """Compact JSON text, as documents."""
        return dumps(event)

    def executemany(
        self, conn: Connection, sql: str, rows: Sequence[dict[str, Any]]
    ) -> None:
        """``sqlite3.Connection.executemany``."""
        typing.cast(sqlite3.Connection, conn).executemany(sql, rows)

    def taken_id(self, exc: Exception, table: str) -> bool:
        """SQLite names the column: ``UNIQUE constraint failed: <table>.id``."""
        return isinstance(exc, sqlite3.IntegrityError) and str(exc) == (
            f"UNIQUE constraint failed: {table}.id"
        )


DIALECT = SQLiteDialect()


def fts_query(requirement: Requirement) -> str:
    """An FTS5 query of phrases: ``abc AND (def OR ghi)`` as ``"abc" AND (...)``."""
    if isinstance(requirement, Literal):
        return '"' + requirement.text.replace('"', '""') + '"'
    joint = " AND " if isinstance(requirement, All) else " OR "
    return joint.join(f"({fts_query(part)})" for part in requirement.parts)
