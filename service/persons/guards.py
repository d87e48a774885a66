"""The steps every person verb starts with: the role check, the visible person or 404 (audited), the
registration gate, and the version bump. Also the purposes that audit rows of this domain name."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, Forbidden, NotFound
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons import policy
from service.persons.models import ConsentPurpose, Person, PersonStatus

PURPOSE_CASEWORK = "casework"
PURPOSE_CONSENT = "consent_management"
PURPOSE_DATA_PROTECTION = "data_protection"


def require_manage(session: Session, principal: Principal, action: str) -> None:
    if not policy.can_manage(principal):
        record(session, principal, action, purpose=PURPOSE_CASEWORK, subject_type="person", outcome="denied",
               reason="role_not_allowed")
        raise Forbidden("Your role does not allow working with persons.")


def load(session: Session, principal: Principal, person_id: uuid.UUID, action: str,
          for_update: bool = False) -> Person:
    """The visible person or 404 — an invisible one is audited as a denied attempt."""
    stmt = select(Person).where(col(Person.id) == person_id, policy.visible_persons(principal))
    if for_update:
        stmt = stmt.with_for_update()
    person = session.scalar(stmt)
    if person is None:
        record(session, principal, action, purpose=PURPOSE_CASEWORK, subject_type="person", subject_id=person_id,
               outcome="denied", reason="not_visible")
        raise NotFound("Person not found.")
    return person


def is_registered(session: Session, person: Person) -> bool:
    return person.status == PersonStatus.active and bool(session.scalar(
        select(policy.active_consent(ConsentPurpose.registration, person_id=person.id))))


def require_registered(session: Session, person: Person) -> None:
    if not is_registered(session, person):
        raise Conflict("The person's registration consent is withdrawn or expired; nothing can be changed.",
                       status_of_person=person.status)


def touch(person: Person) -> None:
    person.version += 1
    person.updated_at = utcnow()
