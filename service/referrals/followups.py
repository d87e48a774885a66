"""Follow-up that measures what works (Recommendation 5): a started referral schedules T-ILS follow-ups
(3, 6 and 12 months by default, `TVAERS_FOLLOW_UP_MONTHS`); the referring organisation's due list shows
them; a measurement (full, or the short phone version on the same scale) can be recorded at any of them by
either party, with an active `outcome_followup` consent. Goals agreed at referral, and whether reached.

Scheduling reacts to the `referral.started` event (subscribed in `service/wiring.py`), in the same transaction.
"""

import calendar
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, Forbidden, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.settings import get_settings
from service.core.types import utcnow
from service.events.models import OutboxEvent
from service.events.types import EventType
from service.persons.models import ConsentPurpose, LonelinessMeasurement, MeasurementContext, Person
from service.persons.policy import active_consent
from service.referrals import policy
from service.referrals.guards import PURPOSE, load
from service.referrals.models import FollowUp, Referral, ReferralGoal, ReferralStatus
from service.referrals.rhythm import LOCAL
from service.referrals.rhythm_dto import MAX_GOALS, FollowUpMeasurementRecord, FollowUpRead, GoalCreate, GoalRead

GOALS_OPEN = (ReferralStatus.sent, ReferralStatus.accepted, ReferralStatus.started)
GOALS_ASSESSED = (ReferralStatus.completed, ReferralStatus.ended_early)


def months_later(at: datetime, months: int) -> datetime:
    """The same local day and time `months` later (the month's last day when it is shorter)."""
    local = at.astimezone(LOCAL)
    year, month = divmod(local.month - 1 + months, 12)
    year, month = local.year + year, month + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(at.tzinfo)


def schedule(session: Session, referral: Referral) -> list[FollowUp]:
    """The follow-ups of a referral that has just started (idempotent: none twice)."""
    assert referral.started_at is not None
    have = set(session.scalars(select(FollowUp.months).where(col(FollowUp.referral_id) == referral.id)))
    rows = [FollowUp(referral_id=referral.id, person_id=referral.person_id,
                     referring_organisation_id=referral.referring_organisation_id, months=m,
                     due_at=months_later(referral.started_at, m))
            for m in sorted(set(get_settings().follow_up_months)) if m not in have]
    session.add_all(rows)
    session.flush()
    return rows


def on_events(session: Session, rows: list[OutboxEvent]) -> None:
    """Bus handler: `referral.started` schedules the referral's follow-ups."""
    started = {r.payload["data"]["referral_id"] for r in rows if r.type == EventType.referral_started}
    for referral_id in sorted(started):
        referral = session.get(Referral, uuid.UUID(referral_id))
        if referral is not None and referral.started_at is not None:
            schedule(session, referral)


# --- reads -------------------------------------------------------------------------------------------

def _read(f: FollowUp, m: LonelinessMeasurement | None, now: datetime, show_total: bool) -> FollowUpRead:
    return FollowUpRead(id=f.id, referral_id=f.referral_id, person_id=f.person_id, months=f.months, due_at=f.due_at,
                        overdue=f.measurement_id is None and f.due_at < now, measurement_id=f.measurement_id,
                        tils_total=m.total if m is not None and show_total else None,
                        recorded_at=m.created_at if m is not None else None)


def _readable(session: Session, principal: Principal, referral_id: uuid.UUID, action: str) -> Referral:
    referral = load(session, principal, referral_id, action)
    if not policy.may_read(principal, referral):
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="role_not_allowed")
        raise Forbidden("Your role does not allow reading this referral.")
    return referral


def list_follow_ups(session: Session, principal: Principal, referral_id: uuid.UUID,
                    params: PageParams) -> tuple[list[FollowUpRead], str | None]:
    """The referral's follow-up points, by month. The T-ILS total is shown to the referring organisation only."""
    referral = _readable(session, principal, referral_id, "follow_up.list")
    stmt = select(FollowUp, LonelinessMeasurement).outerjoin(
        LonelinessMeasurement, col(LonelinessMeasurement.id) == col(FollowUp.measurement_id)).where(
        col(FollowUp.referral_id) == referral.id)
    rows, cursor = keyset_page(session, stmt, [FollowUp.months, FollowUp.id], params, plain=True,
                               key=lambda row: [row[0].months, row[0].id])
    record(session, principal, "follow_up.list", purpose=PURPOSE, subject_type="referral", subject_id=referral.id)
    referrer = referral.referring_organisation_id == principal.organisation_id
    now = utcnow()
    return [_read(f, m, now, referrer) for f, m in rows], cursor


def due_follow_ups(session: Session, principal: Principal, params: PageParams,
                   now: datetime | None = None) -> tuple[list[FollowUpRead], str | None]:
    """The referring organisation's follow-ups due now or earlier and not yet recorded, soonest first."""
    if not policy.can_send(principal):
        record(session, principal, "follow_up.due", purpose=PURPOSE, subject_type="referral", outcome="denied",
               reason="role_not_allowed")
        raise Forbidden("Your role does not allow following up referrals.")
    at = now or utcnow()
    stmt = select(FollowUp).where(col(FollowUp.referring_organisation_id) == principal.organisation_id,
                                  col(FollowUp.measurement_id).is_(None), col(FollowUp.due_at) <= at)
    rows, cursor = keyset_page(session, stmt, [col(FollowUp.due_at), col(FollowUp.id)], params)
    record(session, principal, "follow_up.due", purpose=PURPOSE, subject_type="referral",
           criterion={"ids": [str(f.referral_id) for f in rows]}, person_ids=[f.person_id for f in rows])
    return [_read(f, None, at, True) for f in rows], cursor


# --- recording -----------------------------------------------------------------------------------------

def record_measurement(session: Session, principal: Principal, referral_id: uuid.UUID,
                       data: FollowUpMeasurementRecord) -> FollowUpRead:
    """Record the T-ILS answer of one follow-up point (once), as a `follow_up` measurement of the person."""
    action = "follow_up.record"
    referral = _readable(session, principal, referral_id, action)
    f = session.scalar(select(FollowUp).where(col(FollowUp.id) == data.follow_up_id,
                                              col(FollowUp.referral_id) == referral.id).with_for_update())
    if f is None:
        raise Unprocessable("Not a follow-up point of this referral.", errors=[
            {"field": "follow_up_id", "message": "not a follow-up of this referral", "code": "unknown_follow_up"}])
    if f.measurement_id is not None:
        raise Conflict("This follow-up has already been recorded.", current_status="recorded")
    if not session.scalar(select(active_consent(ConsentPurpose.outcome_followup, person_id=referral.person_id))):
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="consent_missing")
        raise Unprocessable(
            "Missing consent: a follow-up measurement needs an active outcome_followup consent of the person.",
            errors=[{"field": "follow_up_id", "message": "missing consent: outcome_followup",
                     "code": "consent_missing"}], missing_consent=ConsentPurpose.outcome_followup.value)
    person = session.scalar(select(Person).where(col(Person.id) == referral.person_id).with_for_update())
    assert person is not None  # foreign key
    measured_at = data.measured_at or utcnow()
    total = data.item1 + data.item2 + data.item3
    intake = session.scalar(select(LonelinessMeasurement.total).where(
        col(LonelinessMeasurement.person_id) == person.id,
        col(LonelinessMeasurement.context) == MeasurementContext.intake,
        col(LonelinessMeasurement.measured_at) <= measured_at).order_by(col(LonelinessMeasurement.measured_at).desc())
        .limit(1))
    m = LonelinessMeasurement(person_id=person.id, item1=data.item1, item2=data.item2, item3=data.item3, total=total,
                              measured_at=measured_at, context=MeasurementContext.follow_up, form=str(data.form),
                              referral_id=referral.id, tils_change=None if intake is None else total - intake,
                              recorded_by=principal.id)
    session.add(m)
    session.flush()
    f.measurement_id = m.id
    session.add(f)
    if person.loneliness_latest_at is None or m.measured_at >= person.loneliness_latest_at:
        person.loneliness_latest_total, person.loneliness_latest_at = m.total, m.measured_at
    person.version += 1
    person.updated_at = utcnow()
    session.add(person)
    session.flush()
    record(session, principal, action, purpose=PURPOSE, subject_type="person", subject_id=person.id,
           criterion={"measurement_id": str(m.id), "follow_up_months": f.months, "form": m.form,
                      "referral_id": str(referral.id)})
    return _read(f, m, utcnow(), referral.referring_organisation_id == principal.organisation_id)


# --- goals ---------------------------------------------------------------------------------------------

def goal_read(g: ReferralGoal) -> GoalRead:
    return GoalRead.model_validate(g, from_attributes=True)


def list_goals(session: Session, principal: Principal, referral_id: uuid.UUID,
               params: PageParams) -> tuple[list[GoalRead], str | None]:
    """The goals agreed with the person, in the order they were agreed."""
    referral = _readable(session, principal, referral_id, "referral_goal.list")
    rows, cursor = keyset_page(session, select(ReferralGoal).where(col(ReferralGoal.referral_id) == referral.id),
                               [ReferralGoal.created_at, ReferralGoal.id], params)
    record(session, principal, "referral_goal.list", purpose=PURPOSE, subject_type="referral", subject_id=referral.id)
    return [goal_read(g) for g in rows], cursor


def _writable(session: Session, principal: Principal, referral_id: uuid.UUID, action: str,
              statuses: tuple[ReferralStatus, ...]) -> Referral:
    referral = _readable(session, principal, referral_id, action)
    referral = load(session, principal, referral.id, action, for_update=True)
    if referral.status not in statuses:
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="wrong_status")
        raise Conflict("Goals are agreed while the referral is open and assessed once it has ended.",
                       current_status=referral.status)
    return referral


def add_goal(session: Session, principal: Principal, referral_id: uuid.UUID, data: GoalCreate) -> GoalRead:
    action = "referral_goal.add"
    referral = _writable(session, principal, referral_id, action, GOALS_OPEN)
    have = len(list(session.scalars(select(ReferralGoal.id).where(col(ReferralGoal.referral_id) == referral.id))))
    if have >= MAX_GOALS:
        raise Unprocessable("Too many goals.", errors=[
            {"field": "text", "message": f"at most {MAX_GOALS} goals per referral", "code": "too_many"}])
    return write_goals(session, principal, referral, [data])[0]


def write_goals(session: Session, principal: Principal, referral: Referral, goals: list[GoalCreate],
                action: str = "referral_goal.add") -> list[GoalRead]:
    """Write goals of a referral the caller may change (checked by the caller), each audited."""
    rows = [ReferralGoal(referral_id=referral.id, text=g.text, category=str(g.category) if g.category else None,
                         created_by=principal.id) for g in goals]
    session.add_all(rows)
    session.flush()
    for goal in rows:
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               criterion={"goal_id": str(goal.id), "category": goal.category})
    return [goal_read(g) for g in rows]


def assess_goals(session: Session, principal: Principal, referral_id: uuid.UUID,
                 reached: dict[uuid.UUID, bool]) -> list[GoalRead]:
    """At completion (or an early end): whether each goal was reached. Unknown ids: 422, nothing written."""
    action = "referral_goal.assess"
    referral = _writable(session, principal, referral_id, action, GOALS_ASSESSED)
    goals = {g.id: g for g in session.scalars(select(ReferralGoal).where(col(ReferralGoal.referral_id) == referral.id))}
    if any(i not in goals for i in reached):
        raise Unprocessable("Some goals are not this referral's.", errors=[
            {"field": "goals", "message": "not a goal of this referral", "code": "unknown_goal"}])
    now = utcnow()
    for goal_id, value in reached.items():
        g: Any = goals[goal_id]
        g.reached, g.assessed_at, g.assessed_by = value, now, principal.id
        session.add(g)
    session.flush()
    record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"assessed": len(reached)})
    return [goal_read(g) for g in sorted(goals.values(), key=lambda g: (g.created_at, g.id))]
