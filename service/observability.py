"""Request ids, one structured log event per request, and Prometheus metrics at /metrics.

Never personal data: a request is logged by its route *template* (`/api/v1/persons/{person_id}`), never its
path or query string, and by the organisation in its verified token, never the user. The request id is taken
from `X-Request-ID` only when it is a UUID (or 32 hex digits, as nginx makes them), so a client cannot plant
free text in the logs; otherwise one is generated. Either way it is returned in `X-Request-ID`.
"""

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from asgi_correlation_id.context import correlation_id
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.routing import get_route_name
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("tvaers.request")
REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_ROUTE = "<unmatched>"


# --- gauges other features fill ----------------------------------------------------------------------

_GAUGES: dict[str, tuple[str, Callable[[], float | None]]] = {}


def register_gauge(name: str, documentation: str, read: Callable[[], float | None]) -> None:
    """Publish a gauge read at scrape time, e.g. the webhook outbox backlog:

        register_gauge("tvaers_outbox_backlog", "Webhook events not yet delivered", count_pending)

    `read` runs on every scrape of /metrics; returning None (or raising) leaves the gauge out of that scrape.
    """
    _GAUGES[name] = (documentation, read)


class _RegisteredGauges(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, read) in sorted(_GAUGES.items()):
            try:
                value = read()
            except Exception:  # noqa: BLE001 - a failing probe must not break the scrape
                log.warning("gauge %s could not be read", name)
                continue
            if value is not None:
                yield GaugeMetricFamily(name, documentation, value=value)


class _DatabasePool(Collector):
    """The engine's connection pool, per process (label `pid` when several workers serve)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from service.core.db import get_engine

        pool: Any = get_engine().pool
        labels = ["pid"] if multiprocess_dir() else []
        values = [str(os.getpid())] if labels else []
        for name, doc, attr in (("size", "Connections the pool keeps open", "size"),
                                ("checked_out", "Connections in use by requests", "checkedout"),
                                ("checked_in", "Idle connections in the pool", "checkedin"),
                                ("overflow", "Connections opened beyond the pool size", "overflow")):
            read = getattr(pool, attr, None)
            if callable(read):
                family = GaugeMetricFamily(f"tvaers_db_pool_{name}", doc, labels=labels)
                # QueuePool counts overflow from -size while the pool fills; report what an operator means.
                family.add_metric(values, float(max(0, read())))
                yield family


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# --- one event per request -----------------------------------------------------------------------------

def route_template(scope: Scope) -> str:
    """The matched route's template (the same name the metrics use), never the concrete path."""
    return get_route_name(Request(scope), should_include_root_path=False) or UNMATCHED_ROUTE


def _organisation_id(scope: Scope) -> str | None:
    """The organisation of a valid bearer token (a forged or expired token names none)."""
    import jwt

    from service.core.security import decode_token

    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None
            try:
                org = decode_token(token.strip()).get("org")
            except jwt.InvalidTokenError:
                return None
            return str(org) if org else None
    return None


class RequestLogMiddleware:
    """Writes `{"event": "request", method, route, status, duration_ms, request_id, organisation_id}`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes becomes the 500 the outermost handler sends

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            method, route = scope.get("method"), route_template(scope)
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log.info("%s %s %s %.1f ms", method, route, status, duration_ms, extra={
                "event": "request", "method": method, "route": route, "status": status,
                "duration_ms": duration_ms, "organisation_id": _organisation_id(scope)})


# --- wiring ------------------------------------------------------------------------------------------

def install_observability(app: FastAPI, *, metrics: bool = True) -> None:
    """Request ids and request events on every request; /metrics unless `metrics` is off."""
    registry = CollectorRegistry()
    if metrics:
        Instrumentator(registry=registry, excluded_handlers=["^/metrics$"]).instrument(app)
    app.add_middleware(RequestLogMiddleware)
    # Outermost, so the request id is known to every log line of the request and to the request event.
    app.add_middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER)
    if not metrics:
        return
    registry.register(_DatabasePool())
    registry.register(_RegisteredGauges())

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format: request rate, latency and errors per route template, the DB pool, gauges."""
        if multiprocess_dir():
            # Several workers: counters and histograms are summed from every worker's files.
            scrape = CollectorRegistry()
            multiprocess.MultiProcessCollector(scrape)
            scrape.register(_DatabasePool())
            scrape.register(_RegisteredGauges())
            return Response(generate_latest(scrape), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def current_request_id() -> str | None:
    return correlation_id.get()
