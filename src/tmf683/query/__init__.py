"""The TMF630 query engine: parse, evaluate and project list queries.

Framework-free and version-free: it takes the raw query string, JSON documents and a
:class:`~tmf683.query.schema.Schema` describing them (the TMF683 v4 one is built from
the model in :mod:`tmf683._schema`).
"""

from tmf683.query.ast import AnyOf, Clause, Condition, Operator, Path, Query, SortKey
from tmf683.query.evaluate import matches, select
from tmf683.query.parse import RESERVED_PARAMETERS, parse_fields, parse_query
from tmf683.query.projection import ALWAYS_SELECTED, project
from tmf683.query.schema import AttributeKind, Schema, SchemaAttribute, resolve

__all__ = [
    "ALWAYS_SELECTED",
    "RESERVED_PARAMETERS",
    "AnyOf",
    "AttributeKind",
    "Clause",
    "Condition",
    "Operator",
    "Path",
    "Query",
    "Schema",
    "SchemaAttribute",
    "SortKey",
    "matches",
    "parse_fields",
    "parse_query",
    "project",
    "resolve",
    "select",
]
