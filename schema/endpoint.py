"""POST /graphql with the same transaction rule as REST: commit on success, roll back on any error.

GraphQL reports errors with HTTP 200, so the edge inspects the execution result (and the typed-error
flag set by mutations) instead of relying on an exception.

File uploads (the directory import, `importOffers`) follow the GraphQL multipart request spec: a
`multipart/form-data` POST to the same path with the fields `operations` (the JSON request), `map` (which file
goes to which variable) and the file. The route hands only that content type to the multipart door, so the JSON
door is unchanged. A browser may send a cross-site multipart form without a CORS preflight, so (as Apollo Server's CSRF
prevention does) a multipart request must carry a non-empty `Apollo-Require-Preflight` or
`X-Apollo-Operation-Name` header, which no plain form can set; one file, bounded like the REST upload.
"""

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from strawberry.file_uploads.utils import replace_placeholders_with_files

from schema.context import Context
from schema.error_logging import client_error
from schema.limits import check_document, check_unicode
from schema.root import build_schema
from service.auth.tokens import principal_from_token
from service.core.errors import BadRequest, DomainError, Unprocessable, busy, is_transient
from service.core.principal import Principal
from service.core.settings import get_settings
from service.docs_assets import graphiql_html
from service.offers.spreadsheet import MAX_BYTES as MAX_UPLOAD_BYTES
from service.offers.spreadsheet import ContentTooLarge
from service.web.principal import oauth2_scheme
from service.web.problems import problem_response
from service.web.session import RawSessionDep, finish, open_session

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


PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")


def _multipart_problem(message: str, code: str) -> Unprocessable:
    return Unprocessable(message, errors=[{"field": "multipart", "message": code.replace("_", " "), "code": code}])


async def multipart_operation(request: Request) -> GraphQLRequest:
    """The GraphQL multipart request spec: `operations` + `map` + one file, the file placed into the variables
    as bytes (what the `Upload` scalar hands the resolver)."""
    if not any(request.headers.get(h) for h in PREFLIGHT_HEADERS):
        raise BadRequest("A multipart GraphQL request needs the header Apollo-Require-Preflight: true "
                         "(protection against cross-site form posts).")
    try:
        form = await request.form(max_files=1, max_fields=2, max_part_size=MAX_UPLOAD_BYTES)
    except Exception as exc:  # malformed multipart, or over the bounds: the client's error, never a 500
        raise _multipart_problem("The multipart body could not be read.", "multipart") from exc
    try:
        operations, files_map = form.get("operations"), form.get("map")
        if not isinstance(operations, str) or not isinstance(files_map, str):
            raise _multipart_problem("Send the fields operations and map (GraphQL multipart request spec).",
                                     "missing")
        try:
            parsed, mapping = json.loads(operations), json.loads(files_map)
        except ValueError as exc:
            raise _multipart_problem("operations and map must be JSON.", "invalid_json") from exc
        if not isinstance(parsed, dict) or not isinstance(mapping, dict) or not all(
                isinstance(paths, list) and all(isinstance(p, str) and p.startswith("variables.") for p in paths)
                for paths in mapping.values()):
            raise _multipart_problem("operations must be one request; map must place files into variables.",
                                     "invalid_map")
        files: dict[str, bytes] = {}
        for name in mapping:
            upload = form.get(name)
            if upload is None or isinstance(upload, str):
                raise _multipart_problem("A file named in map is missing.", "missing_file")
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                raise ContentTooLarge(f"The file is larger than {MAX_UPLOAD_BYTES} bytes.")
            files[name] = data
        try:
            return GraphQLRequest.model_validate(replace_placeholders_with_files(parsed, mapping, files))
        except (ValidationError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise _multipart_problem("operations does not fit map.", "invalid_map") from exc
    finally:
        await form.close()


def _catching(dependency: Callable[[Request], Coroutine[Any, Any, GraphQLRequest]]) -> Any:
    """Turn a refused multipart body into a value, so the endpoint answers it as a problem after the edge has
    opened its session (the same shape as every other refusal)."""
    async def read(request: Request) -> GraphQLRequest | DomainError:
        try:
            return await dependency(request)
        except DomainError as exc:
            return exc
    return read


def graphql_multipart(session: Any, body: GraphQLRequest | DomainError, token: str | None) -> Response:
    """A GraphQL multipart request (file uploads): the same execution as the JSON door."""
    if isinstance(body, DomainError):
        finish(session, failed=True)
        return problem_response(body.to_problem(), body.headers)
    return graphql(session, body, token)


def graphql(session: RawSessionDep, body: GraphQLRequest,
            token: Annotated[str | None, Depends(oauth2_scheme)]) -> Response:
    """Run a GraphQL operation (in a worker thread with its own event loop for the dataloaders). File uploads:
    the same path as a GraphQL multipart request (see the module docstring)."""
    try:
        payload = _execute(session, body, token)
    except DomainError as exc:
        finish(session, failed=True)
        return problem_response(exc.to_problem(), exc.headers)
    except BaseException:
        finish(session, failed=True)
        raise
    return JSONResponse(payload)


def _run_multipart(request: Request, body: GraphQLRequest | DomainError, token: str | None) -> Response:
    """The multipart door on the request's session, opened as every request's is (`open_session`, which the
    app's dependency overrides may replace)."""
    provider: Any = request.app.dependency_overrides.get(open_session, open_session)
    sessions = provider()
    session = next(sessions)
    try:
        return graphql_multipart(session, body, token)
    finally:
        sessions.close()


class GraphQLRoute(APIRoute):
    """POST /graphql: one route (one row of the access table); a `multipart/form-data` request is handed to the
    multipart door, everything else to the JSON door exactly as before."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        json_handler = super().get_route_handler()
        read_body = _catching(multipart_operation)

        async def handler(request: Request) -> Response:
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if content_type != "multipart/form-data":
                return await json_handler(request)
            body = await read_body(request)
            token = await oauth2_scheme(request)
            return await run_in_threadpool(_run_multipart, request, body, token)
        return handler


router.add_api_route("/graphql", graphql, methods=["POST"], response_model=None, route_class_override=GraphQLRoute)


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

