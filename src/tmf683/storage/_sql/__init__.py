"""What the SQL stores share: tables, one query compiler, the outbox statements.

Each engine (``tmf683.storage.sqlite``, ``tmf683.storage.postgres``) supplies
a :class:`~tmf683.storage._sql.dialect.Dialect`; the code here is written once for
both. Nothing here imports a database driver.
"""
