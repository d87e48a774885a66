"""The acting principal of a request, resolved once from the bearer token (FastAPI dependencies). The token
check itself is `auth.tokens.principal_from_token`, handed in by `service.wiring.wire()` (`web/edge_hooks.py`)."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from service.core.errors import Unauthorized
from service.core.principal import Principal
from service.core.security import BEARER_CHALLENGE
from service.web.edge_hooks import edge_hooks
from service.web.session import SessionDep

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


_RESOLVED = "tvaers_principal"


def resolve_principal(request: Request, session: Session, token: str | None) -> Principal | None:
    """The request's principal, read once per request (the door and the endpoint share it)."""
    if _RESOLVED not in request.scope:
        request.scope[_RESOLVED] = edge_hooks().verify_token(session, token) if token else None
    principal: Principal | None = request.scope[_RESOLVED]
    return principal


def optional_principal(request: Request, session: SessionDep,
                       token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal | None:
    return resolve_principal(request, session, token)


async def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized("Authentication required: send a bearer token.", headers=BEARER_CHALLENGE)
    return principal


# current_principal only looks at the resolved principal: on the event loop, no thread hand-over (see
# service/web/parameters.py). optional_principal reads the database, so it stays a plain def.
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
