"""``document_text`` kept true when a writer from before schema version 8 writes.

A server of an older tmf683 (schema 7 or before) still running while a newer one
upgrades the database (a rolling update) writes ``document`` only: its insert would
fail on ``document_text``'s ``NOT NULL`` and its update would leave the old text,
which every newer read serves and the next newer patch starts from. Two ``BEFORE``
row triggers fill the text from the ``jsonb`` (``document::text``: ``jsonb``'s key
order and spacing, which every read parses) in just those cases: an insert without
a text, an update that changes ``document`` and leaves ``document_text`` as it was.
Writes of this tmf683 always write both, so for them the triggers' conditions are
false and their functions never run.
"""

from __future__ import annotations

from tmf683.storage._sql.tables import TABLE

_FUNCTION = f"{TABLE}_text_fill"

STATEMENTS = (
    f"""CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.document_text := NEW.document::text;
        RETURN NEW;
    END $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_text_insert ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_text_insert BEFORE INSERT ON {TABLE} FOR EACH ROW "
    f"WHEN (NEW.document_text IS NULL) EXECUTE FUNCTION {_FUNCTION}()",
    f"DROP TRIGGER IF EXISTS {TABLE}_text_update ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_text_update BEFORE UPDATE OF document ON {TABLE} "
    "FOR EACH ROW WHEN (NEW.document_text IS NOT DISTINCT FROM OLD.document_text "
    "AND NEW.document IS DISTINCT FROM OLD.document) "
    f"EXECUTE FUNCTION {_FUNCTION}()",
)
"""Create (or replace) the function and its two triggers; run once per upgrade."""
