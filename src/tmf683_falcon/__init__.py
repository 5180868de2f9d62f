"""tmf683_falcon: the TMF683 v4 and v5 APIs over HTTP with Falcon.

:func:`create_app` builds a standalone WSGI app; :func:`mount` adds the routes of one
version (that of the service given) to an existing Falcon app; ``tmf683-server``
serves v4 and v5 with waitress. The listener side (receiving TMF683 events) is
:func:`mount_listener`; :class:`BearerAuth` makes them require OAuth2 bearer
tokens. The default route prefixes are the core's
:data:`~tmf683._service.DEFAULT_BASE_PATH` (v4) and
:data:`~tmf683.versions.v5service.V5_BASE_PATH` (v5); the modules below
``tmf683_falcon`` are its implementation.
"""

from tmf683_falcon.app import create_app, mount
from tmf683_falcon.auth import BearerAuth
from tmf683_falcon.errors import serialize_http_error
from tmf683_falcon.forwarded import external_origin
from tmf683_falcon.listener import EventHandler, mount_listener
from tmf683_falcon.media import MAX_BODY_BYTES
from tmf683_falcon.metrics import mark_process_dead

__all__ = [
    "MAX_BODY_BYTES",
    "BearerAuth",
    "EventHandler",
    "create_app",
    "external_origin",
    "mark_process_dead",
    "mount",
    "mount_listener",
    "serialize_http_error",
]


def __dir__() -> list[str]:
    return sorted(__all__)
