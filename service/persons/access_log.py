"""A person's access log (GDPR art. 15(1); CJEU C-579/21): every consultation and change of the person's
data by any organisation — with date and time, organisation, role and purpose — for the controlling
organisation. Events reach a person through `audit_event_person` (written by `record()`), so this is one
indexed query however large the trail. Reading the log is itself audited, and so appears in it.
"""

import csv
import io
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.models import AuditEvent, AuditEventPerson
from service.audit.service import record
from service.core.dto import OutputModel
from service.core.errors import Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.organisations.models import Organisation
from service.persons.guards import PURPOSE_DATA_PROTECTION, load, require_manage

LOCAL = ZoneInfo("Europe/Copenhagen")

# What the data subject reads as a consultation (their data was shown); everything else changed it.
CONSULTATIONS = frozenset({
    "person.read", "person.search", "consent.list", "measurement.list", "referral.read", "referral.list",
    "contact_agreement.read", "contact_log.list", "contact.due", "person.access_log", "person.export",
    "consent_document.list", "consent_document.download",
})


class AccessLogEntry(OutputModel):
    event_id: int
    occurred_at: datetime
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    actor_type: str
    actor_id: str | None
    actor_role: str | None
    action: str
    access_type: str  # consultation | change | refused
    purpose: str
    outcome: str


CSV_COLUMNS = list(AccessLogEntry.model_fields)


def access_type(event: AuditEvent) -> str:
    if event.outcome != "success":
        return "refused"
    return "consultation" if event.action in CONSULTATIONS else "change"


def period_bounds(period_from: date | None, period_to: date | None) -> tuple[datetime | None, datetime | None]:
    """Inclusive local (Copenhagen) days → a half-open UTC interval."""
    if period_from and period_to and period_to < period_from:
        raise Unprocessable("period_to lies before period_from.", errors=[
            {"field": "period_to", "message": "before period_from", "code": "inverted_period"}])
    start = datetime.combine(period_from, time(0), LOCAL) if period_from else None
    end = datetime.combine(period_to + timedelta(days=1), time(0), LOCAL) if period_to else None
    return start, end


def _entries(session: Session, events: list[AuditEvent]) -> list[AccessLogEntry]:
    org_ids = {e.organisation_id for e in events if e.organisation_id}
    names: dict[uuid.UUID, str] = dict(session.execute(select(Organisation.id, Organisation.name)
                                 .where(col(Organisation.id).in_(org_ids))).all()) if org_ids else {}
    return [AccessLogEntry(
        event_id=e.id or 0, occurred_at=e.occurred_at, organisation_id=e.organisation_id,
        organisation_name=names.get(e.organisation_id) if e.organisation_id else None, actor_type=e.actor_type,
        actor_id=e.actor_id, actor_role=e.actor_role, action=e.action, access_type=access_type(e),
        purpose=e.purpose, outcome=e.outcome) for e in events]


def events_of(person_id: uuid.UUID, start: datetime | None = None,
              end: datetime | None = None) -> Select[AuditEvent]:
    stmt = (select(AuditEvent).join(AuditEventPerson, col(AuditEventPerson.event_id) == col(AuditEvent.id))
            .where(col(AuditEventPerson.person_id) == person_id))
    if start is not None:
        stmt = stmt.where(col(AuditEvent.occurred_at) >= start)
    if end is not None:
        stmt = stmt.where(col(AuditEvent.occurred_at) < end)
    return stmt


def all_entries(session: Session, person_id: uuid.UUID) -> list[AccessLogEntry]:
    """The whole log, oldest first (for the subject-access export; not audited here)."""
    return _entries(session, list(session.scalars(events_of(person_id).order_by(col(AuditEvent.id)))))


def access_log(session: Session, principal: Principal, person_id: uuid.UUID, params: PageParams, *,
               period_from: date | None = None, period_to: date | None = None,
               fmt: str = "json") -> tuple[list[AccessLogEntry], str | None]:
    """One page of the person's access log, oldest first, for the organisation that holds the person."""
    require_manage(session, principal, "person.access_log")
    person = load(session, principal, person_id, "person.access_log")
    start, end = period_bounds(period_from, period_to)
    rows, cursor = keyset_page(session, events_of(person.id, start, end), [col(AuditEvent.id)], params)
    entries = _entries(session, rows)
    record(session, principal, "person.access_log", purpose=PURPOSE_DATA_PROTECTION, subject_type="person",
           subject_id=person.id, criterion={"period_from": str(period_from) if period_from else None,
                                            "period_to": str(period_to) if period_to else None,
                                            "format": fmt, "count": len(entries)})
    return entries, cursor


def _cell(value: object) -> str:
    text = "" if value is None else (value.isoformat() if isinstance(value, datetime) else str(value))
    # a spreadsheet must not run an organisation name as a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(entries: list[AccessLogEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([_cell(getattr(entry, name)) for name in CSV_COLUMNS])
    return out.getvalue()
