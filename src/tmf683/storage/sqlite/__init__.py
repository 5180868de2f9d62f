"""The embedded default store: one SQLite file, through sqlite-utils.

Each document is one row of ``party_interaction`` (``seq`` gives the creation order,
``id`` is unique, ``document`` is the JSON text), with indexed generated columns for
the attributes lists filter most and the leaf index of every other text and number,
at any depth (``tmf683.storage._sql.leaves``; see ``tmf683.storage.sqlite._schema``).
The database runs in WAL mode so readers never wait for the writer; each thread
gets its own connection, so the store is safe under waitress's worker threads.
Writes are transactions (``BEGIN IMMEDIATE``): a failed write leaves nothing
behind. Creates, updates and deletes that meet in one process share a transaction
(group commit, ``tmf683.storage.sqlite._group``), each under its own savepoint: one
that fails is rolled back alone, and each returns once the shared ``COMMIT`` is done.

Durability: ``synchronous=FULL`` by default, so an acknowledged write survives a
power loss, as on PostgreSQL. ``synchronous="normal"`` (``--sqlite-synchronous
normal``) is faster: in WAL mode it still survives a crash of the process (and
``kill -9``) without losing a committed write, but after a power loss the newest
commits may be missing (the file is never corrupt).

Importing this package loads ``sqlite-utils``, never a PostgreSQL driver.
"""

from tmf683.storage.sqlite._store import SQLiteStore as SQLiteStore
