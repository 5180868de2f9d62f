"""gunicorn's own log lines in tmf683's format, so one stream holds one format.

``TMF683_LOG_FORMAT=json`` makes the app's lines JSON; gunicorn's master and worker
lines ("Booting worker", "Listening at", "Shutting down") would stay in gunicorn's
own text and break a log shipper reading JSON lines.
:data:`tmf683_falcon.gunicorn_conf.logger_class` names :class:`Logger`, which gives
gunicorn's handlers the formatter of ``TMF683_LOG_FORMAT`` (text: the
``TIME LEVEL logger: message`` lines of :class:`tmf683.TextFormatter`, in UTC).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from tmf683 import LOG_FORMATS, JsonFormatter, RequestIdFilter, TextFormatter

LOG_FORMAT_VARIABLE = "TMF683_LOG_FORMAT"


def log_format() -> str:
    """``text`` or ``json``: the format ``TMF683_LOG_FORMAT`` asks, ``text`` else.

    A value that is neither is read as ``text`` here; the workers refuse it with one
    error line when they read their options, and gunicorn stops.
    """
    value = os.environ.get(LOG_FORMAT_VARIABLE, "").strip().lower()
    return value if value in LOG_FORMATS else "text"


class Logger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger, its lines formatted as the app's (:func:`log_format`)."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up as gunicorn does, then give them our format."""
        super().setup(cfg)
        formatter: logging.Formatter = (
            JsonFormatter() if log_format() == "json" else TextFormatter()
        )
        loggers: list[logging.Logger] = [self.error_log, self.access_log]
        for logger in loggers:
            for handler in logger.handlers:
                handler.setFormatter(formatter)
                handler.addFilter(RequestIdFilter())
