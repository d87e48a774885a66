"""The due list of the phone-friend practice: who calls whom, and when, in Copenhagen time.

Windows are local calendar days and ISO weeks (Monday–Sunday), so "today" is 23 or 25 hours long on the
days daylight saving changes; every bound is computed in Python and compared in SQL on the indexed
`next_contact_at`. Closed agreements are never due.
"""

from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Forbidden
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.referrals import policy
from service.referrals.contacts import ACTIVE, _latest_entries
from service.referrals.dto import DueContact
from service.referrals.guards import PURPOSE
from service.referrals.models import ContactAgreement, Referral
from service.referrals.summary import shared_persons

LOCAL = ZoneInfo("Europe/Copenhagen")


class DueWindow(StrEnum):
    due = "due"  # due now or earlier
    today = "today"  # due during today's local date (earlier today included, earlier days not)
    this_week = "this_week"  # from today until the end of Sunday
    overdue = "overdue"  # due before today


def local_midnight(day_of: datetime, days: int = 0) -> datetime:
    """Local midnight starting the day of `day_of` (plus `days`), as an aware UTC-comparable time."""
    day = day_of.astimezone(LOCAL).date() + timedelta(days=days)
    return datetime.combine(day, time(0), LOCAL).astimezone(day_of.tzinfo)


def bounds(window: DueWindow, now: datetime) -> tuple[datetime | None, datetime, bool]:
    """(from, to, to_inclusive) of the window at `now`."""
    today = local_midnight(now)
    if window == DueWindow.due:
        return None, now, True
    if window == DueWindow.overdue:
        return None, today, False
    if window == DueWindow.today:
        return today, local_midnight(now, 1), False
    days_left = 7 - now.astimezone(LOCAL).weekday()
    return today, local_midnight(now, days_left), False


def _window_clause(window: DueWindow, now: datetime) -> list[ColumnElement[bool]]:
    start, end, inclusive = bounds(window, now)
    at = col(ContactAgreement.next_contact_at)
    clauses = [at.is_not(None), at <= end if inclusive else at < end]
    if start is not None:
        clauses.append(at >= start)
    return clauses


def due_contacts(session: Session, principal: Principal, params: PageParams, window: DueWindow = DueWindow.due,
                 mine: bool = False, now: datetime | None = None) -> tuple[list[DueContact], str | None]:
    """The provider organisation's agreed contacts in the window, soonest first; `mine`: those the caller is
    the volunteer or the stand-in of."""
    if not policy.can_work_contacts(principal):
        record(session, principal, "contact.due", purpose=PURPOSE, subject_type="referral", outcome="denied",
               reason="role_not_allowed")
        raise Forbidden("Your role does not allow working with contacts.")
    at = now or utcnow()
    # The referral's conditions (the policy's clause) are one scalar subquery per agreement (LIMIT 1), not a
    # join: the planner then walks ix_contact_agreement_provider_next_id in order and stops after the page. As a
    # join it multiplied the selectivities of the two organisation filters, expected a handful of rows, and
    # sorted them all. The outer organisation filter repeats the policy's, for the index.
    referral_ok = (select(1).select_from(Referral)
                   .where(col(Referral.id) == col(ContactAgreement.referral_id),
                          policy.due_contacts_visible(principal), col(Referral.status).in_(ACTIVE))
                   .limit(1).scalar_subquery())
    stmt = (select(ContactAgreement)
            .where(col(ContactAgreement.provider_organisation_id) == principal.organisation_id,
                   col(ContactAgreement.closed_at).is_(None), *_window_clause(window, at),
                   referral_ok.is_not(None)))
    if mine:
        stmt = stmt.where(or_(col(ContactAgreement.volunteer_user_id) == principal.id,
                              col(ContactAgreement.standin_user_id) == principal.id))
    rows, cursor = keyset_page(session, stmt, [ContactAgreement.next_contact_at, ContactAgreement.id],  # type: ignore[list-item]
                               params)
    referral_ids = [a.referral_id for a in rows]
    referrals = {r.id: r for r in session.scalars(select(Referral).where(col(Referral.id).in_(referral_ids)))} \
        if referral_ids else {}
    latest = _latest_entries(session, referral_ids)
    persons = shared_persons(session, principal, list(referrals.values()))
    day_start = local_midnight(at)
    items = []
    for a in rows:
        referral, last = referrals[a.referral_id], latest.get(a.referral_id)
        assert a.next_contact_at is not None  # filtered in SQL
        items.append(DueContact(
            referral_id=referral.id, offer_id=referral.offer_id, referral_status=referral.status, channel=a.channel,
            cadence=a.cadence, next_contact_at=a.next_contact_at, overdue=a.next_contact_at < day_start,
            next_contact_agenda=last.next_contact_agenda if last else None,
            parked_topics=list(last.parked_topics or []) if last else [],
            last_contact_at=last.contacted_at if last else None, volunteer_user_id=a.volunteer_user_id,
            standin_user_id=a.standin_user_id, person=persons.get(referral.id)))
    record(session, principal, "contact.due", purpose=PURPOSE, subject_type="referral",
           criterion={"window": str(window), "mine": mine, "ids": [str(i) for i in referral_ids]},
           person_ids=[r.person_id for r in referrals.values()])
    return items, cursor
