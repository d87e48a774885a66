"""Liveness and readiness probes."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.core.db import get_engine
from service.migrations import schema_state

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or migrations not at head"}})
def readyz() -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    state = schema_state(get_engine())
    if not state.reachable:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not state.at_head:
        return JSONResponse({"status": "unavailable", "database": "reachable", "migrations": "behind"},
                            status_code=503)
    return JSONResponse({"status": "ready", "database": "reachable", "migrations": "head"})
