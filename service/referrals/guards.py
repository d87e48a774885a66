"""The steps every referral verb starts with: the referral the caller's organisation is party to or 404, the
read-role check, and the denied-attempt audit row. Also the purpose referral audit rows name."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Forbidden, NotFound
from service.core.principal import Principal
from service.referrals import policy
from service.referrals.models import Referral

PURPOSE = "referral_coordination"


def denied(session: Session, principal: Principal, action: str, reason: str,
            subject_id: uuid.UUID | None = None, criterion: dict[str, Any] | None = None) -> None:
    record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=subject_id,
           outcome="denied", reason=reason, criterion=criterion)


def load(session: Session, principal: Principal, referral_id: uuid.UUID, action: str,
         for_update: bool = False) -> Referral:
    """The referral if the caller's organisation is party to it (and, as provider, the consent lets it
    see it) — else 404, audited as a denied attempt."""
    stmt = select(Referral).where(col(Referral.id) == referral_id, policy.organisation_visible(principal))
    if for_update:
        stmt = stmt.with_for_update(of=Referral).execution_options(populate_existing=True)
    referral = session.scalar(stmt)
    if referral is None:
        denied(session, principal, action, "not_visible", referral_id)
        raise NotFound("Referral not found.")
    return referral


def ensure_visible(session: Session, principal: Principal, referral_id: uuid.UUID, action: str) -> None:
    """`load` for a door that only needs the 404 (REST's idempotent replay): the row stays in the domain."""
    load(session, principal, referral_id, action)


def require_read(session: Session, principal: Principal, referral: Referral, action: str) -> None:
    if not policy.may_read(principal, referral):
        denied(session, principal, action, "role_not_allowed", referral.id)
        raise Forbidden("Your role does not allow reading this referral.")


def field_error(field: str, message: str, code: str) -> list[dict[str, str]]:
    return [{"field": field, "message": message, "code": code}]
