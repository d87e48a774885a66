"""`record(...)`: the one way to write an audit event, inside the caller's transaction."""

import uuid
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Uuid, bindparam, event, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from service.audit import policy
from service.audit.dto import AuditEventRead
from service.audit.models import AuditEvent, AuditEventPerson
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow

_REFUSALS = "tvaers_refusals"
_PENDING = "tvaers_audit_pending"
_WROTE = "tvaers_wrote"  # the transaction changed more than the audit trail (flush or DML statement)

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
) -> None:
    """`person_ids`: the data subjects a list or search showed (a person or referral subject is linked
    without being named), so each person's access log finds the event.

    The event is written in the caller's transaction, but not at once: it waits (in `session.info`) until the
    session commits or sends its next statement, then goes out as one INSERT together with its links (see
    `_write_pending`). A read therefore costs no extra round trip before its response is built, and a
    savepoint rolled back takes the events recorded inside it along, as a flushed row would."""
    row = {
        "occurred_at": utcnow(),
        "actor_type": principal.kind if principal else (actor_type or "anonymous"),
        "actor_id": str(principal.id) if principal else actor_id,
        "organisation_id": principal.organisation_id if principal else organisation_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id) if subject_id is not None else None,
        "criterion": criterion,
        "purpose": purpose,
        "outcome": outcome,
        "reason": reason,
        "actor_role": str(principal.role) if principal else None,
    }
    subjects = sorted(_data_subjects(session, subject_type, subject_id, person_ids))
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append((transaction, row, subjects))
    if outcome != "success":
        # A refused request is rolled back; its audit trail must not be.
        session.info.setdefault(_REFUSALS, []).append((row, subjects))


def record_each(session: Session, principal: Principal, action: str, *, purpose: str,
                person_ids: Iterable[uuid.UUID]) -> None:
    """One success event per person — exactly the event `record(..., subject_type="person", subject_id=…)`
    writes for a single read — in a constant number of statements however many persons (a GraphQL batch)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    _write_pending(session)
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


def _insert(session: Session, entries: list[tuple[dict[str, Any], list[uuid.UUID]]]) -> None:
    """Each event with its links in one statement on PostgreSQL (a data-modifying CTE), two on SQLite."""
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    for row, subjects in entries:
        if not subjects:
            conn.execute(insert(AuditEvent).values(**row))
        elif postgres:
            params = {f"event_{k}": v for k, v in row.items()}
            params["subjects"] = subjects
            conn.execute(_event_with_links(tuple(row)), params)
        else:
            event_id = conn.execute(insert(AuditEvent).values(**row).returning(AuditEvent.id)).scalar_one()  # type: ignore[arg-type]
            conn.execute(insert(AuditEventPerson), [{"event_id": event_id, "person_id": p} for p in subjects])


@lru_cache(maxsize=16)
def _event_with_links(columns: tuple[str, ...]) -> Any:
    """The PostgreSQL statement for an event with these columns and its person links, built once (building the
    construct cost more Python per read than the rest of the audit write): every value a bound parameter
    `event_<column>`, the subjects one array parameter `subjects` (unnest)."""
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    values = {k: bindparam(f"event_{k}", type_=table.c[k].type) for k in columns}
    event = insert(AuditEvent).values(values).returning(AuditEvent.id).cte("event")  # type: ignore[arg-type]
    persons = func.unnest(bindparam("subjects", type_=postgresql.ARRAY(Uuid())))
    return insert(AuditEventPerson).add_cte(event).from_select(
        ["event_id", "person_id"], select(event.c.id, persons).select_from(event))


def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        _insert(session, [(row, subjects) for _transaction, row, subjects in pending])


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING) and session.get_nested_transaction() is None and _fast_commit(session):
        # TVAERS_AUDIT_READ_COMMIT=fast: this transaction wrote nothing but audit events (a read)
        session.connection().exec_driver_sql("SET LOCAL synchronous_commit = off")
    _write_pending(session)  # also on releasing a savepoint: its events are then inside it


def _fast_commit(session: Session) -> bool:
    from service.core.settings import get_settings

    return (get_settings().audit_read_commit == "fast" and not session.info.get(_WROTE)
            and session.connection().dialect.name == "postgresql")


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True
    # Whatever the session reads next sees the events it recorded (as with a flush).
    _write_pending(state.session)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    # Committed transactions wrote theirs in before_commit; what is left of this one was rolled back.
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [entry for entry in pending if entry[0] is not transaction]
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def restore_refusals(session: Session, keep: bool = True) -> bool:
    refusals = session.info.pop(_REFUSALS, [])
    if keep and refusals:
        _insert(session, refusals)
    return bool(refusals)


def list_events(session: Session, principal: Principal, params: PageParams, *,
                action: str | None = None, subject_id: str | None = None) -> tuple[list[AuditEventRead], str | None]:
    """The audit trail under `policy.readable_events`, oldest first, as read models."""
    stmt = select(AuditEvent).where(policy.readable_events(principal))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if subject_id:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    rows, cursor = keyset_page(session, stmt, [AuditEvent.id], params)  # type: ignore[list-item]
    return [AuditEventRead.model_validate(e) for e in rows], cursor
