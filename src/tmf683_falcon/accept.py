"""Content negotiation: every TMF683 response is JSON; an ``Accept`` without it: 406.

RFC 9110 section 12.5.1: a server that cannot produce any media type the client
accepts answers 406 Not Acceptable. No ``Accept``, ``*/*``, ``application/*`` or any
list that admits ``application/json`` is served as before.
"""

from __future__ import annotations

import falcon

from tmf683_falcon.media import MEDIA_TYPE


class NotAcceptableError(falcon.HTTPNotAcceptable):
    """A request whose ``Accept`` excludes JSON (HTTP 406)."""


class RequireJsonAccept:
    """Falcon middleware: 406 for an ``Accept`` that excludes ``application/json``.

    Only requests under ``base_path`` are checked; the 406 has a TMF Error body.

    Args:
        base_path: the API's route prefix, e.g. ``"/tmf-api/partyInteraction/v4"``
            (``""`` for the root).
        exempt: a path below it, and everything below that, that serves other
            media (the explorer's HTML, CSS, scripts and images); ``None``: none.
    """

    def __init__(self, base_path: str, exempt: str | None = None) -> None:
        self.base_path = base_path
        self.exempt = exempt

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Raise 406 when the request is this API's and cannot take JSON."""
        path = req.path.rstrip("/")
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return
        if self.exempt is not None and (
            path == self.exempt or path.startswith(self.exempt + "/")
        ):
            return
        if not req.client_accepts(falcon.MEDIA_JSON):
            raise NotAcceptableError(
                description=f"Accept '{req.accept}' excludes {falcon.MEDIA_JSON}: "
                f"every response of this API is {MEDIA_TYPE}"
            )
