"""Accounts: users and API clients. Every verb a door calls returns the read model (`UserRead`, `ApiClientRead`,
or `ApiClientWithSecret` when a secret is shown once); the ORM rows stay in here."""

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.core.errors import Conflict, NotFound
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.security import hash_secret
from service.core.types import utcnow
from service.users import policy
from service.users.dto import (
    ApiClientCreate,
    ApiClientRead,
    ApiClientUpdate,
    ApiClientWithSecret,
    UserCreate,
    UserRead,
    UserUpdate,
)
from service.users.models import ApiClient, User


def list_users(session: Session, principal: Principal, params: PageParams, *,
               organisation_id: uuid.UUID | None = None, role: str | None = None,
               active: bool | None = None) -> tuple[list[UserRead], str | None]:
    stmt = policy.scope_accounts(principal, select(User), User.organisation_id)
    if organisation_id:
        stmt = stmt.where(User.organisation_id == organisation_id)
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active == active)
    rows, cursor = keyset_page(session, stmt, [User.username, User.id], params)
    return [UserRead.model_validate(u) for u in rows], cursor


def _visible_user(session: Session, principal: Principal, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Not found.")
    policy.ensure_visible(principal, user.organisation_id)
    return user


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> UserRead:
    return UserRead.model_validate(_visible_user(session, principal, user_id))


def create_user(session: Session, principal: Principal, data: UserCreate) -> UserRead:
    policy.ensure_can_assign(session, principal, data.organisation_id, data.role)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict("That username is taken.")
    user = User(username=data.username, password_hash=hash_secret(data.password),
                organisation_id=data.organisation_id, role=data.role, active=data.active)
    session.add(user)
    session.flush()
    record(session, principal, "user.create", purpose="administration", subject_type="user",
           subject_id=user.id, criterion={"role": data.role})
    return UserRead.model_validate(user)


def update_user(session: Session, principal: Principal, user_id: uuid.UUID, data: UserUpdate) -> UserRead:
    user = _visible_user(session, principal, user_id)
    policy.ensure_can_change(principal, user.role)
    changes = data.model_dump(exclude_unset=True)
    credentials_changed = False
    if "role" in changes and changes["role"] is not None:
        policy.ensure_can_assign(session, principal, user.organisation_id, changes["role"])
        credentials_changed |= user.role != changes["role"]
        user.role = changes["role"]
    if changes.get("password"):
        user.password_hash = hash_secret(changes["password"])
        credentials_changed = True
    if changes.get("active") is not None:
        credentials_changed |= user.active != changes["active"]
        user.active = changes["active"]
    if credentials_changed:  # every token issued before this change stops working now
        user.credentials_version += 1
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    record(session, principal, "user.update", purpose="administration", subject_type="user",
           subject_id=user.id, criterion={"fields": sorted(changes)})
    return UserRead.model_validate(user)


def list_clients(session: Session, principal: Principal, params: PageParams, *,
                 organisation_id: uuid.UUID | None = None) -> tuple[list[ApiClientRead], str | None]:
    stmt = policy.scope_accounts(principal, select(ApiClient), ApiClient.organisation_id)
    if organisation_id:
        stmt = stmt.where(ApiClient.organisation_id == organisation_id)
    rows, cursor = keyset_page(session, stmt, [ApiClient.client_id], params)
    return [ApiClientRead.model_validate(c) for c in rows], cursor


def _visible_client(session: Session, principal: Principal, client_pk: uuid.UUID) -> ApiClient:
    client = session.get(ApiClient, client_pk)
    if client is None:
        raise NotFound("Not found.")
    policy.ensure_visible(principal, client.organisation_id)
    return client


def get_client(session: Session, principal: Principal, client_pk: uuid.UUID) -> ApiClientRead:
    return ApiClientRead.model_validate(_visible_client(session, principal, client_pk))


def _with_secret(client: ApiClient, secret: str | None) -> ApiClientWithSecret:
    return ApiClientWithSecret.model_validate(client).model_copy(update={"client_secret": secret})


def create_client(session: Session, principal: Principal, data: ApiClientCreate) -> ApiClientWithSecret:
    """A new client; its secret is in the answer once and stored only as a hash."""
    policy.ensure_can_assign(session, principal, data.organisation_id, data.role)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(client_id="tv_" + secrets.token_hex(12), secret_hash=hash_secret(secret), name=data.name,
                       organisation_id=data.organisation_id, role=data.role, active=data.active)
    session.add(client)
    session.flush()
    record(session, principal, "api_client.create", purpose="administration", subject_type="api_client",
           subject_id=client.id, criterion={"role": data.role})
    return _with_secret(client, secret)


def update_client(session: Session, principal: Principal, client_pk: uuid.UUID,
                  data: ApiClientUpdate) -> ApiClientWithSecret:
    """The changed client; `client_secret` only when `rotate_secret` made a new one."""
    client = _visible_client(session, principal, client_pk)
    policy.ensure_can_change(principal, client.role)
    changes = data.model_dump(exclude_unset=True)
    credentials_changed = False
    if changes.get("role") is not None:
        policy.ensure_can_assign(session, principal, client.organisation_id, changes["role"])
        credentials_changed |= client.role != changes["role"]
        client.role = changes["role"]
    if changes.get("name") is not None:
        client.name = changes["name"]
    if changes.get("active") is not None:
        credentials_changed |= client.active != changes["active"]
        client.active = changes["active"]
    secret = None
    if data.rotate_secret:
        secret = secrets.token_urlsafe(32)
        client.secret_hash = hash_secret(secret)
        credentials_changed = True
    if credentials_changed:  # every token issued before this change stops working now
        client.credentials_version += 1
    client.updated_at = utcnow()
    session.add(client)
    session.flush()
    record(session, principal, "api_client.update", purpose="administration", subject_type="api_client",
           subject_id=client.id, criterion={"fields": sorted(changes)})
    return _with_secret(client, secret)
