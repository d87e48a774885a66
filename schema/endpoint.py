"""POST /graphql with the same transaction rule as REST: commit on success, roll back on any error.

GraphQL reports errors with HTTP 200, so the edge inspects the execution result (and the typed-error
flag set by mutations) instead of relying on an exception.
"""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from schema.context import Context
from schema.error_logging import client_error
from schema.limits import check_document, check_unicode
from schema.root import build_schema
from service.auth.tokens import principal_from_token
from service.core.errors import DomainError, busy, is_transient
from service.core.principal import Principal
from service.core.settings import get_settings
from service.docs_assets import graphiql_html
from service.web.principal import oauth2_scheme
from service.web.problems import problem_response
from service.web.session import RawSessionDep, finish

router = APIRouter(tags=["graphql"])


class GraphQLRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="The GraphQL document; refused before validation when larger than the "
                                   "settings allow (schema/limits.py)")
    variables: dict[str, Any] | None = None
    operation_name: str | None = Field(default=None, alias="operationName", max_length=200)
    extensions: dict[str, Any] | None = None


def _execute(session: Any, body: GraphQLRequest, token: str | None) -> dict[str, Any]:
    # The cheap checks first, before a token is looked up or the document validated (anonymous floods).
    check_unicode(body.query, body.variables, body.operation_name)
    check_document(body.query, get_settings())
    principal: Principal | None = principal_from_token(session, token) if token else None
    context = Context(session=session, principal=principal)
    result = asyncio.run(build_schema().execute(
        body.query, variable_values=body.variables, context_value=context, operation_name=body.operation_name))
    finish(session, failed=bool(result.errors) or context.failed)
    if any(is_transient(e.original_error) for e in result.errors or ()):
        raise busy()  # the database did not serve it within the bound: 503 + Retry-After, as REST answers
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [client_error(e) for e in result.errors]
    return payload


@router.post("/graphql", response_model=None)
def graphql(session: RawSessionDep, body: GraphQLRequest,
            token: Annotated[str | None, Depends(oauth2_scheme)]) -> Response:
    """Run a GraphQL operation (in a worker thread with its own event loop for the dataloaders)."""
    try:
        payload = _execute(session, body, token)
    except DomainError as exc:
        finish(session, failed=True)
        return problem_response(exc.to_problem(), exc.headers)
    except BaseException:
        finish(session, failed=True)
        raise
    return JSONResponse(payload)


@router.get("/graphql", response_model=None, include_in_schema=False)
def graphiql(request: Request) -> Response:
    if get_settings().is_production:
        return problem_response({"type": "about:blank", "title": "Not found", "status": 404,
                                 "detail": "GraphiQL is disabled in production; POST operations here."})
    if "text/html" not in request.headers.get("accept", ""):
        # GraphiQL is a browser page; the API itself is POST only (and says so, as the OpenAPI does).
        return problem_response({"type": "about:blank", "title": "Method not allowed", "status": 405,
                                 "detail": "Send GraphQL operations with POST."}, {"Allow": "POST"})
    return HTMLResponse(graphiql_html(request.scope.get("root_path", "")))

