"""The consent verbs: give, list, read, withdraw, expire; and erasure, which the end of the last
registration consent triggers. Nothing here commits.

Consent is evaluated at request time in SQL (`policy.active_consent`): an expired consent counts as withdrawn.
Withdrawing (or the expiry of) the last active `registration` consent erases the person's personal fields; the
pseudonymous row (id, organisation, municipality, birth year, risk settings, T-ILS scores) stays for statistics.

Other domains react to a consent ending through a hook in `on_consent_withdrawn` (e.g. referrals withdraws open
referrals when `referral_sharing` ends); `service.wiring.wire()` registers them, in order, never at import
time. Hooks run inside the same transaction.
"""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, NotFound, Unprocessable
from service.core.idempotency import forget_responses_about
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.settings import get_settings
from service.core.types import utcnow
from service.organisations.models import Organisation
from service.persons import policy
from service.persons.dto import ConsentCreate, ConsentRead
from service.persons.guards import (
    PURPOSE_CONSENT,
    PURPOSE_DATA_PROTECTION,
    is_registered,
    load,
    require_manage,
    require_registered,
    touch,
)
from service.persons.models import Consent, ConsentPurpose, ConsentPurposeRow, ConsentRecipient, Person, PersonStatus
from service.persons.reads import consent_reads

# (session, principal or None for the system, person, consent, the consent's purposes, cause) where cause is
# "withdrawn", "expired" or "registration_ended" (another consent's end erased the person and ended this one).
ConsentHook = Callable[[Session, Principal | None, Person, Consent, frozenset[str], str], None]
on_consent_withdrawn: list[ConsentHook] = []


def register_consent_hook(hook: ConsentHook) -> ConsentHook:
    """Call `hook` whenever a consent is withdrawn or expires (usable as a decorator)."""
    if hook not in on_consent_withdrawn:
        on_consent_withdrawn.append(hook)
    return hook


def erase(session: Session, principal: Principal | None, person: Person, cause: str) -> None:
    """Null every personal field; keep the pseudonymous statistical row. Audited."""
    if person.status == PersonStatus.erased:
        return
    # Without registration nothing is left to consent to: every consent still active ends with it.
    now = utcnow()
    remaining = list(session.scalars(select(Consent).where(col(Consent.person_id) == person.id,
                                                           policy.consent_is_active(now))))
    for consent in remaining:
        consent.withdrawn_at = now
        consent.withdrawn_by = principal.id if principal else None
        consent.withdrawal_reason = "registration ended"
        session.add(consent)
        record(session, principal, "consent.withdraw", purpose=PURPOSE_DATA_PROTECTION, subject_type="person",
               subject_id=person.id, criterion={"consent_id": str(consent.id), "cause": cause},
               organisation_id=person.organisation_id, actor_type="system" if principal is None else None)
        session.flush()
        run_hooks(session, principal, person, consent, "registration_ended")
    for field in ("given_name", "family_name", "birth_date", "gender", "phone", "email", "preferred_language",
                  "notes", "cpr_encrypted", "cpr_hash", "name_key"):
        setattr(person, field, None)
    person.interests = None
    person.accessibility_needs = None
    person.status = PersonStatus.erased
    person.erased_at = utcnow()
    touch(person)
    session.add(person)
    # A representative's name and the evidence reference identify the person too; a withdrawal reason is free
    # text about the person (the fact, time and author of each withdrawal stay).
    session.execute(sql_update(Consent).where(col(Consent.person_id) == person.id)
                    .values(representative_name=None, evidence_reference=None, withdrawal_reason=None)
                    .execution_options(synchronize_session="fetch"))
    # Stored responses replayed for an Idempotency-Key hold the person's name and the referral's texts.
    forget_responses_about(session, person.id)
    record(session, principal, "person.erase", purpose=PURPOSE_DATA_PROTECTION, subject_type="person",
           subject_id=person.id, criterion={"cause": cause}, organisation_id=person.organisation_id,
           actor_type="system" if principal is None else None)


# --- consents ----------------------------------------------------------------------------------------

def check_recipients(session: Session, data: ConsentCreate) -> None:
    wanted = set(data.recipient_organisation_ids)
    if not wanted:
        return
    known = set(session.scalars(select(Organisation.id).where(col(Organisation.id).in_(wanted))))
    unknown = sorted(str(i) for i in wanted - known)
    if unknown:
        raise Unprocessable("Unknown recipient organisation.", errors=[
            {"field": "recipient_organisation_ids", "message": f"no such organisation {i}", "code": "unknown_reference"}
            for i in unknown])


def insert_consent(session: Session, principal: Principal, person: Person, data: ConsentCreate) -> Consent:
    given_at = data.given_at or utcnow()
    expires_at = data.expires_at or given_at + timedelta(days=get_settings().consent_default_days)
    if expires_at <= utcnow():
        raise Unprocessable("The consent would already have expired.", errors=[
            {"field": "expires_at", "message": "the default expiry from given_at lies in the past",
             "code": "expired"}])
    consent = Consent(
        person_id=person.id, data_categories=[str(d) for d in data.data_categories], given_by=data.given_by,
        representative_name=data.representative_name, method=data.method, evidence_reference=data.evidence_reference,
        consent_text_version=data.consent_text_version, recorded_by=principal.id, given_at=given_at,
        expires_at=expires_at,
    )
    session.add(consent)
    session.flush()
    for purpose in data.purposes:
        session.add(ConsentPurposeRow(consent_id=consent.id, purpose=purpose))
    for org_id in data.recipient_organisation_ids:
        session.add(ConsentRecipient(consent_id=consent.id, organisation_id=org_id))
    for kind in data.recipient_organisation_kinds:
        session.add(ConsentRecipient(consent_id=consent.id, organisation_kind=kind))
    session.flush()
    record(session, principal, "consent.give", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={"consent_id": str(consent.id),
                                            "purposes": sorted(str(p) for p in data.purposes)})
    return consent


def list_consents(session: Session, principal: Principal, person_id: uuid.UUID,
                  page: PageParams) -> tuple[list[ConsentRead], str | None]:
    require_manage(session, principal, "consent.list")
    person = load(session, principal, person_id, "consent.list")
    record(session, principal, "consent.list", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id)
    rows, cursor = keyset_page(session, select(Consent).where(col(Consent.person_id) == person.id),
                               [col(Consent.given_at), col(Consent.id)], page)
    return consent_reads(session, rows), cursor


def get_consent(session: Session, principal: Principal, consent_id: uuid.UUID) -> ConsentRead:
    """One consent of a visible person, by its id (the FHIR door reads `Consent/<id>`); else 404, audited."""
    require_manage(session, principal, "consent.read")
    consent = session.scalar(select(Consent).join(Person, col(Person.id) == col(Consent.person_id))
                             .where(col(Consent.id) == consent_id, policy.visible_persons(principal)))
    if consent is None:
        record(session, principal, "consent.read", purpose=PURPOSE_CONSENT, subject_type="consent",
               subject_id=consent_id, outcome="denied", reason="not_visible")
        raise NotFound("Consent not found.")
    record(session, principal, "consent.read", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=consent.person_id, criterion={"consent_id": str(consent.id)})
    return consent_reads(session, [consent])[0]


def give_consent(session: Session, principal: Principal, person_id: uuid.UUID, data: ConsentCreate) -> ConsentRead:
    require_manage(session, principal, "consent.give")
    person = load(session, principal, person_id, "consent.give", for_update=True)
    require_registered(session, person)
    check_recipients(session, data)
    consent = insert_consent(session, principal, person, data)
    touch(person)
    session.add(person)
    session.flush()
    return consent_reads(session, [consent])[0]


def run_hooks(session: Session, principal: Principal | None, person: Person, consent: Consent,
               cause: str) -> frozenset[str]:
    purposes = frozenset(session.scalars(select(ConsentPurposeRow.purpose)
                                         .where(col(ConsentPurposeRow.consent_id) == consent.id)))
    for hook in list(on_consent_withdrawn):
        hook(session, principal, person, consent, purposes, cause)
    return purposes


def consent_ended(session: Session, principal: Principal | None, person: Person, consent: Consent,
                   cause: str) -> None:
    purposes = run_hooks(session, principal, person, consent, cause)
    if ConsentPurpose.registration in purposes and not is_registered(session, person):
        erase(session, principal, person, cause=f"registration_consent_{cause}")


def withdraw_consent(session: Session, principal: Principal, person_id: uuid.UUID, consent_id: uuid.UUID,
                     reason: str | None = None) -> ConsentRead:
    """Withdraw one consent (all its purposes) now. Withdrawing the last registration consent erases."""
    require_manage(session, principal, "consent.withdraw")
    person = load(session, principal, person_id, "consent.withdraw", for_update=True)
    consent = session.scalar(select(Consent).where(col(Consent.id) == consent_id,
                                                   col(Consent.person_id) == person.id))
    if consent is None:
        raise NotFound("Consent not found.")
    if consent.withdrawn_at is not None:
        raise Conflict("The consent is already withdrawn.")
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by = principal.id
    consent.withdrawal_reason = reason
    session.add(consent)
    session.flush()
    record(session, principal, "consent.withdraw", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={"consent_id": str(consent.id)})
    consent_ended(session, principal, person, consent, "withdrawn")
    if person.status != PersonStatus.erased:
        touch(person)
        session.add(person)
    session.flush()
    return consent_reads(session, [consent])[0]


def expire_consents(session: Session, now: datetime | None = None, person_id: uuid.UUID | None = None) -> int:
    """Record expiry for every consent (of one person, if given) past `expires_at` not yet recorded;
    idempotent. Returns the count."""
    at = now or utcnow()
    stmt = select(Consent).where(col(Consent.withdrawn_at).is_(None), col(Consent.expires_at).is_not(None),
                                 col(Consent.expires_at) <= at, col(Consent.expired_recorded_at).is_(None))
    if person_id is not None:
        stmt = stmt.where(col(Consent.person_id) == person_id)
    due = list(session.scalars(stmt.order_by(col(Consent.expires_at), col(Consent.id))))
    for consent in due:
        consent.expired_recorded_at = at
        session.add(consent)
        person = session.get(Person, consent.person_id)
        assert person is not None  # foreign key
        record(session, None, "consent.expire", purpose=PURPOSE_DATA_PROTECTION, subject_type="person",
               subject_id=person.id, criterion={"consent_id": str(consent.id)},
               organisation_id=person.organisation_id, actor_type="system")
        session.flush()
        consent_ended(session, None, person, consent, "expired")
    session.flush()
    return len(due)
