"""``GET /health``: the liveness probe (the process answers HTTP).

The answer is ``application/health+json`` (the IETF draft "Health Check Response
Format for HTTP APIs", the form ODA components and Kubernetes probes read):
``{"status": "pass"}`` with 200. It touches no store and needs no token, so it
answers while every store connection is busy with expensive queries; readiness
(whether the store answers) is another question.
"""

from __future__ import annotations

import falcon

HEALTH_MEDIA_TYPE = "application/health+json"
HEALTH_PATH = "/health"


class Health:
    """The ``/health`` resource: ``GET`` and ``HEAD`` answer 200, status ``pass``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 with ``{"status": "pass"}`` as ``application/health+json``."""
        resp.content_type = HEALTH_MEDIA_TYPE
        resp.text = '{"status": "pass"}'
        resp.cache_control = ["no-store"]

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer as ``GET`` does, without the body."""
        self.on_get(req, resp)
