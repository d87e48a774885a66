"""Logging that cannot leak personal data: no query strings, no exception messages.

Search criteria travel in query strings, and exception messages (driver errors, SQL parameters,
validation text) can quote what a caseworker typed; both stay out of log lines. Tracebacks keep their
frames, so an operator still sees where it failed.
"""

import logging
import traceback


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


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("uvicorn.access").addFilter(_DROP_QUERY_STRING)
    # Starlette re-raises after our 500 handler answered, and uvicorn.error logs it with the traceback.
    logging.getLogger("uvicorn.error").addFilter(_WITHHOLD_MESSAGES)
