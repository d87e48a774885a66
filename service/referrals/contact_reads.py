"""Ending an agreement well, the parked topics' history, the five elements over time (provider), and the
contact summary the referrer sees while the consent allows it. Aggregates are one GROUP BY each."""

import uuid

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, Forbidden, NotFound
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.referrals import policy, rhythm
from service.referrals.contacts import _agreement_read, _latest_entries, _load_for_contacts, topic_read
from service.referrals.dto import ContactAgreementRead, ParkedTopicRead
from service.referrals.guards import PURPOSE, load
from service.referrals.models import (
    ATTEMPTS,
    ELEMENT_LABELS,
    ContactAgreement,
    ContactElement,
    ContactLogEntry,
    ContactOutcome,
    ParkedTopic,
    PsychosocialElement,
    Referral,
    TopicState,
)
from service.referrals.rhythm_dto import AgreementClose, ContactSummaryRead, ElementCount, ElementHistory, ElementMonth


def close_agreement(session: Session, principal: Principal, referral_id: uuid.UUID,
                    data: AgreementClose) -> ContactAgreementRead:
    """Record how the agreement ended; a closed agreement is never due and takes no more entries."""
    action = "contact_agreement.close"
    referral = _load_for_contacts(session, principal, referral_id, action, for_update=True)
    agreement = session.scalar(select(ContactAgreement).where(col(ContactAgreement.referral_id) == referral.id)
                               .with_for_update())
    if agreement is None:
        raise NotFound("No contact agreement yet.")
    if agreement.closed_at is not None:
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="agreement_closed")
        raise Conflict("The contact agreement has already been closed.", current_status="closed")
    now = utcnow()
    agreement.closed_at, agreement.ending = now, str(data.ending)
    agreement.ending_next_step, agreement.ending_offer_id = data.next_step, data.offer_id
    agreement.next_contact_at, agreement.updated_by, agreement.updated_at = None, principal.id, now
    session.add(agreement)
    session.flush()
    record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"ending": agreement.ending})
    return _agreement_read(session, agreement, _latest_entries(session, [referral.id]).get(referral.id))


def list_topics(session: Session, principal: Principal, referral_id: uuid.UUID, params: PageParams,
                state: TopicState | None = None) -> tuple[list[ParkedTopicRead], str | None]:
    """Every parked topic of the referral (resolved ones too), oldest first."""
    referral = _load_for_contacts(session, principal, referral_id, "parked_topic.list")
    stmt = select(ParkedTopic).where(col(ParkedTopic.referral_id) == referral.id)
    if state is not None:
        stmt = stmt.where(col(ParkedTopic.state) == state)
    rows, cursor = keyset_page(session, stmt, [col(ParkedTopic.parked_at), col(ParkedTopic.id)], params)
    record(session, principal, "parked_topic.list", purpose=PURPOSE, subject_type="referral",
           subject_id=referral.id)
    return [topic_read(t) for t in rows], cursor


def element_history(session: Session, principal: Principal, referral_id: uuid.UUID) -> ElementHistory:
    """The five elements over time for the referral's person, over every referral of the person that the
    caller's organisation provides and may still see."""
    referral = _load_for_contacts(session, principal, referral_id, "contact_elements.read")
    same_person = (select(Referral.id).where(col(Referral.person_id) == referral.person_id,
                                             col(Referral.provider_organisation_id) == principal.organisation_id,
                                             policy.provider_may_see(principal.organisation_id)))
    of_person = col(ContactElement.referral_id).in_(same_person)
    months = session.execute(select(ContactElement.local_month, ContactElement.element, func.count())
                             .where(of_person).group_by(col(ContactElement.local_month), col(ContactElement.element))
                             .order_by(col(ContactElement.local_month), col(ContactElement.element))).all()
    contacts = session.scalar(select(func.count(func.distinct(ContactElement.entry_id))).where(of_person)) or 0
    totals = {e: 0 for e in PsychosocialElement}
    for _, element, count in months:
        if element in totals:
            totals[PsychosocialElement(element)] += count
    record(session, principal, "contact_elements.read", purpose=PURPOSE, subject_type="referral",
           subject_id=referral.id)
    return ElementHistory(
        person_id=referral.person_id, contacts=contacts,
        totals=[ElementCount(element=e.value, label_da=ELEMENT_LABELS[e][0], label_en=ELEMENT_LABELS[e][1], count=n)
                for e, n in totals.items()],
        months=[ElementMonth(month=m, element=e, count=n) for m, e, n in months])


def contact_summary(session: Session, principal: Principal, referral_id: uuid.UUID) -> ContactSummaryRead:
    """Counts and dates of the contact, for the referrer (and the provider) — while the person's consent still
    covers the provider; evaluated now, in SQL. Without it the referrer gets 403 (audited)."""
    action = "contact_summary.read"
    referral = load(session, principal, referral_id, action)
    if not policy.may_read(principal, referral):
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="role_not_allowed")
        raise Forbidden("Your role does not allow reading this referral.")
    live = session.scalar(select(Referral.id).where(col(Referral.id) == referral.id, policy.provider_may_see()))
    if live is None:
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="consent_not_live")
        raise Forbidden("The person's consent no longer covers the contact with the provider.")
    held = col(ContactLogEntry.outcome) == ContactOutcome.held
    attempt = col(ContactLogEntry.outcome).in_([str(a) for a in ATTEMPTS])
    calls, attempts, last_call, last_attempt = session.execute(
        select(func.count(case((held, 1))), func.count(case((attempt, 1))),
               func.max(case((held, col(ContactLogEntry.contacted_at)))),
               func.max(case((attempt, col(ContactLogEntry.contacted_at)))))
        .where(col(ContactLogEntry.referral_id) == referral.id)).one()
    open_topics = session.scalar(select(func.count()).select_from(ParkedTopic).where(and_(
        col(ParkedTopic.referral_id) == referral.id, col(ParkedTopic.state) != TopicState.resolved))) or 0
    agreement = session.scalar(select(ContactAgreement).where(col(ContactAgreement.referral_id) == referral.id))
    newest = session.scalar(select(func.max(ContactLogEntry.contacted_at))
                            .where(col(ContactLogEntry.referral_id) == referral.id))
    record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id)
    return ContactSummaryRead(
        referral_id=referral.id, calls=calls, attempts=attempts,
        missed_in_a_row=rhythm.missed_before(session, referral.id, newest) if newest else 0,
        last_contact_at=last_call, last_attempt_at=last_attempt,
        next_contact_at=agreement.next_contact_at if agreement else None, open_parked_topics=open_topics,
        agreement_closed=bool(agreement and agreement.closed_at), ending=agreement.ending if agreement else None)
