"""Referrals follow a transferred person (case ownership moves with the case, as in Primero and HMIS).

When the receiving organisation accepts a transfer (`service/persons/transfer.py`, wired in `service/wiring.py`),
the person's *open* referrals sent by the old organisation (sent, accepted, started) get the receiving
organisation as referrer: it follows them up, sees their contact summary and follow-ups, and may withdraw them;
the old organisation loses them as it loses the person (another organisation's referral is a 404). The old
organisation's callback contact is cleared — the provider must not call someone who no longer holds the case —
and the receiver's contact from the acceptance (`referrer_contact_*`) is set instead. Closed referrals stay with
the old organisation as its history, as do the transitions already recorded (the event feed is history too).
Unrecorded follow-ups of a moved referral move with it. Each moved referral is audited on both sides.
"""

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.idempotency import forget_responses_about
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons.links_dto import TransferAccept
from service.persons.models import PersonTransfer
from service.referrals.guards import PURPOSE
from service.referrals.models import FollowUp, Referral
from service.referrals.workflow import OPEN_STATUSES


def follow_person(session: Session, principal: Principal, t: PersonTransfer, data: TransferAccept) -> dict[str, int]:
    """Re-point the person's open referrals from the sender to the receiver (see the module docstring)."""
    rows = list(session.scalars(select(Referral).where(
        col(Referral.person_id) == t.person_id, col(Referral.referring_organisation_id) == t.from_organisation_id,
        col(Referral.status).in_(OPEN_STATUSES)).order_by(col(Referral.sent_at), col(Referral.id))
        .with_for_update(of=Referral)))
    if not rows:
        return {"referrals": 0}
    now = utcnow()
    email = str(data.referrer_contact_email) if data.referrer_contact_email else None
    for referral in rows:
        referral.referring_organisation_id = t.to_organisation_id
        referral.referrer_contact_name = data.referrer_contact_name
        referral.referrer_contact_phone = data.referrer_contact_phone
        referral.referrer_contact_email = email
        referral.updated_at = now
        referral.version += 1
        session.add(referral)
    session.flush()
    ids = [r.id for r in rows]
    session.execute(update(FollowUp).where(col(FollowUp.referral_id).in_(ids), col(FollowUp.measurement_id).is_(None))
                    .values(referring_organisation_id=t.to_organisation_id)
                    .execution_options(synchronize_session="fetch"))
    # a stored response replayed for an Idempotency-Key would show the old organisation the moved referral
    forget_responses_about(session, t.person_id)
    for referral in rows:
        facts = {"transfer_id": str(t.id), "from_organisation_id": str(t.from_organisation_id),
                 "to_organisation_id": str(t.to_organisation_id)}
        record(session, principal, "referral.transfer", purpose=PURPOSE, subject_type="referral",
               subject_id=referral.id, criterion=facts)
        record(session, None, "referral.transfer", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               criterion=facts, organisation_id=t.from_organisation_id, actor_id=str(principal.id),
               actor_type=principal.kind)
    return {"referrals": len(rows)}
