"""Confirmed duplicates: link two records of one person, then merge one into the other.

A caseworker who finds that two registrations of the organisation are the same person links them
(`kind=duplicate`) and later merges: the duplicate's consents (with their documents), referrals, T-ILS
measurements and risk settings move to the kept person, a missing phone, e-mail or CPR number is taken over,
and the duplicate record is then erased exactly as `persons.consents.erase` erases (pseudonymous row kept,
personal fields nulled). Both persons' access logs show the merge (`person.merge`), and the link keeps
`merged_at`. Every table holding a person id is moved from the metadata, so a new one cannot be forgotten.
"""

import uuid
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from service.audit.service import record
from service.core.errors import Conflict, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons import consents, guards
from service.persons.links_dto import MergeRead, PersonLinkCreate, PersonLinkRead, PersonMerge
from service.persons.models import (
    LonelinessMeasurement,
    Person,
    PersonLink,
    PersonLinkKind,
    PersonRiskSetting,
    PersonStatus,
    PersonTransfer,
    TransferStatus,
)

CASEWORK = "casework"
# person_id columns that stay where they are: history (links, transfers) and the immutable audit trail
_KEEP = {"person_link", "person_transfer", "audit_event_person", "idempotency_record", "person_risk_setting"}


def _link_read(link: PersonLink) -> PersonLinkRead:
    return PersonLinkRead.model_validate(link)


def _pair(a: uuid.UUID, b: uuid.UUID) -> Any:
    return or_(and_(col(PersonLink.person_id) == a, col(PersonLink.other_person_id) == b),
               and_(col(PersonLink.person_id) == b, col(PersonLink.other_person_id) == a))


def _two(session: Session, principal: Principal, person_id: uuid.UUID, other_id: uuid.UUID,
         action: str) -> tuple[Person, Person]:
    guards.require_manage(session, principal, action)
    if person_id == other_id:
        raise Unprocessable("A person cannot be linked to itself.", errors=[
            {"field": "other_person_id", "message": "the same person", "code": "same_person"}])
    # locked in id order, so two merges of the same pair in opposite directions cannot deadlock
    first, second = sorted((person_id, other_id))
    loaded = {p: guards.load(session, principal, p, action, for_update=True) for p in (first, second)}
    return loaded[person_id], loaded[other_id]


def link(session: Session, principal: Principal, person_id: uuid.UUID, data: PersonLinkCreate) -> PersonLinkRead:
    """Record that `other_person_id` is the same person (a not_duplicate decision is overruled)."""
    person, other = _two(session, principal, person_id, data.other_person_id, "person.link")
    if PersonStatus.erased in (person.status, other.status):
        raise Conflict("An erased person cannot be linked.")
    existing = session.scalar(select(PersonLink).where(_pair(person.id, other.id)).with_for_update())
    if existing is not None and existing.kind == PersonLinkKind.duplicate:
        return _link_read(existing)
    if existing is not None:
        session.delete(existing)
        session.flush()
    new = PersonLink(organisation_id=person.organisation_id, person_id=person.id, other_person_id=other.id,
                     kind=PersonLinkKind.duplicate, created_by=principal.id)
    session.add(new)
    session.flush()
    record(session, principal, "person.link", purpose=CASEWORK, subject_type="person", subject_id=person.id,
           criterion={"kind": "duplicate", "link_id": str(new.id)}, person_ids=[other.id])
    return _link_read(new)


def list_links(session: Session, principal: Principal, person_id: uuid.UUID,
               page: PageParams) -> tuple[list[PersonLinkRead], str | None]:
    guards.require_manage(session, principal, "person.links")
    person = guards.load(session, principal, person_id, "person.links")
    stmt = select(PersonLink).where(or_(col(PersonLink.person_id) == person.id,
                                        col(PersonLink.other_person_id) == person.id))
    rows, cursor = keyset_page(session, stmt, [col(PersonLink.created_at), col(PersonLink.id)], page)
    record(session, principal, "person.links", purpose=CASEWORK, subject_type="person", subject_id=person.id)
    return [_link_read(r) for r in rows], cursor


def _person_tables() -> list[Any]:
    """(table, column) of every person_id that follows the person on a merge, found from the metadata."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _KEEP:
            continue
        for column in table.columns:
            if any(fk.column.table.name == "person" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def merge(session: Session, principal: Principal, person_id: uuid.UUID, data: PersonMerge) -> MergeRead:
    kept, gone = _two(session, principal, person_id, data.duplicate_person_id, "person.merge")
    guards.require_registered(session, kept)
    if gone.status == PersonStatus.erased:
        raise Conflict("The duplicate record is already erased.")
    link_row = session.scalar(select(PersonLink).where(_pair(kept.id, gone.id),
                                                       col(PersonLink.kind) == PersonLinkKind.duplicate))
    if link_row is None:
        raise Conflict("Link the two persons as duplicates first (POST /persons/{person_id}/links).",
                       errors=[{"field": "duplicate_person_id", "message": "not linked as a duplicate",
                                "code": "not_linked"}])
    if session.scalar(select(PersonTransfer.id).where(col(PersonTransfer.person_id).in_([kept.id, gone.id]),
                                                      col(PersonTransfer.status) == TransferStatus.pending)):
        raise Conflict("A transfer of one of the persons is pending; settle it before merging.")
    moved: dict[str, int] = {}
    for table, column in _person_tables():
        result = session.execute(update(table).where(column == gone.id).values({column.name: kept.id}))
        moved[table.name] = result.rowcount  # type: ignore[attr-defined]
    have = set(session.scalars(select(PersonRiskSetting.risk_setting_code)
                               .where(col(PersonRiskSetting.person_id) == kept.id)))
    for setting in list(session.scalars(select(PersonRiskSetting).where(col(PersonRiskSetting.person_id) == gone.id))):
        if setting.risk_setting_code not in have:
            session.add(PersonRiskSetting(person_id=kept.id, risk_setting_code=setting.risk_setting_code,
                                          disability_types=setting.disability_types))
    session.execute(delete(PersonRiskSetting).where(col(PersonRiskSetting.person_id) == gone.id))
    session.expire_all()  # the moved rows were changed behind the ORM's back
    kept = session.get_one(Person, kept.id)
    gone = session.get_one(Person, gone.id)
    taken = {f: getattr(gone, f) for f in ("phone", "email", "cpr_encrypted", "cpr_hash", "cpr_key_id")}
    consents.erase(session, principal, gone, cause="merged")
    session.flush()
    if kept.phone is None:
        kept.phone = taken["phone"]
    if kept.email is None:
        kept.email = taken["email"]
    if kept.cpr_encrypted is None and taken["cpr_encrypted"] is not None:
        kept.cpr_encrypted, kept.cpr_hash, kept.cpr_key_id = (taken["cpr_encrypted"], taken["cpr_hash"],
                                                              taken["cpr_key_id"])
    latest = session.execute(select(LonelinessMeasurement.total, LonelinessMeasurement.measured_at)
                             .where(col(LonelinessMeasurement.person_id) == kept.id)
                             .order_by(col(LonelinessMeasurement.measured_at).desc()).limit(1)).first()
    if latest is not None:
        kept.loneliness_latest_total, kept.loneliness_latest_at = latest
    guards.touch(kept)
    session.add(kept)
    link_row.merged_at, link_row.merged_by = utcnow(), principal.id
    session.add(link_row)
    session.flush()
    counts = {name: n for name, n in moved.items() if n}
    for subject, other in ((kept.id, gone.id), (gone.id, kept.id)):
        record(session, principal, "person.merge", purpose=CASEWORK, subject_type="person", subject_id=subject,
               criterion={"kept_person_id": str(kept.id), "merged_person_id": str(gone.id), "moved": counts},
               person_ids=[other])
    return MergeRead(person_id=kept.id, merged_person_id=gone.id, moved=counts)
