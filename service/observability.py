"""Request ids, one structured log event per request, and Prometheus metrics at /metrics.

The event and the metrics are written by one middleware, after the app has routed the request: the route
template is looked up from the route the router chose (`scope["route"]`, a dictionary lookup) instead of
matching the path against every route a second time. prometheus-fastapi-instrumentator, which this replaces,
matched before routing by flattening and walking the whole route table on every request, and the request event
walked it once more (issue #14). The metric names, labels and buckets are the instrumentator's defaults, so
dashboards built on them keep working.

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
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Summary,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute
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

class RouteTemplates:
    """The full template (`/api/v1/persons/{person_id}`) of the route the router chose for a request.

    The router leaves the chosen route in `scope["route"]`; an included router's route knows only its own part
    of the path (`/persons/{person_id}`), so the full templates are read once from the app's effective routes
    (FastAPI resolves every inclusion's prefix there) and looked up by route object. A route added later (e.g.
    /metrics itself) is found by rebuilding the table once."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._by_route: dict[int, str] = {}

    def _rebuild(self) -> None:
        table: dict[int, str] = {}
        for route in getattr(self._app, "routes", ()):
            contexts: Any = getattr(route, "effective_route_contexts", None)
            if not callable(contexts):
                table[id(route)] = getattr(route, "path", None) or UNMATCHED_ROUTE
                continue
            for context in contexts():
                original = getattr(context, "original_route", None)
                path = getattr(context, "path", None)
                if original is not None and path:
                    table.setdefault(id(original), path)
        self._by_route = table

    def __call__(self, scope: Scope) -> str | None:
        route: BaseRoute | None = scope.get("route")
        if route is None:
            return None
        found = self._by_route.get(id(route))
        if found is None:
            self._rebuild()
            found = self._by_route.get(id(route))
        return found


def _organisation_id(scope: Scope) -> str | None:
    """The organisation of the request's verified principal (resolved once by the token check, which left it in
    the scope); for a request that never reached the check, the organisation of a valid bearer token (a forged
    or expired token names none)."""
    import jwt

    from service.core.security import decode_token

    if "tvaers_principal" in scope:  # service.web.principal resolved it (None: no or a refused token)
        principal = scope["tvaers_principal"]
        return str(principal.organisation_id) if principal is not None else None
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


_HIGHR_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10,
                  30, 60)


class RequestMetrics:
    """prometheus-fastapi-instrumentator's default metrics: requests by method, status class and handler; request
    and response sizes and latency by handler; a high-resolution latency histogram without labels. A path that
    matched no route is counted as handler "none"; /metrics is not counted."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("http_requests_total", "Total number of requests by method, status and handler.",
                                ("method", "status", "handler"), registry=registry)
        self.request_size = Summary("http_request_size_bytes", "Content length of incoming requests by handler. "
                                    "Only value of header is respected. Otherwise ignored.", ("handler",),
                                    registry=registry)
        self.response_size = Summary("http_response_size_bytes", "Content length of outgoing responses by handler. "
                                     "Only value of header is respected. Otherwise ignored.", ("handler",),
                                     registry=registry)
        self.latency_highr = Histogram("http_request_duration_highr_seconds", "Latency with many buckets but no "
                                       "API specific labels. Made for more accurate percentile calculations.",
                                       buckets=_HIGHR_BUCKETS, registry=registry)
        self.latency = Histogram("http_request_duration_seconds", "Latency with only few buckets by handler. "
                                 "Made to be only used if aggregation by handler is important.",
                                 ("method", "handler"), buckets=(0.1, 0.5, 1), registry=registry)

    def observe(self, method: str, template: str | None, status: int, seconds: float,
                request_bytes: int, response_bytes: int) -> None:
        if template == "/metrics":
            return
        handler = template or "none"
        self.requests.labels(method, f"{str(status)[0]}xx", handler).inc()
        self.request_size.labels(handler).observe(request_bytes)
        self.response_size.labels(handler).observe(response_bytes)
        self.latency_highr.observe(seconds)
        self.latency.labels(method, handler).observe(seconds)


def _content_length(headers: Any) -> int:
    for name, value in headers or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


class RequestLogMiddleware:
    """Writes `{"event": "request", method, route, status, duration_ms, request_id, organisation_id}` and, when
    `metrics` is given, counts the request in it."""

    def __init__(self, app: ASGIApp, templates: RouteTemplates, metrics: RequestMetrics | None = None) -> None:
        self.app = app
        self.templates = templates
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes becomes the 500 the outermost handler sends
        response_bytes = 0

        async def capture(message: Message) -> None:
            nonlocal status, response_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
                response_bytes = _content_length(message.get("headers"))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            seconds = time.perf_counter() - started
            method, template = scope.get("method", ""), self.templates(scope)
            route = template or UNMATCHED_ROUTE
            duration_ms = round(seconds * 1000, 2)
            log.info("%s %s %s %.1f ms", method, route, status, duration_ms, extra={
                "event": "request", "method": method, "route": route, "status": status,
                "duration_ms": duration_ms, "organisation_id": _organisation_id(scope)})
            if self.metrics is not None:
                self.metrics.observe(method, template, status, seconds, _content_length(scope.get("headers")),
                                     response_bytes)


# --- wiring ------------------------------------------------------------------------------------------

def install_observability(app: FastAPI, *, metrics: bool = True) -> None:
    """Request ids and request events on every request; /metrics unless `metrics` is off."""
    registry = CollectorRegistry()
    app.add_middleware(RequestLogMiddleware, templates=RouteTemplates(app),
                       metrics=RequestMetrics(registry) if metrics else None)
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
