"""The permission check every door runs first, derived from the access table (`service/access.py`).

REST: `rest_door` is a dependency of the `/api/v1` router. FastAPI solves dependencies before it validates
the body, so a caller without the permission gets 401/403 — never a 422 that describes the body it may not
send. (A body that is not JSON at all is refused as 400 while it is read, before any dependency.)
GraphQL runs the same `authorize` from a schema extension (`schema/door.py`).

Object rules are not checked here: the services apply them in SQL (`service/<domain>/policy.py`).
"""

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.access import AUTHENTICATED, REST, Access
from service.audit.service import record
from service.core.errors import Forbidden, Unauthorized
from service.core.principal import Principal
from service.core.security import BEARER_CHALLENGE
from service.web.principal import oauth2_scheme, resolve_principal
from service.web.session import SessionDep


def _subject(value: Any) -> uuid.UUID | None:
    """Only a well-formed id is written to the audit trail (never an arbitrary rejected value)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def authorize(session: Session, principal: Principal | None, access: Access, subject: Any = None) -> None:
    """401 without a principal, 403 without any of the needed permissions; refusals on personal data are
    audited (they survive the request's rollback)."""
    if access.is_public:
        return
    refusal: Unauthorized | Forbidden | None = None
    if principal is None:
        refusal = Unauthorized("Authentication required: send a bearer token.", headers=BEARER_CHALLENGE)
    elif isinstance(access.needs, tuple):
        if not any(principal.can(p) for p in access.needs):
            refusal = Forbidden("Your role does not allow this action.")
    elif access.needs != AUTHENTICATED:  # fail closed on anything the table does not define
        refusal = Forbidden("This operation's access is not declared.")
    if refusal is None:
        return
    if access.audit is not None:
        record(session, principal, access.audit.action, purpose=access.audit.purpose,
               subject_type=access.audit.subject_type, subject_id=_subject(subject), outcome="denied",
               reason="unauthenticated" if principal is None else "role_not_allowed")
    raise refusal


def rest_operations(app: Any) -> Iterator[tuple[str, str, Any]]:
    """(method, path template, endpoint) of every route of the app, routers included. HEAD, which
    Starlette adds to plain GET routes, is the GET."""
    try:  # FastAPI ≥ 0.165 includes routers lazily; this walks them as the OpenAPI generator does.
        from fastapi.routing import iter_route_contexts
        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI copies included routes into app.routes
        routes = list(app.routes)
    for route in routes:
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, route.path, route.endpoint


def _declared_access(request: Request) -> Access:
    index: dict[tuple[Any, str], Access] | None = getattr(request.app.state, "access_index", None)
    if index is None:
        index = {(endpoint, method): REST[(method, path)] for method, path, endpoint in rest_operations(request.app)
                 if (method, path) in REST}
        request.app.state.access_index = index
    route = request.scope.get("route")
    access = index.get((getattr(route, "endpoint", None), request.method))
    if access is None:  # fail closed; tests/test_access_table.py keeps this from happening
        raise Forbidden("This operation is not declared in the access table.")
    return access


def rest_door(request: Request, session: SessionDep,
              token: Annotated[str | None, Depends(oauth2_scheme)]) -> None:
    access = _declared_access(request)
    if access.is_public:
        return  # a public operation never looks at a token (a stale one must not break it)
    principal = resolve_principal(request, session, token)
    subject = request.path_params.get(f"{access.audit.subject_type}_id") if access.audit else None
    authorize(session, principal, access, subject)
