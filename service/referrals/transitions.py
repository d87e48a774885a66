"""Referral transitions: the one state table in `workflow.TRANSITIONS` applied by `_apply`, seats, expiry,
and the consent reaction. Nothing here commits.

Every transition appends a `ReferralTransition` (the event log) and is audited. Acceptance takes a place on the
offer with one conditional UPDATE (no overbooking, whatever the concurrency); withdrawal, completion and early
end give it back. `on_consent_ended` (wired in `service.wiring`) withdraws open referrals when the
`referral_sharing` consent (or the registration) ends, so the provider loses access at once.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, Forbidden, Unprocessable
from service.core.idempotency import forget_responses_about
from service.core.principal import Principal
from service.core.settings import get_settings
from service.core.types import utcnow
from service.events import ReferralChanged, emit
from service.offers.models import Offer
from service.offers.search import has_capacity_clause
from service.persons.measurements import add_measurement
from service.persons.models import ConsentPurpose, MeasurementContext, Person
from service.persons.policy import active_consent, provider_consent_live
from service.referrals import policy
from service.referrals.dto import FollowUpMeasurement, ReferralDetail, ReferralRead, TransitionRequest
from service.referrals.guards import PURPOSE, denied, field_error, load
from service.referrals.models import (
    ContactAgreement,
    ContactLogEntry,
    ReasonCode,
    Referral,
    ReferralGoal,
    ReferralStatus,
    ReferralTransition,
)
from service.referrals.reads import brief, detail
from service.referrals.rhythm import forget_topics
from service.referrals.workflow import OPEN_STATUSES, TRANSITIONS, Action, Transition, allowed_actions

S = ReferralStatus


class NoCapacity(Conflict):
    slug = "no-capacity"


def _take_seat(session: Session, offer_id: uuid.UUID) -> bool:
    """One place on the offer, atomically: the conditional UPDATE either takes it or changes nothing."""
    result = session.execute(
        update(Offer).where(col(Offer.id) == offer_id, has_capacity_clause())
        .values(seats_taken=col(Offer.seats_taken) + 1).execution_options(synchronize_session="fetch"))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _release_seat(session: Session, offer_id: uuid.UUID) -> None:
    session.execute(update(Offer).where(col(Offer.id) == offer_id, col(Offer.seats_taken) > 0)
                    .values(seats_taken=col(Offer.seats_taken) - 1).execution_options(synchronize_session="fetch"))


def _apply(session: Session, referral: Referral, t: Transition, actor: Principal | None, *,
           reason: str | None = None, note: str | None = None, outcome: str | None = None) -> ReferralTransition:
    now = utcnow()
    previous = referral.status
    if t.takes_seat:
        offer_status = session.scalar(select(Offer.status).where(col(Offer.id) == referral.offer_id))
        if offer_status != "published":
            sides = policy.sides(actor, referral) if actor else set()
            raise Conflict(f"The offer is {offer_status}; it takes no new participants.", code="offer_not_published",
                           current_status=previous, allowed_actions=allowed_actions(previous, sides))
        if not _take_seat(session, referral.offer_id):
            sides = policy.sides(actor, referral) if actor else set()
            raise NoCapacity("The offer has no free place; the referral stays sent.", code="no_capacity",
                             current_status=previous, allowed_actions=allowed_actions(previous, sides))
        referral.holds_seat = True
        referral.accepted_at = now
    if t.releases_seat and referral.holds_seat:
        _release_seat(session, referral.offer_id)
        referral.holds_seat = False
    if t.target == S.started:
        referral.started_at = now
    if t.target not in OPEN_STATUSES:
        referral.closed_at = now
    if reason is not None:
        referral.reason_code = reason
    if outcome is not None:
        referral.outcome = outcome
    referral.status = t.target
    referral.version += 1
    referral.updated_at = now
    session.add(referral)
    event = ReferralTransition(
        referral_id=referral.id, action=t.action, from_status=previous, to_status=t.target, reason_code=reason,
        note=note, actor_id=actor.id if actor else None, actor_organisation_id=actor.organisation_id if actor else None,
        referring_organisation_id=referral.referring_organisation_id,
        provider_organisation_id=referral.provider_organisation_id, occurred_at=now)
    session.add(event)
    session.flush()
    emit(session, ReferralChanged.of(t.action, referral))
    record(session, actor, "referral.transition", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"action": str(t.action), "from": previous, "to": str(t.target), "reason_code": reason},
           organisation_id=None if actor else referral.referring_organisation_id,
           actor_type="system" if actor is None else None)
    return event


def _record_follow_up(session: Session, principal: Principal, referral: Referral, data: FollowUpMeasurement) -> None:
    if not session.scalar(select(active_consent(ConsentPurpose.outcome_followup, person_id=referral.person_id))):
        raise Unprocessable(
            "Missing consent: a follow-up measurement needs an active outcome_followup consent of the person.",
            errors=field_error("follow_up", "missing consent: outcome_followup", "consent_missing"),
            missing_consent=ConsentPurpose.outcome_followup.value)
    person = session.scalar(select(Person).where(col(Person.id) == referral.person_id).with_for_update())
    assert person is not None  # foreign key
    m = add_measurement(session, person, data, context=MeasurementContext.follow_up, recorded_by=principal.id,
                        referral_id=referral.id)
    record(session, principal, "measurement.record", purpose=PURPOSE, subject_type="person", subject_id=person.id,
           criterion={"measurement_id": str(m.id), "context": MeasurementContext.follow_up,
                      "referral_id": str(referral.id)})


def locked(session: Session, principal: Principal, referral_id: uuid.UUID) -> ReferralRead:
    """The referral the caller's organisation is party to, locked for a transition that follows in this
    transaction (404 otherwise, audited as a denied transition); without the person (FHIR's Task write)."""
    return brief(principal, load(session, principal, referral_id, "referral.transition", for_update=True))


def transition(session: Session, principal: Principal, referral_id: uuid.UUID,
               request: TransitionRequest) -> ReferralDetail:
    """Take `request.action` on the referral: 404 invisible, 403 wrong side or role, 409 illegal now."""
    action = "referral.transition"
    referral = load(session, principal, referral_id, action, for_update=True)
    t = TRANSITIONS[Action(request.action)]
    sides = policy.sides(principal, referral)
    criterion = {"action": str(request.action), "status": referral.status}
    if t.side not in sides:
        denied(session, principal, action, "side_not_allowed", referral.id, criterion)
        raise Forbidden(f"Only the {t.side.value} organisation (with the right role) may {t.action.value} "
                        "this referral.", allowed_actions=allowed_actions(referral.status, sides),
                        current_status=referral.status)
    if referral.status not in t.source:
        allowed = allowed_actions(referral.status, sides)
        denied(session, principal, action, "illegal_transition", referral.id, criterion)
        raise Conflict(f"The action {request.action.value} is not allowed on a {referral.status} referral; "
                       f"allowed: {', '.join(allowed) or 'none'}.", current_status=referral.status,
                       allowed_actions=allowed)
    try:
        _apply(session, referral, t, principal, reason=str(request.reason_code) if request.reason_code else None,
               note=request.note, outcome=str(request.outcome) if request.outcome else None)
    except NoCapacity:
        denied(session, principal, action, "no_capacity", referral.id, criterion)
        raise
    if request.follow_up is not None:
        _record_follow_up(session, principal, referral, request.follow_up)
    return detail(session, principal, referral)


def withdraw_uncovered(session: Session, principal: Principal | None, person_id: uuid.UUID) -> int:
    """Withdraw every open referral of the person that the consents no longer cover (reason
    consent_withdrawn); their places are released. Returns how many."""
    covered = provider_consent_live(col(Referral.person_id), col(Referral.provider_organisation_id))
    rows = list(session.scalars(select(Referral).where(col(Referral.person_id) == person_id,
                                                       col(Referral.status).in_(OPEN_STATUSES), ~covered)
                                .order_by(col(Referral.sent_at), col(Referral.id)).with_for_update(of=Referral)))
    for referral in rows:
        _apply(session, referral, TRANSITIONS[Action.withdraw], principal, reason=ReasonCode.consent_withdrawn)
    return len(rows)


def _scrub_free_text(session: Session, person_id: uuid.UUID) -> None:
    """Once the person is erased, the free texts about them go too (messages, notes, parked topics)."""
    ids = select(Referral.id).where(col(Referral.person_id) == person_id).scalar_subquery()
    session.execute(update(Referral).where(col(Referral.person_id) == person_id).values(message=None)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(ReferralTransition).where(col(ReferralTransition.referral_id).in_(ids)).values(note=None)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(ContactLogEntry).where(col(ContactLogEntry.referral_id).in_(ids))
                    .values(note=None, parked_topics=[], next_contact_agenda=None)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(ContactAgreement).where(col(ContactAgreement.referral_id).in_(ids))
                    .values(note=None, ending_next_step=None).execution_options(synchronize_session="fetch"))
    forget_topics(session, ids)
    session.execute(update(ReferralGoal).where(col(ReferralGoal.referral_id).in_(ids)).values(text=None)
                    .execution_options(synchronize_session="fetch"))


def on_consent_ended(session: Session, principal: Principal | None, person: Person, consent: Any,
                      purposes: frozenset[str], cause: str) -> None:
    """`referral_sharing` (or the registration) ended: open referrals it covered are withdrawn at once."""
    if not purposes & {ConsentPurpose.referral_sharing, ConsentPurpose.registration}:
        return
    withdraw_uncovered(session, principal, person.id)
    # A stored response replayed for an Idempotency-Key would show the provider what it may no longer see.
    forget_responses_about(session, person.id)
    if ConsentPurpose.registration in purposes and not session.scalar(
            select(active_consent(ConsentPurpose.registration, person_id=person.id))):
        _scrub_free_text(session, person.id)


def expire_overdue(session: Session, now: datetime | None = None) -> int:
    """`sent` referrals older than TVAERS_REFERRAL_SLA_DAYS become `expired` (sla_expired); idempotent."""
    at = now or utcnow()
    cutoff = at - timedelta(days=get_settings().referral_sla_days)
    rows = list(session.scalars(select(Referral).where(col(Referral.status) == S.sent, col(Referral.sent_at) <= cutoff)
                                .order_by(col(Referral.sent_at), col(Referral.id)).with_for_update(of=Referral)))
    for referral in rows:
        _apply(session, referral, TRANSITIONS[Action.expire], None, reason=ReasonCode.sla_expired)
    return len(rows)
