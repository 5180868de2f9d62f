"""Moving interactions in and out of a store: NDJSON export and import.

``tmf683 export`` (:func:`tmf683.export_documents`) writes the stored documents,
one JSON object a line, as the store keeps them (v5-only data included);
``tmf683 import`` (:func:`tmf683.import_documents`) reads them back in batches, each
one transaction, checking every record as a create does. Together they move a
store, e.g. from SQLite to PostgreSQL (docs/postgres.md, "Moving from SQLite").

Modules: :mod:`.export`, :mod:`.importer`, :mod:`.records`. The public names are
in the root: :func:`tmf683.export_documents`,
:func:`tmf683.import_documents`, :class:`tmf683.ImportResult`,
:class:`tmf683.ImportFailedError`.
"""
