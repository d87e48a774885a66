"""The T-ILS loneliness measurement verbs: record and list. Nothing here commits."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons.dto import MeasurementCreate, MeasurementRead
from service.persons.guards import PURPOSE_CASEWORK, load, require_manage, require_registered, touch
from service.persons.models import LonelinessMeasurement
from service.persons.reads import measurement_read


def record_measurement(session: Session, principal: Principal, person_id: uuid.UUID,
                       data: MeasurementCreate) -> MeasurementRead:
    require_manage(session, principal, "measurement.record")
    person = load(session, principal, person_id, "measurement.record", for_update=True)
    require_registered(session, person)
    m = LonelinessMeasurement(person_id=person.id, item1=data.item1, item2=data.item2, item3=data.item3,
                              total=data.item1 + data.item2 + data.item3, measured_at=data.measured_at or utcnow(),
                              context=data.context, recorded_by=principal.id)
    session.add(m)
    if person.loneliness_latest_at is None or m.measured_at >= person.loneliness_latest_at:
        person.loneliness_latest_total, person.loneliness_latest_at = m.total, m.measured_at
    touch(person)
    session.add(person)
    session.flush()
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
