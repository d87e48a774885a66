"""The principal a bearer token names: the account is re-read on every request, so a token issued before a
password, secret, role or activation change is refused at once."""

import uuid
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.errors import Unauthorized
from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.core.security import BEARER_CHALLENGE, decode_token
from service.users.models import ApiClient, User

_ACCOUNTS: dict[str, tuple[Any, Any]] = {"user": (User, User.username), "client": (ApiClient, ApiClient.client_id)}


def principal_from_token(session: Session, token: str) -> Principal:
    try:
        claims = decode_token(token)
        subject_kind, _, raw_id = str(claims["sub"]).partition(":")
        subject_id = uuid.UUID(raw_id)
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("The access token is missing, invalid or expired.", headers=BEARER_CHALLENGE) from exc
    # Re-read the account on every request: a token issued before a password, secret, role or activation
    # change carries an older credentials version and is refused at once, not when it expires. The
    # account's columns as a plain row: no ORM object is built for a check every request makes.
    account: Any = None
    if subject_kind in _ACCOUNTS:
        table, name_column = _ACCOUNTS[subject_kind]
        account = session.execute(select(
            table.id, name_column.label("name"), table.active, table.organisation_id, table.credentials_version,
            table.role).where(table.id == subject_id)).first()
    if (account is None or not account.active or str(account.organisation_id) != claims["org"]
            or claims["cv"] != account.credentials_version):
        raise Unauthorized("The access token is missing, invalid or expired.", headers=BEARER_CHALLENGE)
    role = Role(account.role)
    return Principal(kind=subject_kind, id=account.id, organisation_id=account.organisation_id, role=role,
                     name=account.name, permissions=permissions_for(role, subject_kind))
