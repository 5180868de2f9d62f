"""tmf683_falcon: the TMF683 v4 API over HTTP with Falcon.

:func:`create_app` builds a standalone WSGI app; :func:`mount` adds the routes to an
existing Falcon app; ``tmf683-server`` serves it with waitress. The listener side
(receiving TMF683 events) is :func:`mount_listener`.
"""

from tmf683_falcon.app import DEFAULT_BASE_PATH, create_app, mount
from tmf683_falcon.listener import mount_listener

__all__ = ["DEFAULT_BASE_PATH", "create_app", "mount", "mount_listener"]
