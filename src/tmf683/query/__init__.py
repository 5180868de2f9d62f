"""The TMF630 query engine: parse, evaluate and project list queries.

Framework-free and version-free: it takes the raw query string, JSON documents and a
:class:`~tmf683.query.schema.Schema` describing them (the TMF683 v4 one is built from
the model in :mod:`tmf683._schema`).
"""
