"""The exact number of stored interactions, kept by triggers (schema version 9).

``count(*)`` of the whole ``party_interaction`` table reads its heap (about 2 KB a
row with ``document_text``): 80-90 ms at 100k rows, 45-55 ms per million through an
index even when the visibility map lets it. The unfiltered list's count
(``X-Total-Count``) reads ``party_interaction_count`` instead:

- Every ``INSERT`` (``COPY`` too) and ``DELETE`` statement on the table adds one
  row holding how many rows it added or removed (a statement-level trigger over its
  transition table), in the writer's transaction: it commits or rolls back with
  the rows it counts, so the sum in any snapshot is the number of rows that
  snapshot sees. Writers only append: no counter row that concurrent creates
  would queue on.
- The trigger of every ``COMPACT_EVERY``-th row (its identity) folds the rows it
  can lock (``FOR UPDATE SKIP LOCKED``: never waiting, never deadlocking) into
  one row holding their sum, in the same statement, when the writer runs at
  ``READ COMMITTED`` (a higher level could fail on a row another compactor
  removed). The table stays at about ``COMPACT_EVERY`` rows plus one per writer
  in flight.
- ``TRUNCATE`` of the table empties it too: by ``DELETE`` at ``READ COMMITTED``
  (its snapshot is taken after the ``TRUNCATE``'s lock, so it sees every row), by
  ``TRUNCATE`` at a higher level, whose snapshot may predate writes committed
  while the ``TRUNCATE`` waited (there it takes the count's ``ACCESS EXCLUSIVE``
  lock too: a list read holding the count may then deadlock with it).

SQL text here is built from module constants only.
"""

from __future__ import annotations

from tmf683.storage._sql.tables import TABLE

COUNT_TABLE = f"{TABLE}_count"
"""The rows whose sum is the number of interactions."""

COMPACT_EVERY = 64
"""A writer's row whose identity is a multiple of this folds the rows before it."""

COUNTED = f"SELECT coalesce(sum(n), 0) FROM {COUNT_TABLE}"  # noqa: S608 - constant
"""The exact number of rows of ``party_interaction`` in the reader's snapshot."""

_FUNCTION = f"""CREATE OR REPLACE FUNCTION {COUNT_TABLE}_move() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
    added bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF current_setting('transaction_isolation') = 'read committed' THEN
            DELETE FROM {COUNT_TABLE};
        ELSE  -- an older snapshot: its DELETE would leave rows committed since
            TRUNCATE {COUNT_TABLE};
        END IF;
        RETURN NULL;
    END IF;
    SELECT count(*) INTO moved FROM changed;
    IF moved = 0 THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        moved := -moved;
    END IF;
    INSERT INTO {COUNT_TABLE} (n) VALUES (moved) RETURNING id INTO added;
    IF added % {COMPACT_EVERY} = 0
        AND current_setting('transaction_isolation') = 'read committed' THEN
        WITH folded AS (DELETE FROM {COUNT_TABLE} WHERE id = ANY(ARRAY(
            SELECT id FROM {COUNT_TABLE} FOR UPDATE SKIP LOCKED)) RETURNING n)
        INSERT INTO {COUNT_TABLE} (n)
        SELECT sum(n) FROM folded HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END$$"""  # noqa: S608 - constants

STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {COUNT_TABLE} ("
    "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n bigint NOT NULL)",
    _FUNCTION,
    f"DROP TRIGGER IF EXISTS {COUNT_TABLE}_added ON {TABLE}",
    f"CREATE TRIGGER {COUNT_TABLE}_added AFTER INSERT ON {TABLE} "
    "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
    f"EXECUTE FUNCTION {COUNT_TABLE}_move()",
    f"DROP TRIGGER IF EXISTS {COUNT_TABLE}_removed ON {TABLE}",
    f"CREATE TRIGGER {COUNT_TABLE}_removed AFTER DELETE ON {TABLE} "
    "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT "
    f"EXECUTE FUNCTION {COUNT_TABLE}_move()",
    f"DROP TRIGGER IF EXISTS {COUNT_TABLE}_emptied ON {TABLE}",
    f"CREATE TRIGGER {COUNT_TABLE}_emptied AFTER TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {COUNT_TABLE}_move()",
    # after the triggers: they lock out writers until the upgrade commits
    f"DELETE FROM {COUNT_TABLE}",  # noqa: S608 - constant
    f"INSERT INTO {COUNT_TABLE} (n) SELECT count(*) FROM {TABLE}",  # noqa: S608
)
"""Schema version 9: the table, its function and triggers, filled from the rows."""
