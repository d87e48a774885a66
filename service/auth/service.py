"""Token grants. Every attempt, successful or not, is audited.

Wrong passwords and wrong client secrets are counted from those audit events: after `login_max_failures`
within `login_lockout_minutes` (since the last successful login or token) the account or API client refuses
even the right credentials until the oldest of them ages out — an online guessing attack gets a handful of
tries per window. Every token carries the account's credentials version (`cv`).
"""

import math
from dataclasses import dataclass
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
    actor_type = ("user" if action == PASSWORD.action else "client") if actor_id else "anonymous"
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


@dataclass(frozen=True)
class _Grant:
    """How one kind of credentials is audited and answered."""

    action: str
    kind: str  # the token subject's kind: user | client
    subject_type: str
    wrong: str  # the audit reason counted for lockout
    error: str  # the OAuth2 error code


PASSWORD = _Grant("auth.login", "user", "user", "wrong_password", "invalid_grant")
CLIENT_CREDENTIALS = _Grant("auth.client_token", "client", "api_client", "wrong_secret", "invalid_client")


def _check_and_issue(session: Session, grant: _Grant, account: User | ApiClient, secret_hash: str, presented: str,
                     last_success: datetime | None) -> tuple[str, int]:
    """Lockout, then the secret, then activation; on success audit and issue a token with the account's
    credentials version. The caller stamps its last-success time."""
    actor_id = str(account.id)
    if wait := _lockout_seconds_left(session, grant.action, actor_id, grant.wrong, last_success):
        raise _locked_out(session, grant.action, actor_id, grant.kind, wait, grant.error)
    if not verify_secret(secret_hash, presented):
        raise _refuse(session, grant.action, actor_id, grant.wrong, grant.error)
    if not account.active:
        raise _refuse(session, grant.action, actor_id, "inactive", grant.error)
    record(session, None, grant.action, purpose="authentication", actor_id=actor_id, actor_type=grant.kind,
           organisation_id=account.organisation_id, subject_type=grant.subject_type, subject_id=account.id)
    return issue_token(sub=f"{grant.kind}:{account.id}", org=str(account.organisation_id), role=account.role,
                       scope=_scope(account.role, grant.kind), cv=account.credentials_version)


def password_grant(session: Session, username: str, password: str) -> tuple[str, int]:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        burn_verification_time(password)
        raise _refuse(session, PASSWORD.action, None, "unknown_username", PASSWORD.error)
    token = _check_and_issue(session, PASSWORD, user, user.password_hash, password, user.last_login_at)
    user.last_login_at = utcnow()
    session.add(user)
    return token


def client_credentials_grant(session: Session, client_id: str, client_secret: str) -> tuple[str, int]:
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        burn_verification_time(client_secret)
        raise _refuse(session, CLIENT_CREDENTIALS.action, None, "unknown_client", CLIENT_CREDENTIALS.error)
    token = _check_and_issue(session, CLIENT_CREDENTIALS, client, client.secret_hash, client_secret,
                             client.last_token_at)
    client.last_token_at = utcnow()
    session.add(client)
    return token


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
