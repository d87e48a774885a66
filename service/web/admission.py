"""Requests queue at the edge, first come first served, before they take a thread or a database connection.

A request holding a lock (SQLite's write lock, a PostgreSQL row lock) needs a worker thread for each of its
next steps (dependencies, the endpoint, the commit). When every worker thread is taken by requests waiting for
that same lock, the holder cannot finish and everyone waits out the timeout. So no more requests are let in than
the database can serve at once — one on SQLite (one writer at a time), the connection pool's size on PostgreSQL
— and the rest wait here, in the event loop, holding nothing. A request not admitted within
TVAERS_LOCK_TIMEOUT_SECONDS answers 503 with Retry-After; nothing of it has run.
"""

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from service.core.errors import busy
from service.web.problems import problem_response

# Probes and documentation touch no personal data and must answer while the queue is long.
EXEMPT = frozenset({"/healthz", "/readyz", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"})


class Admission:
    """ASGI middleware admitting at most `limit` requests at a time, in arrival order (asyncio's semaphore
    wakes its waiters first in, first out)."""

    def __init__(self, app: Any, limit: int, timeout: Callable[[], float]) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout
        # one semaphore per event loop (a test client runs its own loop)
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = \
            weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._slots:
            self._slots[loop] = asyncio.Semaphore(self.limit)
        return self._slots[loop]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        slots = self._semaphore()
        try:
            await asyncio.wait_for(slots.acquire(), self.timeout())
        except TimeoutError:
            refusal = busy()
            await problem_response(refusal.to_problem(), refusal.headers)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()
