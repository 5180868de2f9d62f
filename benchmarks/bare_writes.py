"""The yardstick for writes: a bare Falcon + waitress app on the same store.

``POST /partyInteraction`` inserts the JSON body with a new id into the
``party_interaction`` table; ``PATCH /partyInteraction/{id}`` reads the stored
document, merges the body's top-level attributes into it and writes it back; both in
one transaction each, with nothing of tmf683 in the way. On SQLite the connection
has the ``synchronous`` setting given (as ``tmf683-server --sqlite-synchronous``) and
writers queue on a process lock before ``BEGIN IMMEDIATE``, as the SQLite store does;
on PostgreSQL each thread has its own connection (default durability).

Run: python benchmarks/bare_writes.py DB PORT THREADS [full|normal]
(DB: a SQLite file path or a ``postgresql://`` URL)
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import threading
import uuid
from typing import Any

import falcon
import waitress

local = threading.local()
write_lock = threading.Lock()


class SQLite:
    def __init__(self, path: str, synchronous: str) -> None:
        self.path, self.synchronous = path, synchronous

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None)
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            local.connection = connection
        return connection

    def insert(self, id: str, text: str) -> None:
        db = self._connection()
        with write_lock:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO party_interaction (id, document) VALUES (?, ?)", [id, text]
            )
            db.execute("COMMIT")

    def update(self, id: str, patch: dict[str, Any]) -> str | None:
        db = self._connection()
        with write_lock:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT document FROM party_interaction WHERE id = ?", [id]
            ).fetchone()
            if row is None:
                db.execute("ROLLBACK")
                return None
            text = json.dumps({**json.loads(row[0]), **patch})
            db.execute(
                "UPDATE party_interaction SET document = ? WHERE id = ?", [text, id]
            )
            db.execute("COMMIT")
        return text


class Postgres:
    def __init__(self, url: str) -> None:
        self.url = url

    def _connection(self) -> Any:
        import psycopg

        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = psycopg.connect(self.url)
        return connection

    def insert(self, id: str, text: str) -> None:
        with self._connection().transaction() as tx:
            tx.connection.execute(
                "INSERT INTO party_interaction (id, document) VALUES (%s, %s)",
                [id, text],
            )

    def update(self, id: str, patch: dict[str, Any]) -> str | None:
        with self._connection().transaction() as tx:
            row = tx.connection.execute(
                "SELECT document::text FROM party_interaction WHERE id = %s FOR UPDATE",
                [id],
            ).fetchone()
            if row is None:
                return None
            text = json.dumps({**json.loads(row[0]), **patch})
            tx.connection.execute(
                "UPDATE party_interaction SET document = %s WHERE id = %s", [text, id]
            )
        return text


class Collection:
    def __init__(self, store: SQLite | Postgres) -> None:
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        document = {"id": str(uuid.uuid4()), **json.load(req.bounded_stream)}
        text = json.dumps(document)
        self.store.insert(document["id"], text)
        resp.status = falcon.HTTP_201
        resp.content_type = "application/json"
        resp.text = text


class Item:
    def __init__(self, store: SQLite | Postgres) -> None:
        self.store = store

    def on_patch(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        text = self.store.update(id, json.load(req.bounded_stream))
        if text is None:
            raise falcon.HTTPNotFound()
        resp.content_type = "application/json"
        resp.text = text


def main() -> None:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    db, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    synchronous = sys.argv[4] if len(sys.argv) > 4 else "full"
    store: SQLite | Postgres = (
        Postgres(db) if db.startswith("postgresql://") else SQLite(db, synchronous)
    )
    app = falcon.App()
    app.add_route("/partyInteraction", Collection(store))
    app.add_route("/partyInteraction/{id}", Item(store))
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)


if __name__ == "__main__":
    main()
