"""Errors of the FHIR door as `OperationOutcome` (application/fhir+json).

The FHIR routes raise the same domain errors as every other door; the app's problem handlers render them as
RFC 9457 problems. Under `/fhir/` those handlers are wrapped: the problem they produced (status, headers,
detail, field errors) is re-expressed as an OperationOutcome, so the whole problem hierarchy — 401, 403, 404,
409, 412, 422, 428, 503 and the 500 fallback — maps in one place and nothing can answer FHIR clients with
problem+json. Like the problems, an outcome never repeats a rejected value.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from service.core.errors import DomainError

FHIR_JSON = "application/fhir+json"
FHIR_PREFIX = "/fhir/"

# The OperationOutcome issue type (http://hl7.org/fhir/issue-type) for each HTTP status.
ISSUE_CODES: dict[int, str] = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                               405: "not-supported", 406: "not-supported", 409: "conflict", 410: "deleted",
                               412: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing",
                               428: "required", 429: "throttled", 503: "transient"}


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


class BadSearch(DomainError):
    """An unknown or malformed search parameter: FHIR clients are told, never silently ignored."""

    status, title, slug = 400, "Bad request", "bad-search"


def outcome(problem: dict[str, Any]) -> dict[str, Any]:
    """An OperationOutcome saying what the problem says (field errors become one issue each)."""
    status = int(problem.get("status", 500))
    code = ISSUE_CODES.get(status, "exception")
    severity = "fatal" if status >= 500 and status != 503 else "error"
    issues: list[dict[str, Any]] = [{
        "severity": severity, "code": code,
        "details": {"coding": [{"system": "https://tvaers.dk/problems", "code": str(problem.get("type", "")
                                                                                   ).rsplit("/", 1)[-1] or "error"}],
                    "text": str(problem.get("title", "Error"))},
        "diagnostics": str(problem.get("detail", "")),
    }]
    for err in problem.get("errors") or []:
        issue: dict[str, Any] = {"severity": "error", "code": "invalid" if status == 400 else "processing",
                                 "diagnostics": str(err.get("message", "invalid"))}
        if err.get("field"):
            issue["expression"] = [str(err["field"])]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _fhir_aware(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not request.url.path.startswith(FHIR_PREFIX):
            return response
        try:
            problem = json.loads(bytes(response.body))
        except ValueError:  # pragma: no cover - every problem handler renders JSON
            problem = {"status": response.status_code, "title": "Error"}
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        return FhirResponse(outcome(problem), status_code=response.status_code, headers=headers)

    return handle


def install_fhir_errors(app: FastAPI) -> None:
    """Wrap every problem handler installed so far (call after `install_problem_handlers`)."""
    for exc_class, handler in list(app.exception_handlers.items()):
        app.exception_handlers[exc_class] = _fhir_aware(handler)  # type: ignore[arg-type]


class UnsupportedMediaType(DomainError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"
