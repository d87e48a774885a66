"""Liveness and readiness probes."""

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from service.core.db import get_engine, read_only
from service.migrations import head_revisions

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or migrations not at head"}})
def readyz() -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    try:
        with read_only(get_engine().connect()) as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    heads = head_revisions()
    if current != heads:
        return JSONResponse({"status": "unavailable", "database": "reachable", "migrations": "behind"},
                            status_code=503)
    return JSONResponse({"status": "ready", "database": "reachable", "migrations": "head"})
