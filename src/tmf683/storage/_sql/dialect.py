"""What differs between the SQL engines, as one small object per engine.

The compiler (:mod:`tmf683.storage._sql.compiler`), the outbox statements
(:mod:`tmf683.storage._sql.outbox`) and the shared store methods
(:mod:`tmf683.storage._sql.store`) are written once; a :class:`Dialect` fills in
placeholders, JSON access, array iteration, the regex strategy and the handling of
text an engine cannot hold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from tmf683.query.ast import Condition, Path
from tmf683.query.literals import Requirement
from tmf683.query.schema import AttributeKind
from tmf683.storage.base import Document

Bind = Callable[[Any], str]
"""Adds a query parameter and returns its placeholder (e.g. ``:p3``)."""


class Cursor(Protocol):
    """The part of a DB-API cursor the shared code reads."""

    @property
    def rowcount(self) -> int:
        """Rows the statement changed."""
        ...

    def fetchone(self) -> Any:
        """The next row, or ``None``."""
        ...

    def fetchall(self) -> Sequence[Any]:
        """The remaining rows."""
        ...


class Connection(Protocol):
    """A connection (``sqlite3`` or ``psycopg``) inside the caller's transaction."""

    def execute(self, sql: str, params: Any = ..., /) -> Cursor:
        """Run one statement with named parameters."""
        ...


class Dialect(Protocol):
    """One SQL engine's rules (a stateless object; one per engine).

    Attributes:
        true: the SQL of an always-true condition.
        false: the SQL of an always-false condition.
        ascending: the sort direction of an ascending key, absent values first.
        descending: the sort direction of a descending key, absent values last.
        regex_function: the name of a registered ``f(pattern, text)`` SQL function
            testing a pattern (RE2); ``None``: the compiler asks the store for the
            texts a pattern matches and tests equality with them.
        skip_locked: appended to the selection of deliveries an unregister deletes
            (rows locked by a dispatcher stay, for it to drop).
        lock_row: appended to the selection of the row a write changes, locking it
            until the transaction ends (``""`` where the transaction holds the
            whole database already).
        lock_subscriptions: a statement making concurrent registrations under a
            subscription limit wait for each other; ``""`` where the write
            transaction does already.
    """

    true: str
    false: str
    ascending: str
    descending: str
    regex_function: str | None
    skip_locked: str
    lock_row: str
    lock_subscriptions: str

    def placeholder(self, name: str) -> str:
        """The placeholder of a named parameter, e.g. ``:name``."""
        ...

    def cast(self, placeholder: str, sql_type: str) -> str:
        """A parameter read as an SQL type (``jsonb``, ``smallint``) where needed."""
        ...

    def value(self, bind: Bind, source: str, path: Path, kind: AttributeKind) -> str:
        """SQL of the value at ``path`` in JSON ``source`` when of the kind, else NULL.

        The SQL twin of :func:`tmf683.query.evaluate.typed`.
        """
        ...

    def elements(self, bind: Bind, source: str, path: Path, alias: str) -> str:
        """``FROM ... WHERE ...`` over the objects of the array at ``path``.

        Each object is ``{alias}.value``; the clause ends in a condition, ready for
        ``AND``.
        """
        ...

    def leaf_value(self, kind: AttributeKind) -> str:
        """The column of the leaf index holding values of the kind (``value``...)."""
        ...

    def leaf_kind(self, kind: AttributeKind) -> str:
        """SQL over the leaf index keeping the rows of the kind's JSON type only.

        Ranges need it (equality with a typed parameter does not).
        """
        ...

    def storable(self, condition: Condition) -> Condition:
        """``condition`` without the ``eq``/``ne`` values no stored text can equal."""
        ...

    def member(
        self, bind: Bind, value: str, values: Sequence[Any], kind: AttributeKind
    ) -> str:
        """SQL testing that ``value`` equals one of ``values`` (at least one)."""
        ...

    def order_test(
        self, bind: Bind, value: str, sign: str, bound: Any, kind: AttributeKind
    ) -> str:
        """SQL of ``value <sign> bound``; ``sign`` is ``>``, ``>=``, ``<`` or ``<=``."""
        ...

    def among(self, placeholder: str) -> str:
        """SQL testing that the expression before it is one of a list parameter.

        E.g. ``IN (SELECT value FROM json_each(:ids))``; the parameter's value
        comes from :meth:`text_list`.
        """
        ...

    def text_list(self, texts: Sequence[str]) -> Any:
        """A list of texts as the parameter :meth:`among` reads."""
        ...

    def can_hold(self, text: str) -> bool:
        """Whether a stored id may be this text (else it is simply not found)."""
        ...

    def dump_document(self, document: Document) -> Any:
        """A document (or subscription) as the parameter its column takes."""
        ...

    def load_document(self, value: Any) -> Document:
        """A document (or event) as read from its column."""
        ...

    stored_document: str
    """The column a read of a stored document selects (its JSON text)."""

    def load_stored(self, value: Any) -> Document:
        """A document as read from :attr:`stored_document`."""
        ...

    document_assignment: str
    """``SET`` SQL writing a document's columns from :meth:`document_values`."""

    def document_values(self, document: Document) -> dict[str, Any]:
        """The named parameters :attr:`document_assignment` reads."""
        ...

    def dump_event(self, event: Document) -> Any:
        """An event envelope as the parameter the outbox's column takes."""
        ...

    def executemany(
        self, conn: Connection, sql: str, rows: Sequence[dict[str, Any]]
    ) -> None:
        """Run one statement once per row of named parameters."""
        ...

    def taken_id(self, exc: Exception, table: str) -> bool:
        """Whether the driver's integrity error ``exc`` is a taken ``table.id``.

        Only that one is a :class:`~tmf683.ConflictError`: another unique key
        (a delivery id repeated by an event id factory) is a fault of the caller
        and goes up as the driver raised it.
        """
        ...

    def text_candidates(
        self,
        bind: Bind,
        path: str,
        leaf: str,
        requirement: Requirement,
        accepted: Sequence[str] | None,
        patterns: Sequence[str],
    ) -> str:
        """``SELECT seq ...`` of the documents with a text meeting ``requirement``.

        Args:
            bind: adds a parameter, returns its placeholder.
            path: the texts' dotted path (:func:`~.text_index.text_path`).
            leaf: the same texts' leaf path (:func:`~.leaves.leaf_path`).
            requirement: literals from :func:`~.text_index.requirement`.
            accepted: the texts at the path the patterns accept, when the
                compiler looked them up (a dialect without a regex function);
                else ``None``.
            patterns: the RE2 patterns (ORed) the requirement is of.

        Returns:
            SQL over the trigram index: every document holding such a text at the
            path is selected; others may be too (the caller tests the pattern).
        """
        ...
