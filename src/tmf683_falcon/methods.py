"""The ``Allow`` header lists exactly the methods a route serves, in every answer.

Falcon's 405 lists a route's responders and ``OPTIONS``; its default ``OPTIONS``
answer listed the responders only, so the two disagreed on ``OPTIONS``, which is
served (200). This middleware adds it to the ``OPTIONS`` answer: both now list the
same methods, and only methods that are served (``GET /hub/{id}`` is, see
docs/server.md; ``HEAD`` only where ``GET`` lists also answer it).
"""

from __future__ import annotations

import falcon


class AllowListsOptions:
    """Falcon middleware: the ``Allow`` of an ``OPTIONS`` answer names ``OPTIONS``.

    Args:
        base_path: the API's route prefix, e.g. ``"/tmf-api/partyInteraction/v4"``.
    """

    def __init__(self, base_path: str) -> None:
        self.base_path = base_path

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        """Append ``OPTIONS`` to the ``Allow`` of a served ``OPTIONS`` request."""
        if req.method != "OPTIONS":
            return
        path = req.path.rstrip("/")
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return
        allow = resp.get_header("Allow")
        if allow is None:
            return
        methods = [method.strip() for method in allow.split(",") if method.strip()]
        resp.set_header("Allow", ", ".join(dict.fromkeys([*methods, "OPTIONS"])))
