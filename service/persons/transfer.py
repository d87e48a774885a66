"""Moving a person to another organisation (a resident moves from a care home to a shelter).

The holding organisation requests the transfer; the receiving organisation accepts (or declines); the sender may
cancel while it is pending. At most one transfer per person is pending (a partial unique index).

- Before acceptance the receiver sees only what the person's consent permits: a live `referral_sharing`
  consent naming the receiver (by id or kind) shows the first name, age group, municipality and the consented
  data categories (contact details also need a `contact` consent); without one, only the transfer itself.
- On acceptance, a consent *moves with the person only if it names the receiving organisation* (or its kind)
  as a recipient — the person agreed that organisation may hold the data; every other active consent ends
  (`transferred`, with the usual consent hooks: referrals it covered are withdrawn). The receiver may record its
  own consent in the same call; without an active registration consent afterwards the acceptance is refused
  (409) and nothing changes.
- Deciding is one conditional UPDATE (`pending` → `accepted` / `cancelled` / `declined`), so a concurrent accept
  and cancel have exactly one winner; the loser gets 409 with the current status.
- Case ownership moves with the case (as in Primero and HMIS): on acceptance the reactions registered with
  `register_transfer_hook` run in the same transaction — referrals re-points the person's *open* referrals to
  the receiving organisation as referrer (closed ones stay with the sender as history), see `service/wiring.py`.
- Every step is audited on both sides: one event in the actor's organisation and one in the other party's.
"""

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import false, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.permissions import Permission
from service.core.principal import Principal
from service.core.types import utcnow
from service.organisations.models import Organisation
from service.persons import consents, duplicates, guards, policy
from service.persons.ages import age_group
from service.persons.links_dto import TransferAccept, TransferCreate, TransferRead, TransferredPerson
from service.persons.models import (
    Consent,
    ConsentPurpose,
    DataCategory,
    Person,
    PersonRiskSetting,
    PersonTransfer,
    TransferStatus,
)
from service.persons.sharing import allowed_categories, consents_naming, names, sharing_grants

CASEWORK = "casework"

# (session, accepting principal, the accepted transfer, the acceptance body) → how many rows moved, by kind
TransferHook = Callable[[Session, Principal, PersonTransfer, TransferAccept], dict[str, int]]
on_person_transferred: list[TransferHook] = []


def register_transfer_hook(hook: TransferHook) -> TransferHook:
    """Call `hook` when a transfer is accepted, after the consents have moved or ended (usable as a decorator)."""
    if hook not in on_person_transferred:
        on_person_transferred.append(hook)
    return hook


def visible_transfers(principal: Principal) -> Any:
    """Transfers the principal may see: its organisation sends or receives them (persons:manage)."""
    if not principal.can(Permission.persons_manage):
        return false()
    return or_(col(PersonTransfer.from_organisation_id) == principal.organisation_id,
               col(PersonTransfer.to_organisation_id) == principal.organisation_id)


def _audit(session: Session, principal: Principal, t: PersonTransfer, action: str, **criterion: Any) -> None:
    """One event for the actor's organisation and one for the other party (the same facts, ids only)."""
    facts = {"transfer_id": str(t.id), "from_organisation_id": str(t.from_organisation_id),
             "to_organisation_id": str(t.to_organisation_id), **criterion}
    record(session, principal, action, purpose=CASEWORK, subject_type="person", subject_id=t.person_id,
           criterion=facts)
    other = t.to_organisation_id if principal.organisation_id == t.from_organisation_id else t.from_organisation_id
    record(session, None, action, purpose=CASEWORK, subject_type="person", subject_id=t.person_id,
                   criterion=facts, organisation_id=other, actor_id=str(principal.id), actor_type=principal.kind)


def _receiver_views(session: Session, transfers: list[PersonTransfer]) -> dict[uuid.UUID, TransferredPerson]:
    """The receiver's consent-gated summaries of a page of transfers, in a constant number of statements (the
    persons, their sharing grants, their contact consents, their risk settings and the receivers' kinds), keyed
    by transfer id. A transfer missing from the answer shows the receiver no person."""
    if not transfers:
        return {}
    person_ids = list({t.person_id for t in transfers})
    persons = {p.id: p for p in session.scalars(select(Person).where(col(Person.id).in_(person_ids),
                                                                   policy.registration_active()))}
    if not persons:
        return {}
    kinds: dict[uuid.UUID, str | None] = dict(session.execute(select(Organisation.id, Organisation.kind).where(
        col(Organisation.id).in_({t.to_organisation_id for t in transfers}))).all())
    grants = sharing_grants(session, list(persons))
    contact = set(session.scalars(select(Person.id).where(col(Person.id).in_(list(persons)),
                                                          policy.active_consent(ConsentPurpose.contact))))
    risks: dict[uuid.UUID, list[str]] = {}
    for person_id, code in session.execute(
            select(PersonRiskSetting.person_id, PersonRiskSetting.risk_setting_code)
            .where(col(PersonRiskSetting.person_id).in_(list(persons)))
            .order_by(col(PersonRiskSetting.risk_setting_code))):
        risks.setdefault(person_id, []).append(code)
    views: dict[uuid.UUID, TransferredPerson] = {}
    for t in transfers:
        person = persons.get(t.person_id)
        if person is None:
            continue
        person_grants = grants.get(person.id, [])
        categories = allowed_categories(person_grants, t.to_organisation_id, kinds.get(t.to_organisation_id))
        if not any(names(rid, rkind, t.to_organisation_id, kinds.get(t.to_organisation_id))
                   for rid, rkind, _ in person_grants):
            continue  # no consent names the receiver: it sees the transfer, not the person
        views[t.id] = _summary(person, categories, person.id in contact, risks.get(person.id, []))
    return views


def _summary(person: Person, categories: set[str], contact: bool, risks: list[str]) -> TransferredPerson:
    if not contact:
        categories = categories - {DataCategory.contact_details}
    has = categories.__contains__
    return TransferredPerson(
        id=person.id, given_name=person.given_name, age_group=age_group(person.birth_year),
        municipality_code=person.municipality_code, shared_categories=sorted(categories),
        phone=person.phone if has(DataCategory.contact_details) else None,
        email=person.email if has(DataCategory.contact_details) else None,
        preferred_language=person.preferred_language if has(DataCategory.contact_details) else None,
        risk_settings=risks if has(DataCategory.risk_settings) else None,
        accessibility_needs=(person.accessibility_needs or []) if has(DataCategory.accessibility_needs) else None,
        interests=(person.interests or []) if has(DataCategory.interests) else None,
        loneliness_latest_total=person.loneliness_latest_total if has(DataCategory.loneliness_scores) else None)


def _receiving(principal: Principal, t: PersonTransfer) -> bool:
    return t.status == TransferStatus.pending and principal.organisation_id == t.to_organisation_id


def _reads(session: Session, principal: Principal, transfers: list[PersonTransfer]) -> list[TransferRead]:
    views = _receiver_views(session, [t for t in transfers if _receiving(principal, t)])
    return [TransferRead(
        id=t.id, person_id=t.person_id, from_organisation_id=t.from_organisation_id,
        to_organisation_id=t.to_organisation_id, status=t.status, requested_by=t.requested_by,
        requested_at=t.requested_at, decided_by=t.decided_by, decided_at=t.decided_at,
        carried_consent_ids=[uuid.UUID(i) for i in t.carried_consent_ids or []],
        ended_consent_ids=[uuid.UUID(i) for i in t.ended_consent_ids or []],
        person=views.get(t.id)) for t in transfers]


def _read(session: Session, principal: Principal, t: PersonTransfer) -> TransferRead:
    return _reads(session, principal, [t])[0]


def request(session: Session, principal: Principal, person_id: uuid.UUID, data: TransferCreate) -> TransferRead:
    guards.require_manage(session, principal, "person.transfer_request")
    person = guards.load(session, principal, person_id, "person.transfer_request", for_update=True)
    guards.require_registered(session, person)
    if data.to_organisation_id == person.organisation_id or session.get(Organisation, data.to_organisation_id) is None:
        raise Unprocessable("Name another existing organisation to move the person to.", errors=[
            {"field": "to_organisation_id", "message": "not another existing organisation", "code": "invalid"}])
    pending = session.scalar(select(PersonTransfer.id).where(col(PersonTransfer.person_id) == person.id,
                                                             col(PersonTransfer.status) == TransferStatus.pending))
    if pending is not None:
        raise Conflict("A transfer of this person is already pending.", existing_transfer_id=str(pending))
    t = PersonTransfer(person_id=person.id, from_organisation_id=person.organisation_id,
                       to_organisation_id=data.to_organisation_id, requested_by=principal.id)
    session.add(t)
    session.flush()
    _audit(session, principal, t, "person.transfer_request")
    return _read(session, principal, t)


def _load(session: Session, principal: Principal, transfer_id: uuid.UUID, action: str) -> PersonTransfer:
    t = session.scalar(select(PersonTransfer).where(col(PersonTransfer.id) == transfer_id,
                                                    visible_transfers(principal)))
    if t is None:
        record(session, principal, action, purpose=CASEWORK, subject_type="transfer", subject_id=transfer_id,
               outcome="denied", reason="not_visible")
        raise NotFound("Transfer not found.")
    return t


def get(session: Session, principal: Principal, transfer_id: uuid.UUID) -> TransferRead:
    t = _load(session, principal, transfer_id, "person.transfer_read")
    read = _read(session, principal, t)
    record(session, principal, "person.transfer_read", purpose=CASEWORK, subject_type="person",
           subject_id=t.person_id, criterion={"transfer_id": str(t.id), "summary": read.person is not None})
    return read


def list_transfers(session: Session, principal: Principal, page: PageParams, direction: str | None = None,
                   status: str | None = None) -> tuple[list[TransferRead], str | None]:
    guards.require_manage(session, principal, "person.transfer_list")
    stmt = select(PersonTransfer).where(visible_transfers(principal))
    if direction == "incoming":
        stmt = stmt.where(col(PersonTransfer.to_organisation_id) == principal.organisation_id)
    elif direction == "outgoing":
        stmt = stmt.where(col(PersonTransfer.from_organisation_id) == principal.organisation_id)
    if status is not None:
        stmt = stmt.where(col(PersonTransfer.status) == status)
    rows, cursor = keyset_page(session, stmt, [col(PersonTransfer.requested_at), col(PersonTransfer.id)], page)
    reads = _reads(session, principal, list(rows))
    record(session, principal, "person.transfer_list", purpose=CASEWORK, subject_type="person",
           criterion={"direction": direction, "status": status, "results": len(rows)},
           person_ids=[r.person_id for r in reads if r.person is not None])
    return reads, cursor


def _claim(session: Session, t: PersonTransfer, principal: Principal, to: TransferStatus) -> None:
    """pending → `to` in one conditional UPDATE: of concurrent decisions exactly one changes the row."""
    now = utcnow()
    result = session.execute(update(PersonTransfer).where(col(PersonTransfer.id) == t.id,
                                                          col(PersonTransfer.status) == TransferStatus.pending)
                             .values(status=to, decided_by=principal.id, decided_at=now)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(t)
        raise Conflict("The transfer is no longer pending.", current_status=t.status)
    session.refresh(t)


def cancel(session: Session, principal: Principal, transfer_id: uuid.UUID) -> TransferRead:
    """The sender cancels, the receiver declines; either only while pending."""
    guards.require_manage(session, principal, "person.transfer_cancel")
    t = _load(session, principal, transfer_id, "person.transfer_cancel")
    sender = principal.organisation_id == t.from_organisation_id
    _claim(session, t, principal, TransferStatus.cancelled if sender else TransferStatus.declined)
    _audit(session, principal, t, "person.transfer_cancel", status=t.status)
    return _read(session, principal, t)


def accept(session: Session, principal: Principal, transfer_id: uuid.UUID, data: TransferAccept) -> TransferRead:
    guards.require_manage(session, principal, "person.transfer_accept")
    t = _load(session, principal, transfer_id, "person.transfer_accept")
    if principal.organisation_id != t.to_organisation_id:
        record(session, principal, "person.transfer_accept", purpose=CASEWORK, subject_type="person",
               subject_id=t.person_id, outcome="denied", reason="not_receiver")
        raise Forbidden("Only the receiving organisation accepts a transfer.")
    _claim(session, t, principal, TransferStatus.accepted)
    person = session.scalar(select(Person).where(col(Person.id) == t.person_id).with_for_update())
    assert person is not None  # foreign key
    if not guards.is_registered(session, person):
        raise Conflict("The person's registration has ended; the transfer cannot be accepted.")
    existing = duplicates.candidates(session, t.to_organisation_id, cpr_hash=person.cpr_hash, key=person.name_key)
    if existing:
        raise duplicates.conflict(existing[0].id)
    active = list(session.scalars(select(Consent).where(col(Consent.person_id) == person.id,
                                                        policy.consent_is_active())
                                  .order_by(col(Consent.given_at), col(Consent.id))))
    carried = consents_naming(session, [c.id for c in active], t.to_organisation_id)
    person.organisation_id = t.to_organisation_id
    guards.touch(person)
    session.add(person)
    with duplicates.guarded(session, lambda: next(iter(
            c.id for c in duplicates.candidates(session, t.to_organisation_id, cpr_hash=person.cpr_hash,
                                                key=person.name_key, exclude=person.id)), None)):
        session.flush()
    if data.consent is not None:
        consents.check_recipients(session, data.consent)
        consents.insert_consent(session, principal, person, data.consent)
    ended = [c for c in active if c.id not in carried]
    now = utcnow()
    for consent in ended:  # the person did not agree that the receiver may hold these
        consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_reason = now, principal.id, "transferred"
        session.add(consent)
        session.flush()
        record(session, principal, "consent.withdraw", purpose="consent_management", subject_type="person",
               subject_id=person.id, criterion={"consent_id": str(consent.id), "cause": "transferred"})
        consents.run_hooks(session, principal, person, consent, "withdrawn")
    if not guards.is_registered(session, person):
        raise Conflict("No consent that moves with the person includes registration; record the person's consent "
                       "to your organisation with the acceptance (`consent`).", errors=[
                           {"field": "consent", "message": "a registration consent is needed",
                            "code": "consent_missing"}])
    t.carried_consent_ids = sorted(str(i) for i in carried)
    t.ended_consent_ids = sorted(str(c.id) for c in ended)
    session.add(t)
    session.flush()
    moved: dict[str, int] = {}
    for hook in list(on_person_transferred):
        moved.update(hook(session, principal, t, data))
    _audit(session, principal, t, "person.transfer_accept", carried=len(carried), ended=len(ended), moved=moved)
    return _read(session, principal, t)
