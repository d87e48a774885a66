"""Logging that cannot leak personal data: no query strings, no exception messages.

Search criteria travel in query strings, and exception messages (driver errors, SQL parameters,
validation text) can quote what a caseworker typed; both stay out of log lines. Tracebacks keep their
frames, so an operator still sees where it failed.
"""

import logging
import traceback

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter


class DropQueryString(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn.access args: (client, method, full_path, http_version, status)
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            path = args[2]
            if isinstance(path, str):
                args[2] = path.split("?", 1)[0]
                record.args = tuple(args)
        return True


class WithholdExceptionMessages(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            record.msg, record.args = "%s: %s (message withheld)\n%s", (record.getMessage(), type(exc).__name__,
                                                                       frames)
            record.exc_info, record.exc_text = None, None
        return True


_DROP_QUERY_STRING = DropQueryString()
_WITHHOLD_MESSAGES = WithholdExceptionMessages()
_REQUEST_ID = CorrelationIdFilter(default_value=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler this module installs (found again, not duplicated, when called twice)."""


def _formatter(fmt: str) -> logging.Formatter:
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
    # One JSON object per line; `request_id` ties every line of a request to its request event.
    return JsonFormatter("%(levelname)s %(name)s %(message)s %(correlation_id)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger", "correlation_id": "request_id"},
                         reserved_attrs=[*RESERVED_ATTRS, "color_message"])


def configure_logging(fmt: str | None = None, level: str | None = None) -> None:
    """JSON (or text) lines on stderr, with the request id; the safety nets above on every record."""
    from service.core.settings import get_settings

    settings = get_settings()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _OurHandler)), None)
    if handler is None:
        handler = _OurHandler()
        handler.addFilter(_REQUEST_ID)
        handler.addFilter(_WITHHOLD_MESSAGES)
        root.addHandler(handler)
    handler.setFormatter(_formatter(fmt or settings.log_format))
    root.setLevel(level or settings.log_level)
    logging.getLogger("uvicorn.access").addFilter(_DROP_QUERY_STRING)
    # Starlette re-raises after our 500 handler answered, and uvicorn.error logs it with the traceback.
    logging.getLogger("uvicorn.error").addFilter(_WITHHOLD_MESSAGES)
