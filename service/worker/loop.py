"""The worker loop: scheduled jobs, then due deliveries, until stopped (SIGTERM/SIGINT, or the event)."""

import logging
import threading

from service.core.db import new_session
from service.core.settings import get_settings
from service.webhooks.delivery import deliver_due
from service.worker.jobs import run_due

log = logging.getLogger("tvaers.worker")


def run_once(jobs: bool = True) -> int:
    """One round; returns how many deliveries were attempted."""
    if jobs:
        run_due(new_session)
    attempted = 0
    while True:  # drain what is due now, a batch at a time
        n = deliver_due(new_session)
        attempted += n
        if n == 0:
            return attempted


def run_forever(stop: threading.Event, jobs: bool = True) -> None:
    log.info("worker started", extra={"event": "worker_start"})
    while not stop.is_set():
        try:
            run_once(jobs)
        except Exception:  # noqa: BLE001 - e.g. the database restarting: log, wait, try again
            log.exception("worker round failed")
        stop.wait(get_settings().worker_poll_seconds)
    log.info("worker stopped", extra={"event": "worker_stop"})


def start_in_background() -> tuple[threading.Thread, threading.Event]:
    """For `tvaers serve` with TVAERS_WORKER_IN_PROCESS: the same loop in a daemon thread."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(stop,), name="tvaers-worker", daemon=True)
    thread.start()
    return thread, stop
