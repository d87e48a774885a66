"""RFC 9457 problem+json responses: one handler per error family, installed on the app (`install_problem_handlers`).
Nothing answers a 5xx for bad input; nothing echoes a rejected value."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.core.errors import (
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    DomainError,
    busy,
    field_errors,
    is_transient,
    unstorable_value,
)


def problem_response(problem: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem, status_code=problem["status"], headers=headers,
                        media_type=PROBLEM_MEDIA_TYPE)


def validation_problem(errors: list[dict[str, Any]], detail: str | None = None) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + "validation-error",
        "title": "Unprocessable content",
        "status": 422,
        "detail": detail or "The request did not pass validation; see errors.",
        "errors": errors,
    }


_HTTP_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                405: "Method not allowed", 406: "Not acceptable", 413: "Content too large",
                415: "Unsupported media type"}


def _routes(request: Request) -> list[tuple[str, set[str]]]:
    """(full path template, methods) of every documented route (FastAPI ≥ 0.165 includes routers lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
        routes: list[tuple[str, Any]] = [(c.path or "", c.route) for c in iter_route_contexts(request.app.routes)]
    except ImportError:  # pragma: no cover - older FastAPI copied included routes into app.routes
        routes = [(getattr(r, "path", ""), r) for r in request.app.routes]
    return [(path, set(getattr(r, "methods", None) or ())) for path, r in routes
            if getattr(r, "include_in_schema", True) and getattr(r, "methods", None)]


def _allowed_methods(request: Request) -> list[str]:
    from starlette.routing import compile_path

    path = request.scope.get("path", "")
    static = _static_methods(request)  # a fixed path is its own resource, whatever template it also fills
    return sorted(static or {m for template, methods in _routes(request) if compile_path(template)[0].match(path)
                             for m in methods})


def _static_methods(request: Request) -> set[str]:
    """The documented methods of a fixed (template-free) route whose path is exactly the request's."""
    path = request.scope.get("path", "")
    return {m for template, methods in _routes(request) if template == path for m in methods}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem_response(exc.to_problem(), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        static = _static_methods(request)
        if static and request.method not in static:
            # e.g. PATCH /offers/import reached PATCH /offers/{offer_id} only because "import" fills the
            # template: that resource is the fixed path, which has no such method.
            return problem_response({"type": "about:blank", "title": "Method not allowed", "status": 405,
                                     "detail": "Method Not Allowed"}, {"Allow": ", ".join(sorted(static))})
        errors = field_errors(list(exc.errors()))
        if any(e["code"] == "json_invalid" for e in errors):
            return problem_response({"type": PROBLEM_BASE + "malformed-json", "title": "Bad request",
                                     "status": 400, "detail": "The request body is not valid JSON.",
                                     "errors": errors})
        return problem_response(validation_problem(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _HTTP_TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the first route matching the path; Allow must list every method it documents.
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response({"type": "about:blank", "title": title, "status": exc.status_code,
                                 "detail": detail}, headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness or foreign-key race the service checks could not see; the edge has rolled back.
        return problem_response({"type": PROBLEM_BASE + "conflict", "title": "Conflict", "status": 409,
                                 "detail": "The request conflicts with a concurrent change; retry it."})

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # Input validation should catch these first; this keeps any value the database refuses a 4xx.
        return problem_response(unstorable_value().to_problem())

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: Exception) -> JSONResponse:
        # The request edge has rolled back; a lock or connection not granted within the bound is "retry later".
        if is_transient(exc):
            problem = busy()
            return problem_response(problem.to_problem(), problem.headers)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Deliberately no detail: the message could carry personal data.
        return problem_response({"type": "about:blank", "title": "Internal server error", "status": 500,
                                 "detail": "An unexpected error occurred."})
