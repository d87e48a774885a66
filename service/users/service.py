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
from service.users.dto import ApiClientCreate, ApiClientUpdate, UserCreate, UserUpdate
from service.users.models import ApiClient, User


def list_users(session: Session, principal: Principal, params: PageParams, *,
               organisation_id: uuid.UUID | None = None, role: str | None = None,
               active: bool | None = None) -> tuple[list[User], str | None]:
    stmt = policy.scope_accounts(principal, select(User), User.organisation_id)
    if organisation_id:
        stmt = stmt.where(User.organisation_id == organisation_id)
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active == active)
    return keyset_page(session, stmt, [User.username, User.id], params)


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Not found.")
    policy.ensure_visible(principal, user.organisation_id)
    return user


def create_user(session: Session, principal: Principal, data: UserCreate) -> User:
    policy.ensure_can_assign(session, principal, data.organisation_id, data.role)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict("That username is taken.")
    user = User(username=data.username, password_hash=hash_secret(data.password),
                organisation_id=data.organisation_id, role=data.role, active=data.active)
    session.add(user)
    session.flush()
    record(session, principal, "user.create", purpose="administration", subject_type="user",
           subject_id=user.id, criterion={"role": data.role})
    return user


def update_user(session: Session, principal: Principal, user_id: uuid.UUID, data: UserUpdate) -> User:
    user = get_user(session, principal, user_id)
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
    return user


def list_clients(session: Session, principal: Principal, params: PageParams, *,
                 organisation_id: uuid.UUID | None = None) -> tuple[list[ApiClient], str | None]:
    stmt = policy.scope_accounts(principal, select(ApiClient), ApiClient.organisation_id)
    if organisation_id:
        stmt = stmt.where(ApiClient.organisation_id == organisation_id)
    return keyset_page(session, stmt, [ApiClient.client_id], params)


def get_client(session: Session, principal: Principal, client_pk: uuid.UUID) -> ApiClient:
    client = session.get(ApiClient, client_pk)
    if client is None:
        raise NotFound("Not found.")
    policy.ensure_visible(principal, client.organisation_id)
    return client


def create_client(session: Session, principal: Principal, data: ApiClientCreate) -> tuple[ApiClient, str]:
    policy.ensure_can_assign(session, principal, data.organisation_id, data.role)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(client_id="tv_" + secrets.token_hex(12), secret_hash=hash_secret(secret), name=data.name,
                       organisation_id=data.organisation_id, role=data.role, active=data.active)
    session.add(client)
    session.flush()
    record(session, principal, "api_client.create", purpose="administration", subject_type="api_client",
           subject_id=client.id, criterion={"role": data.role})
    return client, secret


def update_client(session: Session, principal: Principal, client_pk: uuid.UUID,
                  data: ApiClientUpdate) -> tuple[ApiClient, str | None]:
    client = get_client(session, principal, client_pk)
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
    return client, secret
