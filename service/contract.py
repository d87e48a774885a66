"""The OpenAPI says what the service really answers: every client error is RFC 9457 `application/problem+json`,
and each operation lists the 4xx statuses it can return, derived from the same facts that produce them —

- 400 everywhere (malformed JSON, an unknown or NUL-carrying parameter, a refused GraphQL document), 413 (the
  body bound, `service/body_limit.py`) everywhere, 422 (validation) wherever there is input;
- 401 on every API operation (a bad token is refused even where none is needed), 403 where the access table
  (`service/access.py`) does not make the operation public;
- 404 where the path or a write's body names an object (another organisation's object is a 404 too);
- 415 where the body is a file (its content must match its Content-Type);
- 409 on writes (state conflicts, database-kept uniqueness); 412 and 428 where the operation takes `If-Match`;
- statuses a route declares itself (406, 410, 415, 429 …) are kept and given the problem body.

schemathesis checks every response against this (tests/test_schemathesis.py), so it cannot drift into fiction.
"""

from typing import Any

from fastapi import FastAPI

from service.access import REST
from service.core.errors import PROBLEM_MEDIA_TYPE

TITLES = {400: "Bad request", 401: "Authentication required or failed", 403: "Your role does not allow this",
          404: "Not found (or another organisation's)", 405: "Method not allowed", 406: "Not acceptable",
          409: "Conflict with the current state", 410: "Gone", 412: "Precondition failed (stale If-Match)",
          413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
          428: "Precondition required (send If-Match)", 429: "Too many attempts"}
WRITES = {"post", "put", "patch", "delete"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` lists field errors (never the rejected values).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": ["string", "null"]}, "message": {"type": "string"}, "code": {"type": "string"}}}},
    },
}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = {400, 413}
    api = path.startswith("/api/") or path == "/graphql"
    body = operation.get("requestBody", {}).get("content", {})
    if operation.get("parameters") or body:
        statuses.add(422)
    access = REST.get((method.upper(), path))
    if api:
        statuses.add(401)  # a public operation too answers 401 to a bad token, or to `mine=true` without one
    if access is None or not access.is_public:
        statuses |= {401, 403}
    if "{" in path or (api and method in WRITES and body):
        statuses.add(404)  # the object in the path, or one the body refers to (another organisation's too)
    if method in WRITES:
        statuses.add(409)
    if body and set(body) != {"application/json"}:
        statuses.add(415)  # a file body: the content must match its Content-Type
    headers = {p.get("name", "").lower() for p in operation.get("parameters", []) if p.get("in") == "header"}
    if "if-match" in headers:
        statuses |= {412, 428}
    return statuses


# The FHIR door answers the same statuses as an OperationOutcome in FHIR's own media type (service/fhir/errors.py).
FHIR_PREFIX = "/fhir/"
OPERATION_OUTCOME_SCHEMA: dict[str, Any] = {
    "title": "OperationOutcome",
    "type": "object",
    "description": "FHIR R4 OperationOutcome: the problem's status and code as an issue.",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                   "issue": {"type": "array", "items": {"type": "object"}}},
}


def declare_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses to every operation of `openapi` (in place; returned for convenience)."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["OperationOutcome"] = OPERATION_OUTCOME_SCHEMA
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    outcome = {"application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}
    for path, item in openapi.get("paths", {}).items():
        body = outcome if path.startswith(FHIR_PREFIX) else problem
        for method, operation in item.items():
            if method not in WRITES | {"get"}:
                continue
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses if code.isdigit() and 400 <= int(code) < 500}
            for status in sorted(declared | _statuses(path, method, operation)):
                response = responses.setdefault(str(status), {"description": TITLES.get(status, "Client error")})
                if status == 422 or "content" not in response or set(response["content"]) == {"application/json"}:
                    response["content"] = body
    return openapi


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
