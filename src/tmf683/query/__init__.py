"""The TMF630 query engine: parse, evaluate and project list queries.

Framework-free: it takes the raw query string and JSON documents.
"""

from tmf683.query.ast import AnyOf, Clause, Condition, Operator, Path, Query, SortKey
from tmf683.query.evaluate import matches, select
from tmf683.query.parse import RESERVED_PARAMETERS, parse_fields, parse_query
from tmf683.query.projection import ALWAYS_SELECTED, project

__all__ = [
    "ALWAYS_SELECTED",
    "RESERVED_PARAMETERS",
    "AnyOf",
    "Clause",
    "Condition",
    "Operator",
    "Path",
    "Query",
    "SortKey",
    "matches",
    "parse_fields",
    "parse_query",
    "project",
    "select",
]
