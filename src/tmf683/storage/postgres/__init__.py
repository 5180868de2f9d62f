"""The PostgreSQL store: several stateless server processes on one database.

Documents live in ``jsonb`` (schema: ``tmf683.storage.postgres._schema``), their
texts and numbers in the leaf index (``tmf683.storage._sql.leaves``); list
queries compile to SQL (``tmf683.storage._sql.compiler`` with the rules of
``tmf683.storage.postgres._dialect``) with the results of the
in-memory oracle; hub subscriptions and the outbox are tables beside them, shared by
every process's dispatcher (``tmf683.storage.postgres._outbox``).

Connections come from a pool (``tmf683.storage.postgres._connections``). Writes
are single transactions (``update`` locks the row with ``SELECT ... FOR UPDATE``);
a list query runs its count, its page and any regex lookups in one
``REPEATABLE READ`` snapshot.
Needs the ``postgres`` extra: ``pip install 'tmf683[postgres]'``.
Importing this package loads psycopg.
"""

from tmf683.storage.postgres._store import PostgresStore as PostgresStore
