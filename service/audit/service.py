"""`record(...)`: the one way to write an audit event, inside the caller's transaction."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.core.pagination import PageParams, keyset_page
from service.core.permissions import Permission
from service.core.principal import Principal, require

_REFUSALS = "tvaers_refusals"


def record(
    session: Session,
    principal: Principal | None,
    action: str,
    *,
    purpose: str,
    subject_type: str | None = None,
    subject_id: uuid.UUID | str | None = None,
    criterion: dict[str, Any] | None = None,
    outcome: str = "success",
    reason: str | None = None,
    organisation_id: uuid.UUID | None = None,
    actor_id: str | None = None,
    actor_type: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_type=principal.kind if principal else (actor_type or "anonymous"),
        actor_id=str(principal.id) if principal else actor_id,
        organisation_id=principal.organisation_id if principal else organisation_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id) if subject_id is not None else None,
        criterion=criterion,
        purpose=purpose,
        outcome=outcome,
        reason=reason,
    )
    session.add(event)
    if outcome != "success":
        # A refused request is rolled back; its audit trail must not be.
        session.info.setdefault(_REFUSALS, []).append(event.model_dump(exclude={"id"}))
    return event


def restore_refusals(session: Session, keep: bool = True) -> bool:
    refusals = session.info.pop(_REFUSALS, [])
    for data in refusals if keep else ():
        session.add(AuditEvent(**data))
    return bool(refusals)


def list_events(session: Session, principal: Principal, params: PageParams, *,
                action: str | None = None, subject_id: str | None = None) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent)
    if not principal.can(Permission.audit_read_any):
        require(principal, Permission.audit_read_own)
        stmt = stmt.where(AuditEvent.organisation_id == principal.organisation_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if subject_id:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return keyset_page(session, stmt, [AuditEvent.id], params)  # type: ignore[list-item]
