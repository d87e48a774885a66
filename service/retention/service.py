"""Retention: what is past its period is deleted or reduced, in batches, idempotently, audited.

- closed_persons (TVAERS_RETENTION_CLOSED_PERSON_DAYS, 1095): erased persons lose their consent records
  (purposes, recipients, documents); the pseudonymous statistical row stays.
- ended_referrals (TVAERS_RETENTION_ENDED_REFERRAL_DAYS, 730): closed referrals lose the message, transition
  notes and the contact agreement; status and outcome stay for the statistics.
- contact_logs (TVAERS_RETENTION_CONTACT_LOG_DAYS, 365): contact-log entries are deleted.
- idempotency (TVAERS_RETENTION_IDEMPOTENCY_HOURS, 24): stored responses to retries are deleted.
- audit_events (TVAERS_RETENTION_AUDIT_DAYS, 183): the oldest sealed events are deleted; the signed anchor
  keeps the rest of the chain verifiable.
- webhook_delivered / webhook_dead (TVAERS_RETENTION_WEBHOOK_DELIVERED_DAYS 30, _DEAD_DAYS 90): finished
  deliveries are deleted with their attempt log, counted from their last attempt; open ones are never touched.
- outbox_events (TVAERS_RETENTION_OUTBOX_DAYS, 90): events no delivery refers to any more are deleted
  (after the two above in the same run, so an event goes once its deliveries have).

Each category is a pair of SQL functions: `due` (a count) and `batch` (act on at most N rows, return how many).
A batch is its own transaction, so an interrupted run loses nothing and the next run carries on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit import chain
from service.audit.models import AuditEvent
from service.audit.service import record
from service.core.idempotency import IdempotencyRecord
from service.core.progress import in_batches
from service.core.settings import get_settings
from service.core.types import utcnow
from service.persons.models import Consent, ConsentDocument, ConsentPurposeRow, ConsentRecipient, Person
from service.referrals.models import (
    ContactAgreement,
    ContactLogEntry,
    ParkedTopic,
    Referral,
    ReferralGoal,
    ReferralTransition,
)
from service.referrals.workflow import OPEN_STATUSES
from service.webhooks import retention as webhooks
from service.webhooks.models import DeliveryStatus

PURPOSE = "retention"


@dataclass(frozen=True)
class Category:
    name: str
    what: str
    cutoff: Callable[[datetime], datetime]
    due: Callable[[Session, datetime], int]
    batch: Callable[[Session, datetime, int], int]


def _days(setting: str) -> Callable[[datetime], datetime]:
    return lambda now: now - timedelta(days=getattr(get_settings(), setting))


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


# --- closed persons ----------------------------------------------------------------------------------

def _closed_persons(cutoff: datetime) -> Any:
    return select(Person.id).where(col(Person.status) == "erased", col(Person.erased_at) < cutoff,
                                   exists().where(col(Consent.person_id) == col(Person.id)))


def _closed_persons_batch(session: Session, cutoff: datetime, size: int) -> int:
    ids = list(session.scalars(_closed_persons(cutoff).order_by(col(Person.id)).limit(size)))
    if ids:
        consents = select(Consent.id).where(col(Consent.person_id).in_(ids)).scalar_subquery()
        for table in (ConsentPurposeRow, ConsentRecipient, ConsentDocument):
            session.execute(delete(table).where(col(table.consent_id).in_(consents))  # type: ignore[attr-defined]
                            .execution_options(synchronize_session=False))
        session.execute(update(Consent).where(col(Consent.person_id).in_(ids)).values(replaces_consent_id=None)
                        .execution_options(synchronize_session=False))
        session.execute(delete(Consent).where(col(Consent.person_id).in_(ids))
                        .execution_options(synchronize_session=False))
    return len(ids)


# --- ended referrals ---------------------------------------------------------------------------------

def _ended_referrals(cutoff: datetime) -> Any:
    return select(Referral.id).where(
        col(Referral.status).not_in(OPEN_STATUSES), col(Referral.closed_at) < cutoff,
        or_(col(Referral.message).is_not(None),
            exists().where(col(ReferralTransition.referral_id) == col(Referral.id),
                           col(ReferralTransition.note).is_not(None)),
            exists().where(col(ContactAgreement.referral_id) == col(Referral.id)),
            exists().where(col(ParkedTopic.referral_id) == col(Referral.id)),
            exists().where(col(ReferralGoal.referral_id) == col(Referral.id), col(ReferralGoal.text).is_not(None))))


def _ended_referrals_batch(session: Session, cutoff: datetime, size: int) -> int:
    ids = list(session.scalars(_ended_referrals(cutoff).order_by(col(Referral.id)).limit(size)))
    if ids:
        session.execute(update(Referral).where(col(Referral.id).in_(ids)).values(message=None)
                        .execution_options(synchronize_session=False))
        session.execute(update(ReferralTransition).where(col(ReferralTransition.referral_id).in_(ids))
                        .values(note=None).execution_options(synchronize_session=False))
        session.execute(delete(ContactAgreement).where(col(ContactAgreement.referral_id).in_(ids))
                        .execution_options(synchronize_session=False))
        session.execute(delete(ParkedTopic).where(col(ParkedTopic.referral_id).in_(ids))
                        .execution_options(synchronize_session=False))
        session.execute(update(ReferralGoal).where(col(ReferralGoal.referral_id).in_(ids)).values(text=None)
                        .execution_options(synchronize_session=False))
    return len(ids)


# --- contact logs, idempotency records ---------------------------------------------------------------

def _delete_older(model: Any, column: Any) -> tuple[Callable[[Session, datetime], int],
                                                    Callable[[Session, datetime, int], int]]:
    def due(session: Session, cutoff: datetime) -> int:
        return _count(session, select(model.id).where(column < cutoff))

    def batch(session: Session, cutoff: datetime, size: int) -> int:
        ids = list(session.scalars(select(model.id).where(column < cutoff).order_by(model.id).limit(size)))
        if ids:
            session.execute(delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False))
        return len(ids)

    return due, batch


_contact_due, _contact_batch = _delete_older(ContactLogEntry, col(ContactLogEntry.contacted_at))
_idempotency_due, _idempotency_batch = _delete_older(IdempotencyRecord, col(IdempotencyRecord.created_at))


# --- audit events ------------------------------------------------------------------------------------

def _audit_due(session: Session, cutoff: datetime) -> int:
    head = session.get(chain.AuditChainHead, 1)
    if head is None:
        return 0
    upto = chain.deletable_until(session, head, cutoff)
    return _count(session, select(AuditEvent.id).where(col(AuditEvent.seal_seq) > head.anchor_seq,
                                                       col(AuditEvent.seal_seq) <= upto))


def _audit_batch(session: Session, cutoff: datetime, size: int) -> int:
    return chain.delete_prefix(session, cutoff, size)


CATEGORIES = [
    Category("closed_persons", "consent records of persons erased", _days("retention_closed_person_days"),
             lambda s, c: _count(s, _closed_persons(c)), _closed_persons_batch),
    Category("ended_referrals", "free texts and contact agreements of referrals closed",
             _days("retention_ended_referral_days"), lambda s, c: _count(s, _ended_referrals(c)),
             _ended_referrals_batch),
    Category("contact_logs", "contact-log entries", _days("retention_contact_log_days"), _contact_due,
             _contact_batch),
    Category("idempotency", "stored idempotent responses",
             lambda now: now - timedelta(hours=get_settings().retention_idempotency_hours), _idempotency_due,
             _idempotency_batch),
    Category("audit_events", "sealed audit events", _days("retention_audit_days"), _audit_due, _audit_batch),
    # Deliveries before events: an event is deleted only once no delivery refers to it.
    Category("webhook_delivered", "succeeded webhook deliveries finished", _days("retention_webhook_delivered_days"),
             *webhooks.finished(DeliveryStatus.succeeded)),
    Category("webhook_dead", "dead-lettered webhook deliveries finished", _days("retention_webhook_dead_days"),
             *webhooks.finished(DeliveryStatus.dead)),
    Category("outbox_events", "outbox events without deliveries from", _days("retention_outbox_days"),
             webhooks.events_due, webhooks.events_batch),
]


@dataclass
class Outcome:
    category: str
    what: str
    cutoff: datetime
    due: int
    done: int


Progress = Callable[[str, int], Callable[[int], None]]


def run(open_session: Callable[[], Session], *, dry_run: bool = False, batch_size: int = 500,
        now: datetime | None = None, progress: Progress | None = None) -> list[Outcome]:
    """Apply every category (or, with dry_run, only count). Each category's result is audited."""
    at = now or utcnow()
    with open_session() as session:
        chain.seal(session)  # only sealed events can be deleted, and the run's own events follow the seal
        session.commit()
    outcomes = []
    for category in CATEGORIES:
        cutoff = category.cutoff(at)
        with open_session() as session:
            due = category.due(session, cutoff)
        done = 0
        if not dry_run and due:
            counted: list[int] = []

            def step(session: Session, category: Category = category, cutoff: datetime = cutoff,
                     counted: list[int] = counted) -> int:
                counted.append(category.batch(session, cutoff, batch_size))
                return counted[-1]

            in_batches(open_session, step, batch_size, progress(category.name, due) if progress else lambda n: None)
            done = sum(counted)
        with open_session() as session:
            record(session, None, "retention.run", purpose=PURPOSE, actor_type="system", criterion={
                "category": category.name, "cutoff": cutoff.isoformat(), "due": due, "done": done,
                "dry_run": dry_run})
            session.commit()
        outcomes.append(Outcome(category.name, category.what, cutoff, due, done))
    return outcomes
