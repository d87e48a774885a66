"""From the outbox to the receiver: fan-out (in the emitting transaction), claims, attempts, retries.

Claims are safe with several workers and API processes: a worker takes due deliveries with
`FOR UPDATE SKIP LOCKED` (on SQLite the single writer serialises claims) and leases them (`in_flight` until
`lease_until`) in a short transaction; the HTTP call runs outside any transaction; the result is written only
if the lease is still the worker's (`status = in_flight AND attempts = n`), so a delivery whose lease expired
and was taken over is never recorded twice. Per endpoint and subject, a delivery is claimed only when no
earlier one is still open, so a receiver sees one referral's events in the order they happened.
"""

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from service.audit.service import record
from service.core.settings import get_settings
from service.core.types import utcnow
from service.events import EndpointDisabled, EventType, emit
from service.events.models import OutboxEvent
from service.webhooks import secrets
from service.webhooks.models import OPEN, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.webhooks.sender import Result, post

log = logging.getLogger("tvaers.webhooks")
D = DeliveryStatus
MAX_DELAY = timedelta(hours=6)
SessionFactory = Callable[[], Session]


def fan_out(session: Session, events: list[OutboxEvent]) -> None:
    """An event handler (subscribed by `service.wiring.wire`): one delivery per subscribed, enabled endpoint."""
    organisations = {e.organisation_id for e in events}
    endpoints = list(session.scalars(select(WebhookEndpoint).where(
        col(WebhookEndpoint.organisation_id).in_(organisations), col(WebhookEndpoint.enabled))))
    now = utcnow()
    for event in events:
        for endpoint in endpoints:
            if endpoint.organisation_id == event.organisation_id and event.type in endpoint.event_types:
                assert event.seq is not None  # flushed by emit
                session.add(WebhookDelivery(endpoint_id=endpoint.id, event_seq=event.seq, subject=event.subject,
                                            next_attempt_at=now, window_started_at=now, created_at=now))
    session.flush()


def backlog(session: Session) -> int:
    """Deliveries not yet succeeded or dead-lettered (the /metrics gauge)."""
    return int(session.scalar(select(func.count()).select_from(WebhookDelivery)
                              .where(col(WebhookDelivery.status).in_(OPEN))) or 0)


def lease_seconds() -> float:
    return get_settings().webhook_timeout_seconds * 3 + 30


def claim(session_factory: SessionFactory, limit: int = 20, now: datetime | None = None) -> list[tuple[uuid.UUID, int]]:
    """Lease up to `limit` due deliveries; (id, attempt number) of each. Commits."""
    at = now or utcnow()
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(earlier.endpoint_id == WebhookDelivery.endpoint_id,
                             earlier.subject == WebhookDelivery.subject, earlier.event_seq < WebhookDelivery.event_seq,
                             earlier.status.in_(OPEN))  # type: ignore[attr-defined]
    due = or_(and_(col(WebhookDelivery.status) == D.pending, col(WebhookDelivery.next_attempt_at) <= at),
              and_(col(WebhookDelivery.status) == D.in_flight, col(WebhookDelivery.lease_until) < at))
    stmt = (select(WebhookDelivery).join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(due, col(WebhookEndpoint.enabled), ~blocked).order_by(col(WebhookDelivery.event_seq)).limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True))  # type: ignore[arg-type]
    with session_factory() as session:
        rows = list(session.scalars(stmt))
        for d in rows:
            d.status, d.attempts = D.in_flight, d.attempts + 1
            d.lease_until = at + timedelta(seconds=lease_seconds())
        session.commit()
        return [(d.id, d.attempts) for d in rows]


@dataclass(frozen=True)
class _Job:
    url: str
    secrets: list[str]
    payload: dict[str, Any]
    message_id: str


def _job(session: Session, delivery_id: uuid.UUID, at: datetime) -> _Job | None:
    row = session.execute(
        select(WebhookEndpoint, OutboxEvent).join(WebhookDelivery, col(WebhookDelivery.endpoint_id) == col(
            WebhookEndpoint.id)).join(OutboxEvent, col(OutboxEvent.seq) == col(WebhookDelivery.event_seq))
        .where(col(WebhookDelivery.id) == delivery_id)).one_or_none()
    if row is None:
        return None
    endpoint, event = row
    return _Job(endpoint.url, secrets.signing(endpoint, at), dict(event.payload), str(event.id))


def backoff(attempts: int) -> timedelta:
    """Exponential, capped, with jitter (half to full delay) so failing receivers are not hit in lockstep."""
    base = get_settings().webhook_retry_base_seconds * 2 ** min(attempts - 1, 30)
    delay = min(timedelta(seconds=base), MAX_DELAY)
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


def attempt(session_factory: SessionFactory, delivery_id: uuid.UUID, number: int) -> Result | None:
    """Send one leased delivery and record the outcome (None if the delivery vanished)."""
    at = utcnow()
    with session_factory() as session:
        job = _job(session, delivery_id, at)
    if job is None:
        return None
    result = post(job.url, job.payload, job.message_id, job.secrets, at, get_settings().webhook_timeout_seconds)
    with session_factory() as session:
        record_result(session, delivery_id, number, result)
        session.commit()
    log.info("webhook delivery %s attempt %d: %s", delivery_id, number, result.outcome, extra={
        "event": "webhook_delivery", "delivery_id": str(delivery_id), "attempt": number,
        "status": result.status_code, "duration_ms": result.latency_ms, "outcome": result.outcome})
    return result


def record_result(session: Session, delivery_id: uuid.UUID, number: int, result: Result) -> None:
    now = utcnow()
    d = session.scalar(select(WebhookDelivery).where(
        col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status) == D.in_flight,
        col(WebhookDelivery.attempts) == number).with_for_update())
    if d is None:
        return  # the lease ran out and another worker took the delivery over
    session.add(WebhookAttempt(delivery_id=d.id, endpoint_id=d.endpoint_id, attempt=number,
                               status_code=result.status_code, latency_ms=result.latency_ms, outcome=result.outcome,
                               manual=d.window_started_at > d.created_at, attempted_at=now))
    d.last_status_code, d.last_latency_ms, d.last_outcome, d.lease_until = (
        result.status_code, result.latency_ms, result.outcome, None)
    endpoint = session.scalar(select(WebhookEndpoint).where(col(WebhookEndpoint.id) == d.endpoint_id)
                              .with_for_update())
    assert endpoint is not None  # foreign key
    settings = get_settings()
    if result.ok:
        d.status, d.finished_at = D.succeeded, now
        endpoint.failing_since = None
    else:
        if now - d.window_started_at >= timedelta(hours=settings.webhook_retry_hours):
            d.status, d.finished_at = D.dead, now
        else:
            d.status, d.next_attempt_at = D.pending, now + backoff(d.attempts)
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        elif endpoint.enabled and now - endpoint.failing_since >= timedelta(hours=settings.webhook_disable_after_hours):
            session.flush()
            disable(session, endpoint, now)
    session.flush()


def disable(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Stop delivering to an endpoint that failed for a day; dead-letter what is open; tell the organisation
    (its event feed, and its other endpoints)."""
    endpoint.enabled, endpoint.disabled_reason, endpoint.updated_at = False, "failing", now
    endpoint.version += 1
    session.add(endpoint)
    session.execute(update(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id,
                                                  col(WebhookDelivery.status).in_(OPEN))
                    .values(status=D.dead, finished_at=now, lease_until=None)
                    .execution_options(synchronize_session="fetch"))
    session.flush()
    emit(session, EndpointDisabled(type=EventType.webhook_endpoint_disabled,
                                   organisation_ids=(endpoint.organisation_id,), endpoint_id=endpoint.id))
    record(session, None, "webhook_endpoint.disable", purpose="operations", subject_type="webhook_endpoint",
           subject_id=endpoint.id, criterion={"reason": "failing"}, organisation_id=endpoint.organisation_id,
           actor_type="system")


def deliver_due(session_factory: SessionFactory, limit: int = 20) -> int:
    """One round: claim, then send each claimed delivery. Returns how many were attempted."""
    claimed = claim(session_factory, limit)
    for delivery_id, number in claimed:
        try:
            attempt(session_factory, delivery_id, number)
        except Exception:  # noqa: BLE001 - one broken delivery must not stop the round; its lease expires
            log.exception("webhook delivery %s failed unexpectedly", delivery_id)
    return len(claimed)
