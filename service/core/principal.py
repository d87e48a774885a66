"""The acting principal, resolved from the bearer token on every request."""

import uuid
from dataclasses import dataclass, field
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from service.core.db import SessionDep
from service.core.errors import Forbidden, Unauthorized
from service.core.permissions import Permission, Role, permissions_for
from service.core.security import decode_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tvaers"'}


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "client"
    id: uuid.UUID
    organisation_id: uuid.UUID
    role: Role
    name: str
    permissions: frozenset[Permission] = field(default_factory=frozenset)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise Forbidden("Your role does not allow this action.")


def principal_from_token(session: Session, token: str) -> Principal:
    from service.users.models import ApiClient, User

    try:
        claims = decode_token(token)
        subject_kind, _, raw_id = str(claims["sub"]).partition(":")
        subject_id = uuid.UUID(raw_id)
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("The access token is missing, invalid or expired.", headers=BEARER_CHALLENGE) from exc
    # Re-read the account on every request: a token issued before a password, secret, role or activation
    # change carries an older credentials version and is refused at once, not when it expires.
    account: User | ApiClient | None
    if subject_kind == "user":
        account = session.get(User, subject_id)
        name = account.username if account else ""
    elif subject_kind == "client":
        account = session.get(ApiClient, subject_id)
        name = account.client_id if account else ""
    else:
        account = None
    if (account is None or not account.active or str(account.organisation_id) != claims["org"]
            or claims["cv"] != account.credentials_version):
        raise Unauthorized("The access token is missing, invalid or expired.", headers=BEARER_CHALLENGE)
    role = Role(account.role)
    return Principal(kind=subject_kind, id=account.id, organisation_id=account.organisation_id, role=role,
                     name=name, permissions=permissions_for(role, subject_kind))


_RESOLVED = "tvaers_principal"


def resolve_principal(request: Request, session: Session, token: str | None) -> Principal | None:
    """The request's principal, read once per request (the door and the endpoint share it)."""
    if _RESOLVED not in request.scope:
        request.scope[_RESOLVED] = principal_from_token(session, token) if token else None
    principal: Principal | None = request.scope[_RESOLVED]
    return principal


def optional_principal(request: Request, session: SessionDep,
                       token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal | None:
    return resolve_principal(request, session, token)


def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized("Authentication required: send a bearer token.", headers=BEARER_CHALLENGE)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
