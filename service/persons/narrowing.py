"""Withdrawing a consent for some purposes or some recipients only (GDPR art. 7(3) per purpose).

History is kept by ending the consent and recording what remains as a *successor* consent
(`replaces_consent_id`): same giver, method, evidence, text version, given and expiry times, minus the
withdrawn purposes and recipients. Removing the last recipient removes `referral_sharing` (and its data
categories) too. The cascade is the ordinary one, driven by what is live afterwards: the consent hooks run
for the ended consent, so open referrals no longer covered are withdrawn, and a registration no longer
covered erases the person.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, NotFound, Unprocessable
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons import consents, guards, reads
from service.persons.dto import ConsentRead, ConsentWithdraw
from service.persons.models import Consent, ConsentPurpose, ConsentPurposeRow, ConsentRecipient, PersonStatus
from service.persons.policy import consent_is_active


def _not_in_consent(field: str, values: list[str]) -> Unprocessable:
    return Unprocessable("The consent does not include what you asked to withdraw.", errors=[
        {"field": field, "message": f"{v} is not part of this consent", "code": "not_in_consent"} for v in values])


def withdraw(session: Session, principal: Principal, person_id: uuid.UUID, consent_id: uuid.UUID,
             data: ConsentWithdraw) -> ConsentRead:
    """Withdraw the whole consent, or — with `purposes`/recipients — only those (the successor keeps the rest)."""
    if not data.narrows:
        return consents.withdraw_consent(session, principal, person_id, consent_id, data.reason)
    guards.require_manage(session, principal, "consent.withdraw")
    person = guards.load(session, principal, person_id, "consent.withdraw", for_update=True)
    consent = session.scalar(select(Consent).where(col(Consent.id) == consent_id, col(Consent.person_id) == person.id,
                                                   ))
    if consent is None:
        raise NotFound("Consent not found.")
    if not session.scalar(select(consent_is_active()).select_from(Consent).where(col(Consent.id) == consent.id)):
        raise Conflict("The consent is already withdrawn or expired.")
    purposes = set(session.scalars(select(ConsentPurposeRow.purpose).where(col(ConsentPurposeRow.consent_id)
                                                                           == consent.id)))
    recipients = list(session.scalars(select(ConsentRecipient).where(col(ConsentRecipient.consent_id) == consent.id)))
    ids = {r.organisation_id for r in recipients if r.organisation_id}
    kinds = {r.organisation_kind for r in recipients if r.organisation_kind}
    drop_purposes = {str(p) for p in data.purposes or []}
    drop_ids = set(data.recipient_organisation_ids or [])
    drop_kinds = {str(k) for k in data.recipient_organisation_kinds or []}
    for field, asked, held in (("purposes", drop_purposes, purposes),
                               ("recipient_organisation_ids", {str(i) for i in drop_ids}, {str(i) for i in ids}),
                               ("recipient_organisation_kinds", drop_kinds, kinds)):
        if asked - held:
            raise _not_in_consent(field, sorted(asked - held))
    keep_purposes, keep_ids, keep_kinds = purposes - drop_purposes, ids - drop_ids, kinds - drop_kinds
    if ConsentPurpose.referral_sharing not in keep_purposes or not (keep_ids or keep_kinds):
        keep_purposes.discard(ConsentPurpose.referral_sharing)
        keep_ids, keep_kinds = set(), set()
    now = utcnow()
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_reason = now, principal.id, data.reason
    session.add(consent)
    successor = _successor(session, principal, consent, keep_purposes, keep_ids, keep_kinds) if keep_purposes else None
    session.flush()
    record(session, principal, "consent.withdraw", purpose=guards.PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={
               "consent_id": str(consent.id), "purposes": sorted(purposes - keep_purposes),
               "recipient_organisation_ids": sorted(str(i) for i in ids - keep_ids),
               "recipient_organisation_kinds": sorted(kinds - keep_kinds),
               "successor_id": str(successor.id) if successor else None})
    consents.consent_ended(session, principal, person, consent, "withdrawn")
    if person.status != PersonStatus.erased:
        guards.touch(person)
        session.add(person)
    session.flush()
    return reads.consent_reads(session, [consent])[0]


def _successor(session: Session, principal: Principal, ended: Consent, purposes: set[str], ids: set[uuid.UUID],
               kinds: set[str]) -> Consent:
    sharing = ConsentPurpose.referral_sharing in purposes
    successor = Consent(
        person_id=ended.person_id, data_categories=list(ended.data_categories) if sharing else [],
        given_by=ended.given_by, representative_name=ended.representative_name, method=ended.method,
        evidence_reference=ended.evidence_reference, consent_text_version=ended.consent_text_version,
        recorded_by=principal.id, given_at=ended.given_at, expires_at=ended.expires_at,
        replaces_consent_id=ended.id)
    session.add(successor)
    session.flush()
    session.add_all([ConsentPurposeRow(consent_id=successor.id, purpose=p) for p in sorted(purposes)])
    session.add_all([ConsentRecipient(consent_id=successor.id, organisation_id=i) for i in sorted(ids)])
    session.add_all([ConsentRecipient(consent_id=successor.id, organisation_kind=k) for k in sorted(kinds)])
    return successor
