"""The webhook verbs (org_admin of the endpoint's organisation). REST and GraphQL both call these; nothing here
commits. Secrets are returned only by `create` and `rotate_secret`."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, NotFound, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.events.models import OutboxEvent
from service.webhooks import policy, secrets
from service.webhooks.dto import (
    AttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
    EventRead,
    SecretRotate,
    SecretRotated,
)
from service.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.webhooks.sender import new_secret
from service.webhooks.targets import BlockedTarget, check_url, resolve

PURPOSE = "integration"


def _check_target(url: str) -> None:
    """Refuse a target the worker would refuse (the rule is named, the value never echoed)."""
    try:
        _, host, port = check_url(url)
        resolve(host, port)
    except BlockedTarget as exc:
        raise Unprocessable("The webhook URL is not an allowed target.",
                            errors=[{"field": "url", "message": str(exc), "code": "target_not_allowed"}]) from None


def endpoint_read(e: WebhookEndpoint) -> EndpointRead:
    return EndpointRead(id=e.id, organisation_id=e.organisation_id, url=e.url, description=e.description,
                        event_types=list(e.event_types), enabled=e.enabled, disabled_reason=e.disabled_reason,
                        failing_since=e.failing_since,
                        previous_secret_until=e.previous_until if e.previous_secret_encrypted else None,
                        created_at=e.created_at, updated_at=e.updated_at, version=e.version)


def _load(session: Session, principal: Principal, endpoint_id: uuid.UUID, lock: bool = False) -> WebhookEndpoint:
    policy.ensure_can_manage(principal)
    stmt = select(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id, policy.own_endpoints(principal))
    endpoint = session.scalar(stmt.with_for_update() if lock else stmt)
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def _audit(session: Session, principal: Principal, action: str, endpoint_id: uuid.UUID,
           criterion: dict[str, Any] | None = None) -> None:
    record(session, principal, action, purpose=PURPOSE, subject_type="webhook_endpoint", subject_id=endpoint_id,
           criterion=criterion)


def list_endpoints(session: Session, principal: Principal, params: PageParams) -> tuple[list[EndpointRead], str | None]:
    policy.ensure_can_manage(principal)
    rows, cursor = keyset_page(session, select(WebhookEndpoint).where(policy.own_endpoints(principal)),
                               [col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)], params)
    return [endpoint_read(e) for e in rows], cursor


def get(session: Session, principal: Principal, endpoint_id: uuid.UUID) -> EndpointRead:
    return endpoint_read(_load(session, principal, endpoint_id))


def create(session: Session, principal: Principal, data: EndpointCreate) -> EndpointCreated:
    policy.ensure_can_manage(principal)
    _check_target(data.url)
    secret, endpoint_id = new_secret(), uuid.uuid4()
    token = secrets.seal(endpoint_id, secret)  # only the ciphertext is stored; the secret is shown this once
    endpoint = WebhookEndpoint(id=endpoint_id, organisation_id=principal.organisation_id, url=data.url,
                               description=data.description, event_types=sorted({str(t) for t in data.event_types}),
                               secret_encrypted=token, secret_key_id=secrets.key_id_of(token), created_by=principal.id)
    session.add(endpoint)
    session.flush()
    _audit(session, principal, "webhook_endpoint.create", endpoint.id, {"event_types": endpoint.event_types})
    return EndpointCreated(**endpoint_read(endpoint).model_dump(), secret=secret)


def update(session: Session, principal: Principal, endpoint_id: uuid.UUID, data: EndpointUpdate) -> EndpointRead:
    endpoint = _load(session, principal, endpoint_id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    if "url" in changes and changes["url"] is not None:
        _check_target(changes["url"])
        endpoint.url = changes["url"]
    if changes.get("event_types") is not None:
        endpoint.event_types = sorted({str(t) for t in changes["event_types"]})
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("enabled") is not None:
        endpoint.enabled = changes["enabled"]
        endpoint.disabled_reason = None if endpoint.enabled else "paused"
        endpoint.failing_since = None
    endpoint.version += 1
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    session.flush()
    _audit(session, principal, "webhook_endpoint.update", endpoint.id, {"fields": sorted(changes)})
    return endpoint_read(endpoint)


def delete(session: Session, principal: Principal, endpoint_id: uuid.UUID) -> None:
    endpoint = _load(session, principal, endpoint_id, lock=True)
    session.delete(endpoint)
    session.flush()
    _audit(session, principal, "webhook_endpoint.delete", endpoint_id)


def rotate_secret(session: Session, principal: Principal, endpoint_id: uuid.UUID, data: SecretRotate) -> SecretRotated:
    """A new secret signs from now; the current one keeps signing beside it for the overlap."""
    endpoint = _load(session, principal, endpoint_id, lock=True)
    now, secret = utcnow(), new_secret()
    overlap = data.overlap_hours > 0
    endpoint.previous_until = now + timedelta(hours=data.overlap_hours) if overlap else None
    secrets.store(endpoint, secret, secrets.current(endpoint) if overlap else None)
    endpoint.version += 1
    endpoint.updated_at = now
    session.add(endpoint)
    session.flush()
    _audit(session, principal, "webhook_endpoint.rotate_secret", endpoint.id, {"overlap_hours": data.overlap_hours})
    return SecretRotated(endpoint_id=endpoint.id, secret=secret, previous_secret_until=endpoint.previous_until)


def _delivery_reads(session: Session, rows: list[WebhookDelivery]) -> list[DeliveryRead]:
    events = {e.seq: e for e in session.scalars(select(OutboxEvent).where(
        col(OutboxEvent.seq).in_([d.event_seq for d in rows])))} if rows else {}
    return [DeliveryRead(id=d.id, endpoint_id=d.endpoint_id, event_id=events[d.event_seq].id,
                         event_type=events[d.event_seq].type, subject=d.subject, status=d.status,
                         attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_status_code=d.last_status_code,
                         last_latency_ms=d.last_latency_ms, last_outcome=d.last_outcome, created_at=d.created_at,
                         finished_at=d.finished_at) for d in rows]


def list_deliveries(session: Session, principal: Principal, endpoint_id: uuid.UUID, params: PageParams,
                    status: str | None = None) -> tuple[list[DeliveryRead], str | None]:
    endpoint = _load(session, principal, endpoint_id)
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)
    if status is not None:
        stmt = stmt.where(col(WebhookDelivery.status) == status)
    rows, cursor = keyset_page(session, stmt, [col(WebhookDelivery.event_seq), col(WebhookDelivery.id)], params)
    return _delivery_reads(session, rows), cursor


def list_attempts(session: Session, principal: Principal, endpoint_id: uuid.UUID,
                  params: PageParams) -> tuple[list[AttemptRead], str | None]:
    """The delivery log: every attempt with its status code and latency (response bodies are not kept)."""
    endpoint = _load(session, principal, endpoint_id)
    rows, cursor = keyset_page(session, select(WebhookAttempt).where(col(WebhookAttempt.endpoint_id) == endpoint.id),
                               [col(WebhookAttempt.id)], params)
    return [AttemptRead.model_validate(a) for a in rows], cursor


def redeliver(session: Session, principal: Principal, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryRead:
    """Send a delivery again (a new 24 h retry window); the receiver sees the same webhook-id."""
    endpoint = _load(session, principal, endpoint_id)
    delivery = session.scalar(select(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id,
                                                            col(WebhookDelivery.endpoint_id) == endpoint.id)
                              .with_for_update())
    if delivery is None:
        raise NotFound("Delivery not found.")
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first.", code="endpoint_disabled")
    if delivery.status == DeliveryStatus.in_flight:
        raise Conflict("The delivery is being attempted right now.", current_status=delivery.status)
    now = utcnow()
    delivery.status, delivery.next_attempt_at, delivery.window_started_at = DeliveryStatus.pending, now, now
    delivery.finished_at = None
    session.add(delivery)
    session.flush()
    _audit(session, principal, "webhook_delivery.redeliver", endpoint.id, {"delivery_id": str(delivery.id)})
    return _delivery_reads(session, [delivery])[0]


def list_events(session: Session, principal: Principal, params: PageParams) -> tuple[list[EventRead], str | None]:
    """The organisation's event feed: every event it was told about (also when no endpoint took it)."""
    policy.ensure_can_manage(principal)
    rows, cursor = keyset_page(session, select(OutboxEvent).where(policy.own_events(principal)),
                               [col(OutboxEvent.seq)], params)
    return [EventRead(id=e.id, type=e.type, occurred_at=e.occurred_at, payload=e.payload) for e in rows], cursor
