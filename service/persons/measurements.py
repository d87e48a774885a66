"""The T-ILS loneliness measurement verbs: record and list. Nothing here commits."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons.dto import MeasurementCreate, MeasurementRead, TilsAnswers
from service.persons.guards import PURPOSE_CASEWORK, load, require_manage, require_registered, touch
from service.persons.models import LonelinessMeasurement, MeasurementContext, Person
from service.persons.reads import measurement_read


def add_measurement(session: Session, person: Person, answers: TilsAnswers, *, context: MeasurementContext | str,
                    recorded_by: uuid.UUID, referral_id: uuid.UUID | None = None) -> LonelinessMeasurement:
    """THE measurement write, for every caller (a caseworker's record, a referral's follow-up): the row, the
    person's latest score and version. A follow-up also records its change against the latest intake before it.
    The caller has locked the person, checked access and consent, and audits."""
    measured_at = answers.measured_at or utcnow()
    total = answers.item1 + answers.item2 + answers.item3
    tils_change = None
    if context == MeasurementContext.follow_up:
        intake = session.scalar(select(LonelinessMeasurement.total)
                                .where(col(LonelinessMeasurement.person_id) == person.id,
                                       col(LonelinessMeasurement.context) == MeasurementContext.intake,
                                       col(LonelinessMeasurement.measured_at) <= measured_at)
                                .order_by(col(LonelinessMeasurement.measured_at).desc()).limit(1))
        tils_change = None if intake is None else total - intake
    m = LonelinessMeasurement(person_id=person.id, item1=answers.item1, item2=answers.item2, item3=answers.item3,
                              total=total, measured_at=measured_at, tils_change=tils_change, context=context,
                              referral_id=referral_id, recorded_by=recorded_by)
    session.add(m)
    if person.loneliness_latest_at is None or m.measured_at >= person.loneliness_latest_at:
        person.loneliness_latest_total, person.loneliness_latest_at = m.total, m.measured_at
    touch(person)
    session.add(person)
    session.flush()
    return m


def record_measurement(session: Session, principal: Principal, person_id: uuid.UUID,
                       data: MeasurementCreate) -> MeasurementRead:
    require_manage(session, principal, "measurement.record")
    person = load(session, principal, person_id, "measurement.record", for_update=True)
    require_registered(session, person)
    m = add_measurement(session, person, data, context=data.context, recorded_by=principal.id)
    record(session, principal, "measurement.record", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id, criterion={"measurement_id": str(m.id), "context": str(data.context)})
    return measurement_read(m)


def list_measurements(session: Session, principal: Principal, person_id: uuid.UUID,
                      page: PageParams) -> tuple[list[MeasurementRead], str | None]:
    require_manage(session, principal, "measurement.list")
    person = load(session, principal, person_id, "measurement.list")
    rows, cursor = keyset_page(session, select(LonelinessMeasurement)
                               .where(col(LonelinessMeasurement.person_id) == person.id),
                               [col(LonelinessMeasurement.measured_at), col(LonelinessMeasurement.id)], page)
    record(session, principal, "measurement.list", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id)
    return [measurement_read(m) for m in rows], cursor
