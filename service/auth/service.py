"""Token grants. Every attempt, successful or not, is audited.

Wrong passwords and wrong client secrets are counted from those audit events: after `login_max_failures`
within `login_lockout_minutes` (since the last successful login or token) the account or API client refuses
even the right credentials until the oldest of them ages out — an online guessing attack gets a handful of
tries per window. Every token carries the account's credentials version (`cv`).
"""

import math
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.audit.service import record
from service.core.errors import BadRequest, TooManyRequests, Unauthorized
from service.core.permissions import permissions_for
from service.core.security import burn_verification_time, issue_token, verify_secret
from service.core.settings import get_settings
from service.core.types import utcnow
from service.users.models import ApiClient, User

SUPPORTED_GRANTS = ("password", "client_credentials")


def _scope(role: str, kind: str) -> str:
    return " ".join(sorted(permissions_for(role, kind)))


def _refuse(session: Session, action: str, actor_id: str | None, reason: str, error: str) -> Unauthorized:
    actor_type = ("user" if action == "auth.login" else "client") if actor_id else "anonymous"
    record(session, None, action, purpose="authentication", outcome="failure", reason=reason, actor_id=actor_id,
           actor_type=actor_type)
    return Unauthorized("The credentials were not accepted.", error=error)


def _lockout_seconds_left(session: Session, action: str, actor_id: str, reason: str,
                          last_success: datetime | None) -> int:
    """0 when the account may try now; otherwise seconds until the oldest counted failure ages out."""
    settings = get_settings()
    window = timedelta(minutes=settings.login_lockout_minutes)
    now = utcnow()
    since = now - window
    if last_success is not None and last_success > since:
        since = last_success
    failures, oldest = session.execute(
        select(func.count(), func.min(AuditEvent.occurred_at))
        .where(AuditEvent.action == action, AuditEvent.actor_id == actor_id,
               AuditEvent.outcome == "failure", AuditEvent.reason == reason,
               AuditEvent.occurred_at > since)).one()
    if failures < settings.login_max_failures or oldest is None:
        return 0
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def _locked_out(session: Session, action: str, actor_id: str, actor_type: str, wait: int,
                error: str) -> TooManyRequests:
    record(session, None, action, purpose="authentication", outcome="denied", reason="locked_out",
           actor_id=actor_id, actor_type=actor_type)
    return TooManyRequests("Too many failed sign-in attempts; try again later.",
                           headers={"Retry-After": str(wait)}, error=error)


def password_grant(session: Session, username: str, password: str) -> tuple[str, int]:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        burn_verification_time(password)
        raise _refuse(session, "auth.login", None, "unknown_username", "invalid_grant")
    if wait := _lockout_seconds_left(session, "auth.login", str(user.id), "wrong_password", user.last_login_at):
        raise _locked_out(session, "auth.login", str(user.id), "user", wait, "invalid_grant")
    if not verify_secret(user.password_hash, password):
        raise _refuse(session, "auth.login", str(user.id), "wrong_password", "invalid_grant")
    if not user.active:
        raise _refuse(session, "auth.login", str(user.id), "inactive", "invalid_grant")
    user.last_login_at = utcnow()
    session.add(user)
    record(session, None, "auth.login", purpose="authentication", actor_id=str(user.id), actor_type="user",
           organisation_id=user.organisation_id, subject_type="user", subject_id=user.id)
    return issue_token(sub=f"user:{user.id}", org=str(user.organisation_id), role=user.role,
                       scope=_scope(user.role, "user"), cv=user.credentials_version)


def client_credentials_grant(session: Session, client_id: str, client_secret: str) -> tuple[str, int]:
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        burn_verification_time(client_secret)
        raise _refuse(session, "auth.client_token", None, "unknown_client", "invalid_client")
    if wait := _lockout_seconds_left(session, "auth.client_token", str(client.id), "wrong_secret",
                                     client.last_token_at):
        raise _locked_out(session, "auth.client_token", str(client.id), "client", wait, "invalid_client")
    if not verify_secret(client.secret_hash, client_secret):
        raise _refuse(session, "auth.client_token", str(client.id), "wrong_secret", "invalid_client")
    if not client.active:
        raise _refuse(session, "auth.client_token", str(client.id), "inactive", "invalid_client")
    client.last_token_at = utcnow()
    session.add(client)
    record(session, None, "auth.client_token", purpose="authentication", actor_id=str(client.id),
           actor_type="client",
           organisation_id=client.organisation_id, subject_type="api_client", subject_id=client.id)
    return issue_token(sub=f"client:{client.id}", org=str(client.organisation_id), role=client.role,
                       scope=_scope(client.role, "client"), cv=client.credentials_version)


def grant(session: Session, grant_type: str, *, username: str | None, password: str | None,
          client_id: str | None, client_secret: str | None) -> tuple[str, int]:
    if grant_type == "password":
        if not username or not password:
            raise BadRequest("username and password are required for grant_type=password.",
                             error="invalid_request")
        return password_grant(session, username, password)
    if grant_type == "client_credentials":
        if not client_id or not client_secret:
            raise BadRequest("client_id and client_secret are required for grant_type=client_credentials.",
                             error="invalid_request")
        return client_credentials_grant(session, client_id, client_secret)
    raise BadRequest(f"grant_type must be one of: {', '.join(SUPPORTED_GRANTS)}.", error="unsupported_grant_type")
