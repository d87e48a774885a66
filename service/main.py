"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

import service.models  # noqa: F401  (all tables known before the first query)
from schema.endpoint import router as graphql_router
from service import health
from service.api import api_router
from service.core.admission import Admission
from service.core.db import concurrent_requests
from service.core.dto import nul_free_parameters
from service.core.errors import install_problem_handlers
from service.core.settings import get_settings
from service.logging import configure_logging
from service.persons.keys import check_at_startup

DESCRIPTION = """
Cross-sector case coordination for Danish municipalities, acting on Recommendation 4 against
loneliness: register people at special risk **with consent**, refer them to inclusive-community
offers, follow up, and map what is missing for the cross-ministry action plan.

Errors are RFC 9457 `application/problem+json`. Lists are cursor-paginated (`limit` ≤ 200).
The same domain services answer at `/graphql`.
"""


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # A key ring that cannot read the stored data refuses the start (naming the key id), instead of a 500
    # for every person with a CPR number.
    check_at_startup()
    yield


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(title="Tværs API", version="0.1.0", description=DESCRIPTION,
                  dependencies=[Depends(nul_free_parameters)], lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(Admission, limit=concurrent_requests(), timeout=lambda: get_settings().lock_timeout_seconds)
    app.include_router(health.router)
    app.include_router(api_router)
    app.include_router(graphql_router)
    return app
