"""The yardstick for GET by id: a bare Falcon + waitress app on the same SQLite file.

It reads one stored JSON document by id and returns it, with nothing of tmf683 in
the way.

Run: python benchmarks/bare_app.py DB_PATH PORT THREADS
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading

import falcon
import waitress

local = threading.local()


class Interaction:
    def __init__(self, path: str) -> None:
        self.path = path

    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = sqlite3.connect(self.path)
        row = connection.execute(
            "SELECT document FROM party_interaction WHERE id = ?", [id]
        ).fetchone()
        if row is None:
            raise falcon.HTTPNotFound()
        resp.content_type = "application/json"
        resp.text = row[0]


def main() -> None:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    path, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = falcon.App()
    app.add_route("/partyInteraction/{id}", Interaction(path))
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)


if __name__ == "__main__":
    main()
