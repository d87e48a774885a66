"""The application factory."""

from fastapi import Depends, FastAPI

from schema.endpoint import router as graphql_router
from service import contract, health
from service.api import api_router
from service.body_limit import BodyLimit
from service.core.db import concurrent_requests
from service.core.settings import get_settings
from service.docs_assets import install_docs
from service.fhir.errors import install_fhir_errors
from service.fhir.router import router as fhir_router
from service.logging import configure_logging
from service.observability import install_observability
from service.server import exit_unless_ready, lifespan
from service.web.admission import Admission
from service.web.parameters import nul_free_parameters
from service.web.problems import install_problem_handlers
from service.wiring import wire

DESCRIPTION = """
Cross-sector case coordination for Danish municipalities, acting on Recommendation 4 against
loneliness: register people at special risk **with consent**, refer them to inclusive-community
offers, follow up, and map what is missing for the cross-ministry action plan.

Errors are RFC 9457 `application/problem+json`. Lists are cursor-paginated (`limit` ≤ 200).
The same domain services answer at `/graphql`.
"""


def create_app() -> FastAPI:
    configure_logging()
    wire()
    app = FastAPI(title="Tværs API", version="0.1.0", description=DESCRIPTION,
                  dependencies=[Depends(nul_free_parameters)], docs_url=None, redoc_url=None, lifespan=lifespan)
    install_problem_handlers(app)
    install_fhir_errors(app)  # OperationOutcome instead of problem+json under /fhir/
    app.add_middleware(Admission, limit=concurrent_requests(), timeout=lambda: get_settings().lock_timeout_seconds)
    app.add_middleware(BodyLimit)  # outside admission: an oversized body never takes a slot
    install_observability(app, metrics=get_settings().metrics_enabled)
    install_docs(app)
    # The router tries these in order: /graphql (one route) before the REST inclusions' hundred, which no path
    # of another door can match (tests/test_route_order.py).
    app.include_router(health.router)
    app.include_router(graphql_router)
    app.include_router(api_router)
    app.include_router(fhir_router)
    contract.install(app)  # problem+json responses declared per operation
    return app


def server_app() -> FastAPI:
    """The factory servers start (`tvaers serve`, `uvicorn --factory service.main:server_app`, gunicorn):
    a broken configuration or an unmigrated database stops it with one line instead of serving 500s."""
    exit_unless_ready()
    return create_app()
