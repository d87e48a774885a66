"""Serving the API: startup checks that fail in one line, worker processes and graceful shutdown.

`tvaers serve` runs the checks once in the parent process, then uvicorn starts `server_app` (in each
worker). Started directly — `uvicorn --factory service.main:server_app` or gunicorn with uvicorn workers —
the factory runs the same checks, so a broken configuration or an unmigrated database never serves 500s.
"""

import gc
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from service.cli_support import CliError, describe, require_database

log = logging.getLogger("tvaers.server")
APP_FACTORY = "service.main:server_app"


def check_startup() -> None:
    """Refuse to serve with a broken configuration, an unreachable database or one behind head.

    Raises `CliError` (one line, an `ExitCode`); `ConfigurationError` is turned into one too.
    """
    from service.core.settings import get_settings
    from service.core.settings_errors import ConfigurationError

    try:
        get_settings()
    except ConfigurationError as exc:
        message, code = describe(exc)
        raise CliError(message, code) from None
    require_database()


def exit_unless_ready() -> None:
    """For the app factory: print the one line and exit with its code (uvicorn would print a traceback)."""
    try:
        check_startup()
    except CliError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        sys.stderr.flush()
        raise SystemExit(int(exc.code)) from None


def settle_heap() -> None:
    """Hide what start-up built (modules, the app, the mappers: ~290,000 objects) from the cyclic garbage
    collector (`gc.freeze`), so its full collections scan only what requests make. Measured on a national report
    of ~19,000 entries (bench.rec4), the collections took ~150 ms of its ~0.8 s before and ~20 ms after. Once
    per process: what later start-ups (tests start many apps) hold is the tests' own, left to the collector."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """On start refuse a key ring that cannot read the stored data (naming the key id, instead of a 500 for
    every person with a CPR number); on shutdown (SIGTERM, after running requests finished) close the pool's
    connections cleanly."""
    from service.core.settings import get_settings
    from service.persons.keys import check_at_startup

    check_at_startup()
    settle_heap()
    background = None
    if get_settings().worker_in_process:  # the single-machine default: no separate `tvaers worker`
        from service.worker.loop import start_in_background

        background = start_in_background()
    yield
    if background is not None:
        background[1].set()
        background[0].join(timeout=get_settings().webhook_timeout_seconds + 5)
    from service.core.db import get_engine

    get_engine().dispose()
    log.info("shutdown complete", extra={"event": "shutdown"})


def run(host: str, port: int, workers: int) -> None:
    """uvicorn with our logging (one JSON event per request replaces its access log) and graceful shutdown."""
    import uvicorn

    from service.core.settings import get_settings
    from service.logging import configure_logging

    settings = get_settings()
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts in its own files; /metrics sums them (prometheus_client's multiprocess mode).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tvaers-metrics-")
    configure_logging()
    # timeout_worker_healthcheck: a worker imports the whole service before it answers the supervisor's
    # ping; uvicorn's 5 s default kills it over and over on a busy small machine.
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=True,
                log_config=None, access_log=False, timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
                timeout_worker_healthcheck=60)

