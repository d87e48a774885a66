"""The principal a bearer token names: the account is re-read on every request, so a token issued before a
password, secret, role or activation change is refused at once."""

import uuid

import jwt
from sqlalchemy.orm import Session

from service.core.errors import Unauthorized
from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.core.security import BEARER_CHALLENGE, decode_token
from service.users.models import ApiClient, User


def principal_from_token(session: Session, token: str) -> Principal:
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
