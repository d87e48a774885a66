"""Scheduled jobs: daily at a configured Copenhagen time, each slot run by exactly one worker.

A worker inserts `job_run(job, scheduled_for)` for the newest slot that has come; the unique constraint lets
one worker win and the others skip, so two workers never run the same slot. A worker that was down runs the
newest missed slot once when it comes back (every job is idempotent). Each run is audited.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.settings import get_settings
from service.core.types import utcnow
from service.webhooks.models import JobRun

log = logging.getLogger("tvaers.worker")
LOCAL = ZoneInfo("Europe/Copenhagen")
SessionFactory = Callable[[], Session]


def latest_slot(hhmm: str, now: datetime) -> datetime:
    """The newest daily HH:MM (Copenhagen) at or before `now`, in UTC."""
    hours, minutes = (int(p) for p in hhmm.split(":"))
    local = now.astimezone(LOCAL)
    slot = datetime.combine(local.date(), time(hours, minutes), LOCAL)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), time(hours, minutes), LOCAL)
    return slot.astimezone(now.tzinfo)


def _consents(factory: SessionFactory, now: datetime, _since: datetime) -> int:
    from service.persons.consents import expire_consents

    with factory() as session:
        count = expire_consents(session, now)
        session.commit()
    return count


def _referrals(factory: SessionFactory, now: datetime, _since: datetime) -> int:
    from service.referrals.transitions import expire_overdue

    with factory() as session:
        count = expire_overdue(session, now)
        session.commit()
    return count


def _retention(factory: SessionFactory, now: datetime, _since: datetime) -> int:
    from service.retention import service as retention

    return sum(o.done for o in retention.run(factory, now=now))


def _contacts_due(factory: SessionFactory, now: datetime, since: datetime) -> int:
    """`contact.due` for every agreed contact that came due since the previous run (to the provider)."""
    from service.events import ContactAlert, EventType, emit
    from service.referrals.contacts import ACTIVE
    from service.referrals.models import ContactAgreement, Referral
    from service.referrals.policy import provider_may_see

    with factory() as session:
        rows = session.execute(select(Referral.id, Referral.provider_organisation_id)
                               .join(ContactAgreement, col(ContactAgreement.referral_id) == col(Referral.id))
                               .where(col(Referral.status).in_(ACTIVE), provider_may_see(),
                                      col(ContactAgreement.next_contact_at) > since,
                                      col(ContactAgreement.next_contact_at) <= now)
                               .order_by(col(ContactAgreement.next_contact_at), col(Referral.id))).all()
        for referral_id, provider_id in rows:
            emit(session, ContactAlert(type=EventType.contact_due, organisation_ids=(provider_id,),
                                       referral_id=referral_id))
        session.commit()
    return len(rows)


@dataclass(frozen=True)
class Job:
    name: str
    setting: str  # the Settings field with its HH:MM
    run: Callable[[SessionFactory, datetime, datetime], int]


JOBS = (Job("consents_expire", "job_consents_expire_at", _consents),
        Job("referrals_expire", "job_referrals_expire_at", _referrals),
        Job("contact_due_alerts", "job_contact_due_at", _contacts_due),
        Job("retention_run", "job_retention_at", _retention))


def _claim_slot(factory: SessionFactory, job: Job, slot: datetime, now: datetime) -> tuple[JobRun, datetime] | None:
    """The run row if this worker won the slot, and when the previous successful run started."""
    with factory() as session:
        since = session.scalar(select(func.max(JobRun.started_at)).where(
            col(JobRun.job) == job.name, col(JobRun.outcome) == "succeeded"))
        run = JobRun(job=job.name, scheduled_for=slot, started_at=now)
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
    return run, since or now - timedelta(days=1)


def run_due(factory: SessionFactory, now: datetime | None = None) -> list[JobRun]:
    """Run every job whose newest slot has not run yet; returns the runs this worker made."""
    at = now or utcnow()
    settings = get_settings()
    made = []
    for job in JOBS:
        claimed = _claim_slot(factory, job, latest_slot(getattr(settings, job.setting), at), at)
        if claimed is None:
            continue
        run, since = claimed
        try:
            run.count, run.outcome = job.run(factory, at, since), "succeeded"
        except Exception:  # noqa: BLE001 - a failed job is recorded and audited; the next slot tries again
            log.exception("scheduled job %s failed", job.name)
            run.outcome = "failed"
        run.finished_at = utcnow()
        with factory() as session:
            session.add(session.merge(run))
            record(session, None, "job.run", purpose="operations", subject_type="job_run", subject_id=run.id,
                   criterion={"job": job.name, "scheduled_for": run.scheduled_for.isoformat(),
                              "outcome": run.outcome, "count": run.count}, actor_type="system")
            session.commit()
        made.append(run)
    return made
