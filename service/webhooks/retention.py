"""Retention of the webhook tables (`tvaers retention run`, categories in service.retention.service).

Finished deliveries (succeeded, or dead-lettered) go with their attempt log once their last attempt is older
than the period; pending and in-flight ones are never touched. Outbox events go once older than their period
and no delivery refers to them any more — a dead letter that is still kept keeps its event (a redelivery
needs it). Each batch deletes at most `size` rows of the category (plus their attempts) and returns how many.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.events.models import OutboxEvent
from service.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery

Due = Callable[[Session, datetime], int]
Batch = Callable[[Session, datetime, int], int]


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def finished(status: DeliveryStatus) -> tuple[Due, Batch]:
    """Deliveries in `status` whose last attempt (`finished_at`) is before the cutoff."""

    def stmt(cutoff: datetime) -> Any:
        return select(WebhookDelivery.id).where(col(WebhookDelivery.status) == status,
                                                col(WebhookDelivery.finished_at) < cutoff)

    def due(session: Session, cutoff: datetime) -> int:
        return _count(session, stmt(cutoff))

    def batch(session: Session, cutoff: datetime, size: int) -> int:
        ids = list(session.scalars(stmt(cutoff).order_by(col(WebhookDelivery.id)).limit(size)))
        if ids:
            # The state is re-checked: a redelivery in between (pending again) keeps the row and its log.
            still = select(WebhookDelivery.id).where(col(WebhookDelivery.id).in_(ids),
                                                     col(WebhookDelivery.status) == status)
            # Attempts explicitly, not by ON DELETE CASCADE: gone whatever the database's FK settings.
            session.execute(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(still.scalar_subquery()))
                            .execution_options(synchronize_session=False))
            session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.id).in_(still.scalar_subquery()))
                            .execution_options(synchronize_session=False))
        return len(ids)

    return due, batch


def _events(cutoff: datetime) -> Any:
    return select(OutboxEvent.seq).where(col(OutboxEvent.occurred_at) < cutoff,
                                         ~exists().where(col(WebhookDelivery.event_seq) == col(OutboxEvent.seq)))


def events_due(session: Session, cutoff: datetime) -> int:
    return _count(session, _events(cutoff))


def events_batch(session: Session, cutoff: datetime, size: int) -> int:
    seqs = list(session.scalars(_events(cutoff).order_by(col(OutboxEvent.seq)).limit(size)))
    if seqs:
        # Re-checked in the delete: a delivery fanned out meanwhile keeps its event.
        session.execute(delete(OutboxEvent).where(col(OutboxEvent.seq).in_(seqs),
                                                  ~exists().where(col(WebhookDelivery.event_seq) ==
                                                                  col(OutboxEvent.seq)))
                        .execution_options(synchronize_session=False))
    return len(seqs)
