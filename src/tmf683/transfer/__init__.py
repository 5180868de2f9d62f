"""Moving interactions in and out of a store: NDJSON export and import.

``tmf683 export`` (:func:`export_documents`) writes the stored documents, one JSON
object a line, as the store keeps them (v5-only data included); ``tmf683 import``
(:func:`import_documents`) reads them back in batches, each one transaction,
checking every record as a create does. Together they move a store, e.g. from
SQLite to PostgreSQL (docs/postgres.md, "Moving from SQLite").
"""

from __future__ import annotations

from tmf683.transfer.export import EXPORT_BATCH, export_documents, export_query
from tmf683.transfer.importer import (
    IMPORT_BATCH,
    ImportFailedError,
    ImportResult,
    OnExisting,
    import_documents,
)
from tmf683.transfer.records import check_record, dump_record, read_record

__all__ = [
    "EXPORT_BATCH",
    "IMPORT_BATCH",
    "ImportFailedError",
    "ImportResult",
    "OnExisting",
    "check_record",
    "dump_record",
    "export_documents",
    "export_query",
    "import_documents",
    "read_record",
]
