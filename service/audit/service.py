"""`record(...)`: the one way to write an audit event, inside the caller's transaction."""

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from service.audit import policy
from service.audit.models import AuditEvent, AuditEventPerson
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow

_REFUSALS = "tvaers_refusals"

SubjectPerson = Callable[[Session, uuid.UUID], uuid.UUID | None]
_SUBJECT_PERSONS: dict[str, SubjectPerson] = {}


def register_subject_person(subject_type: str, person_of: SubjectPerson) -> SubjectPerson:
    """Say whose data an audit subject of another domain is (referrals: a referral's person), so the person's
    access log finds the event. Called by `service.wiring.wire()`, never at import time: audit sits below every
    domain and imports none."""
    _SUBJECT_PERSONS[subject_type] = person_of
    return person_of


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
    person_ids: Iterable[uuid.UUID] | None = None,
) -> AuditEvent:
    """`person_ids`: the data subjects a list or search showed (a person subject, or one whose person a
    registered `register_subject_person` names, is linked without being named), so each person's access log
    finds the event."""
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
        actor_role=str(principal.role) if principal else None,
    )
    session.add(event)
    subjects = _data_subjects(session, subject_type, subject_id, person_ids)
    _link(session, event, subjects)
    if outcome != "success":
        # A refused request is rolled back; its audit trail must not be.
        session.info.setdefault(_REFUSALS, []).append((event.model_dump(exclude={"id"}), subjects))
    return event


def record_each(session: Session, principal: Principal, action: str, *, purpose: str,
                person_ids: Iterable[uuid.UUID]) -> None:
    """One success event per person — exactly the event `record(..., subject_type="person", subject_id=…)`
    writes for a single read — in a constant number of statements however many persons (a GraphQL batch)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    now = utcnow()
    rows = [{"occurred_at": now, "actor_type": principal.kind, "actor_id": str(principal.id),
             "organisation_id": principal.organisation_id, "action": action, "subject_type": "person",
             "subject_id": str(p), "purpose": purpose, "outcome": "success", "actor_role": str(principal.role)}
            for p in ids]
    # One multi-row INSERT … RETURNING. Rows may come back in any order (asking for parameter order makes
    # SQLAlchemy insert row by row on SQLite), so the returned subject says which id is whose.
    returned = session.execute(insert(AuditEvent).returning(AuditEvent.id, AuditEvent.subject_id),  # type: ignore[arg-type]
                               rows).all()
    links = [{"event_id": event_id, "person_id": uuid.UUID(subject)} for event_id, subject in returned]
    session.execute(insert(AuditEventPerson), links)


def _as_uuid(value: uuid.UUID | str | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _data_subjects(session: Session, subject_type: str | None, subject_id: uuid.UUID | str | None,
                   person_ids: Iterable[uuid.UUID] | None) -> set[uuid.UUID]:
    subjects = set(person_ids or ())
    subject = _as_uuid(subject_id)
    if subject is not None and subject_type == "person":
        subjects.add(subject)
    elif subject is not None and subject_type in _SUBJECT_PERSONS:
        person = _SUBJECT_PERSONS[subject_type](session, subject)
        if person is not None:
            subjects.add(person)
    return subjects


def _link(session: Session, event: AuditEvent, subjects: set[uuid.UUID]) -> None:
    if subjects:
        session.flush()  # the event needs its id for the links
        session.execute(insert(AuditEventPerson), [{"event_id": event.id, "person_id": p} for p in sorted(subjects)])


def restore_refusals(session: Session, keep: bool = True) -> bool:
    refusals = session.info.pop(_REFUSALS, [])
    for data, subjects in refusals if keep else ():
        event = AuditEvent(**data)
        session.add(event)
        _link(session, event, subjects)
    return bool(refusals)


def list_events(session: Session, principal: Principal, params: PageParams, *,
                action: str | None = None, subject_id: str | None = None) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent).where(policy.readable_events(principal))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if subject_id:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return keyset_page(session, stmt, [AuditEvent.id], params)  # type: ignore[list-item]
