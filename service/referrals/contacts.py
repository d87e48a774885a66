"""Contact agreements and the contact log: the phone-friend practice of the Red Cross guide (DOMAIN.md).

Make agreements you can keep (channel, cadence, weekday and time); at the end of a contact park new topics
and agree the next contact and what to talk about. The newest log entry sets the agreement's
`next_contact_at` (explicitly, or by the cadence), so the due list is one indexed SQL query. Only the
provider organisation (permission `contacts:manage`) works with these, and only while the consent lets it
see the referral.
"""

import calendar
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.settings import get_settings
from service.core.types import utcnow
from service.events import ContactAlert, EventType, emit
from service.referrals import policy
from service.referrals.dto import (
    ContactAgreementRead,
    ContactAgreementSet,
    ContactLogCreate,
    ContactLogRead,
    DueContact,
)
from service.referrals.guards import PURPOSE, load
from service.referrals.models import Cadence, ContactAgreement, ContactLogEntry, Referral, ReferralStatus
from service.referrals.summary import shared_persons

LOCAL = ZoneInfo("Europe/Copenhagen")
ACTIVE = (ReferralStatus.accepted, ReferralStatus.started)
_DAYS = {Cadence.weekly: 7, Cadence.every_other_week: 14}
MAX_PARKED_TOPICS = 20  # as ContactLogCreate.parked_topics accepts


def _add_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_slot(cadence: str, weekday: int | None, time_of_day: time | None, after: datetime,
              first: bool = False) -> datetime | None:
    """The next contact by the agreement: one cadence interval after `after` (for a new agreement with a
    weekday: the next such weekday), moved forward to the agreed weekday, at the agreed local time."""
    if cadence == Cadence.by_agreement:
        return None
    local = after.astimezone(LOCAL)
    if first and weekday is not None:
        day = local.date()
    elif cadence == Cadence.monthly:
        day = _add_month(local.date())
    else:
        day = local.date() + timedelta(days=_DAYS[Cadence(cadence)])
    if weekday is not None:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    slot = datetime.combine(day, time_of_day or local.time().replace(microsecond=0), LOCAL)
    if slot <= after:
        slot += timedelta(days=7)
    return slot.astimezone(after.tzinfo)


# --- access ------------------------------------------------------------------------------------------

def _load_for_contacts(session: Session, principal: Principal, referral_id: uuid.UUID, action: str,
                       for_update: bool = False) -> Referral:
    referral = load(session, principal, referral_id, action, for_update=for_update)
    if not policy.may_manage_contacts(principal, referral):
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="side_not_allowed")
        raise Forbidden("Only the provider organisation's coordinators or admins keep the contact log.")
    return referral


def _require_active(session: Session, principal: Principal, referral: Referral, action: str) -> None:
    if referral.status not in ACTIVE:
        record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
               outcome="denied", reason="referral_not_active")
        raise Conflict("Contacts are agreed and logged for accepted or started referrals only.",
                       current_status=referral.status)


# --- read models -------------------------------------------------------------------------------------

def _latest_entries(session: Session, referral_ids: list[uuid.UUID]) -> dict[uuid.UUID, ContactLogEntry]:
    """The newest log entry of each referral (one statement)."""
    if not referral_ids:
        return {}
    newest = (select(ContactLogEntry.referral_id, func.max(ContactLogEntry.contacted_at).label("at"))
              .where(col(ContactLogEntry.referral_id).in_(referral_ids))
              .group_by(col(ContactLogEntry.referral_id)).subquery())
    rows = session.scalars(select(ContactLogEntry).join(
        newest, (col(ContactLogEntry.referral_id) == newest.c.referral_id)
        & (col(ContactLogEntry.contacted_at) == newest.c.at)).order_by(col(ContactLogEntry.created_at)))
    return {e.referral_id: e for e in rows}


def _agreement_read(a: ContactAgreement, last: ContactLogEntry | None) -> ContactAgreementRead:
    return ContactAgreementRead(
        id=a.id, referral_id=a.referral_id, channel=a.channel, cadence=a.cadence, weekday=a.weekday,
        time_of_day=a.time_of_day, note=a.note, next_contact_at=a.next_contact_at,
        next_contact_agenda=last.next_contact_agenda if last else None,
        parked_topics=list(last.parked_topics or []) if last else [],
        last_contact_at=last.contacted_at if last else None, updated_by=a.updated_by, updated_at=a.updated_at)


def log_read(e: ContactLogEntry) -> ContactLogRead:
    return ContactLogRead(id=e.id, referral_id=e.referral_id, contacted_at=e.contacted_at,
                          duration_minutes=e.duration_minutes, channel=e.channel, elements=list(e.elements or []),
                          parked_topics=list(e.parked_topics or []), next_contact_at=e.next_contact_at,
                          next_contact_agenda=e.next_contact_agenda, note=e.note, recorded_by=e.recorded_by,
                          created_at=e.created_at)


# --- agreements --------------------------------------------------------------------------------------

def get_agreement(session: Session, principal: Principal, referral_id: uuid.UUID) -> ContactAgreementRead:
    referral = _load_for_contacts(session, principal, referral_id, "contact_agreement.read")
    agreement = session.scalar(select(ContactAgreement).where(col(ContactAgreement.referral_id) == referral.id))
    if agreement is None:
        raise NotFound("No contact agreement yet.")
    record(session, principal, "contact_agreement.read", purpose=PURPOSE, subject_type="referral",
           subject_id=referral.id)
    return _agreement_read(agreement, _latest_entries(session, [referral.id]).get(referral.id))


def set_agreement(session: Session, principal: Principal, referral_id: uuid.UUID,
                  data: ContactAgreementSet) -> tuple[ContactAgreementRead, bool]:
    """Create or replace the agreement; returns it and whether it was created."""
    action = "contact_agreement.set"
    referral = _load_for_contacts(session, principal, referral_id, action, for_update=True)
    _require_active(session, principal, referral, action)
    agreement = session.scalar(select(ContactAgreement).where(col(ContactAgreement.referral_id) == referral.id))
    created = agreement is None
    now = utcnow()
    next_at = data.next_contact_at or next_slot(data.cadence, data.weekday, data.time_of_day, now, first=True)
    values: dict[str, Any] = {"channel": str(data.channel), "cadence": str(data.cadence), "weekday": data.weekday,
                              "time_of_day": data.time_of_day, "note": data.note, "next_contact_at": next_at,
                              "updated_by": principal.id, "updated_at": now}
    if agreement is None:
        agreement = ContactAgreement(referral_id=referral.id,
                                     provider_organisation_id=referral.provider_organisation_id, **values)
    else:
        for name, value in values.items():
            setattr(agreement, name, value)
    session.add(agreement)
    session.flush()
    record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"channel": agreement.channel, "cadence": agreement.cadence, "created": created})
    return _agreement_read(agreement, _latest_entries(session, [referral.id]).get(referral.id)), created


# --- contact log -------------------------------------------------------------------------------------

def list_contacts(session: Session, principal: Principal, referral_id: uuid.UUID,
                  params: PageParams) -> tuple[list[ContactLogRead], str | None]:
    referral = _load_for_contacts(session, principal, referral_id, "contact_log.list")
    stmt = select(ContactLogEntry).where(col(ContactLogEntry.referral_id) == referral.id)
    rows, cursor = keyset_page(session, stmt, [ContactLogEntry.contacted_at, ContactLogEntry.id],  # type: ignore[list-item]
                               params)
    record(session, principal, "contact_log.list", purpose=PURPOSE, subject_type="referral", subject_id=referral.id)
    return [log_read(e) for e in rows], cursor


def is_attempt(data: ContactLogCreate) -> bool:
    """No contact was made (a missed call): no time spent and no element addressed."""
    return data.duration_minutes == 0 and not data.elements


def _carried_forward(session: Session, referral_id: uuid.UUID, data: ContactLogCreate, topics: list[str],
                     agenda: str | None) -> tuple[list[str], str | None]:
    """A missed call talks about nothing, so what was parked and planned for the next contact still stands:
    the newest earlier entry's topics (plus any new ones) and its agenda (unless a new one is given). The
    newest entry is what the agreement and the due list show, so without this an attempt would erase them."""
    before = session.scalar(select(ContactLogEntry).where(col(ContactLogEntry.referral_id) == referral_id,
                                                          col(ContactLogEntry.contacted_at) <= data.contacted_at)
                            .order_by(col(ContactLogEntry.contacted_at).desc(), col(ContactLogEntry.created_at).desc())
                            .limit(1))
    if before is None:
        return topics, agenda
    carried = list(dict.fromkeys([*(before.parked_topics or []), *topics]))
    if len(carried) > MAX_PARKED_TOPICS:
        raise Unprocessable("With the topics still parked from the last contact there would be too many.", errors=[
            {"field": "parked_topics", "message": f"at most {MAX_PARKED_TOPICS} parked topics in all",
             "code": "too_long"}])
    return carried, agenda or before.next_contact_agenda


def log_contact(session: Session, principal: Principal, referral_id: uuid.UUID,
                data: ContactLogCreate) -> ContactLogRead:
    action = "contact_log.write"
    referral = _load_for_contacts(session, principal, referral_id, action, for_update=True)
    _require_active(session, principal, referral, action)
    topics, agenda = list(data.parked_topics), data.next_contact_agenda
    if is_attempt(data):
        topics, agenda = _carried_forward(session, referral.id, data, topics, agenda)
    entry = ContactLogEntry(referral_id=referral.id, contacted_at=data.contacted_at,
                            duration_minutes=data.duration_minutes, channel=str(data.channel),
                            elements=[str(e) for e in data.elements], parked_topics=topics,
                            next_contact_at=data.next_contact_at, next_contact_agenda=agenda,
                            note=data.note, recorded_by=principal.id)
    newest = session.scalar(select(func.max(ContactLogEntry.contacted_at))
                            .where(col(ContactLogEntry.referral_id) == referral.id))
    session.add(entry)
    session.flush()
    if newest is None or data.contacted_at >= newest:
        agreement = session.scalar(select(ContactAgreement).where(col(ContactAgreement.referral_id) == referral.id))
        if agreement is None:
            # Always end with a clear agreement for the next contact: the first log entry makes one.
            agreement = ContactAgreement(referral_id=referral.id,
                                         provider_organisation_id=referral.provider_organisation_id,
                                         channel=str(data.channel), cadence=Cadence.by_agreement,
                                         updated_by=principal.id)
        agreement.next_contact_at = data.next_contact_at or next_slot(
            agreement.cadence, agreement.weekday, agreement.time_of_day, data.contacted_at)
        agreement.updated_at = utcnow()
        session.add(agreement)
        session.flush()
    record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"entry_id": str(entry.id), "elements": entry.elements, "channel": entry.channel})
    threshold = get_settings().contact_missed_alert_after
    if is_attempt(data) and _missed_in_a_row(session, referral.id, entry.id) == threshold:
        emit(session, ContactAlert(type=EventType.contact_missed_alert, referral_id=referral.id,
                                   organisation_ids=(referral.provider_organisation_id,)))
    return log_read(entry)


def _missed_in_a_row(session: Session, referral_id: uuid.UUID, entry_id: uuid.UUID) -> int:
    """How many of the newest entries, ending with `entry_id`, are missed calls (0 if it is not the newest):
    the alert fires once, when the run reaches the threshold."""
    limit = get_settings().contact_missed_alert_after + 1
    newest = list(session.scalars(select(ContactLogEntry).where(col(ContactLogEntry.referral_id) == referral_id)
                                  .order_by(col(ContactLogEntry.contacted_at).desc(),
                                            col(ContactLogEntry.created_at).desc()).limit(limit)))
    if not newest or newest[0].id != entry_id:
        return 0
    run = 0
    for e in newest:
        if e.duration_minutes != 0 or e.elements:
            break
        run += 1
    return run


def _start_of_local_day(now: datetime) -> datetime:
    local = now.astimezone(LOCAL)
    return datetime.combine(local.date(), time(0), LOCAL).astimezone(now.tzinfo)


def due_contacts(session: Session, principal: Principal, params: PageParams,
                 now: datetime | None = None) -> tuple[list[DueContact], str | None]:
    """The provider organisation's agreed contacts that are due (now or earlier), soonest first."""
    if not policy.can_work_contacts(principal):
        record(session, principal, "contact.due", purpose=PURPOSE, subject_type="referral", outcome="denied",
               reason="role_not_allowed")
        raise Forbidden("Your role does not allow working with contacts.")
    at = now or utcnow()
    stmt = (select(ContactAgreement).join(Referral, col(Referral.id) == col(ContactAgreement.referral_id))
            .where(policy.due_contacts_visible(principal), col(Referral.status).in_(ACTIVE),
                   col(ContactAgreement.next_contact_at).is_not(None), col(ContactAgreement.next_contact_at) <= at))
    rows, cursor = keyset_page(session, stmt, [ContactAgreement.next_contact_at, ContactAgreement.id],  # type: ignore[list-item]
                               params)
    referral_ids = [a.referral_id for a in rows]
    referrals = {r.id: r for r in session.scalars(select(Referral).where(col(Referral.id).in_(referral_ids)))} \
        if referral_ids else {}
    latest = _latest_entries(session, referral_ids)
    persons = shared_persons(session, principal, list(referrals.values()))
    day_start = _start_of_local_day(at)
    items = []
    for a in rows:
        referral, last = referrals[a.referral_id], latest.get(a.referral_id)
        assert a.next_contact_at is not None  # filtered in SQL
        items.append(DueContact(
            referral_id=referral.id, offer_id=referral.offer_id, referral_status=referral.status, channel=a.channel,
            cadence=a.cadence, next_contact_at=a.next_contact_at, overdue=a.next_contact_at < day_start,
            next_contact_agenda=last.next_contact_agenda if last else None,
            parked_topics=list(last.parked_topics or []) if last else [],
            last_contact_at=last.contacted_at if last else None, person=persons.get(referral.id)))
    record(session, principal, "contact.due", purpose=PURPOSE, subject_type="referral",
           criterion={"ids": [str(i) for i in referral_ids]}, person_ids=[r.person_id for r in referrals.values()])
    return items, cursor
