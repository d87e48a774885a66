"""GraphQL for webhook endpoints, their deliveries and the organisation's event feed (org_admin)."""

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.errors import Problem, attempt, or_none, parse
from schema.pagination import Connection, page_args
from service.events import EventType as EventTypeEnum
from service.webhooks import service
from service.webhooks.dto import DeliveryRead, EndpointCreate, EndpointRead, EndpointUpdate, SecretRotate

WebhookEventType = strawberry.enum(EventTypeEnum, name="WebhookEventType")


@strawberry.type(description="A webhook endpoint of the caller's organisation (the secret is never shown here).")
class WebhookEndpoint:
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_until: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_read(cls, e: EndpointRead) -> "WebhookEndpoint":
        return cls(id=e.id, url=e.url, description=e.description, event_types=e.event_types, enabled=e.enabled,
                   disabled_reason=e.disabled_reason, failing_since=e.failing_since,
                   previous_secret_until=e.previous_secret_until, created_at=e.created_at, updated_at=e.updated_at,
                   version=e.version)


@strawberry.type(description="An endpoint with its signing secret: returned once, by create and rotate.")
class WebhookEndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str


@strawberry.type
class WebhookDelivery:
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_latency_ms: int | None
    last_outcome: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_read(cls, d: DeliveryRead) -> "WebhookDelivery":
        return cls(id=d.id, event_id=d.event_id, event_type=d.event_type, subject=d.subject, status=d.status,
                   attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_status_code=d.last_status_code,
                   last_latency_ms=d.last_latency_ms, last_outcome=d.last_outcome, created_at=d.created_at,
                   finished_at=d.finished_at)


@strawberry.type(description="An event told to the organisation; `payload` is the webhook body (ids only).")
class WebhookEvent:
    id: uuid.UUID
    type: str
    occurred_at: datetime
    payload: JSON


@strawberry.input
class WebhookEndpointCreateInput:
    url: str
    event_types: list[WebhookEventType]  # type: ignore[valid-type]
    description: str | None = strawberry.UNSET


@strawberry.input
class WebhookEndpointUpdateInput:
    url: str | None = strawberry.UNSET
    event_types: list[WebhookEventType] | None = strawberry.UNSET  # type: ignore[valid-type]
    description: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET


WithSecretResult = Annotated[WebhookEndpointWithSecret | Problem, strawberry.union("WebhookEndpointWithSecretResult")]
EndpointResult = Annotated[WebhookEndpoint | Problem, strawberry.union("WebhookEndpointResult")]
DeliveryResult = Annotated[WebhookDelivery | Problem, strawberry.union("WebhookDeliveryResult")]


@strawberry.type(description="The deleted endpoint's id.")
class WebhookEndpointDeleted:
    id: uuid.UUID


DeletedResult = Annotated[WebhookEndpointDeleted | Problem, strawberry.union("WebhookEndpointDeletedResult")]


@strawberry.type
class Query:
    @strawberry.field(description="The organisation's webhook endpoints (org_admin).")
    def webhook_endpoints(self, info: Info, first: int | None = None,
                          after: str | None = None) -> Connection[WebhookEndpoint]:
        items, cursor = service.list_endpoints(info.context.session, info.context.require_principal(),
                                               page_args(first, after))
        return Connection(items=[WebhookEndpoint.from_read(e) for e in items], next_cursor=cursor)

    @strawberry.field
    def webhook_endpoint(self, info: Info, id: uuid.UUID) -> WebhookEndpoint | None:
        principal = info.context.require_principal()
        return or_none(lambda: WebhookEndpoint.from_read(service.get(info.context.session, principal, id)))

    @strawberry.field(description="Deliveries to one endpoint, in event order.")
    def webhook_deliveries(self, info: Info, endpoint_id: uuid.UUID, first: int | None = None,
                           after: str | None = None) -> Connection[WebhookDelivery]:
        items, cursor = service.list_deliveries(info.context.session, info.context.require_principal(), endpoint_id,
                                                page_args(first, after))
        return Connection(items=[WebhookDelivery.from_read(d) for d in items], next_cursor=cursor)

    @strawberry.field(description="The organisation's event feed, oldest first.")
    def webhook_events(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[WebhookEvent]:
        items, cursor = service.list_events(info.context.session, info.context.require_principal(),
                                            page_args(first, after))
        return Connection(items=[WebhookEvent(id=e.id, type=e.type, occurred_at=e.occurred_at, payload=e.payload)
                                 for e in items], next_cursor=cursor)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register an endpoint; the secret is returned only here.")
    def create_webhook_endpoint(self, info: Info, input: WebhookEndpointCreateInput) -> WithSecretResult:
        def run() -> WebhookEndpointWithSecret:
            created = service.create(info.context.session, info.context.require_principal(),
                                     parse(EndpointCreate, input))
            return WebhookEndpointWithSecret(endpoint=WebhookEndpoint.from_read(created), secret=created.secret)
        return attempt(info, run)

    @strawberry.mutation
    def update_webhook_endpoint(self, info: Info, id: uuid.UUID, input: WebhookEndpointUpdateInput) -> EndpointResult:
        def run() -> WebhookEndpoint:
            return WebhookEndpoint.from_read(service.update(info.context.session, info.context.require_principal(),
                                                            id, parse(EndpointUpdate, input)))
        return attempt(info, run)

    @strawberry.mutation
    def delete_webhook_endpoint(self, info: Info, id: uuid.UUID) -> DeletedResult:
        def run() -> WebhookEndpointDeleted:
            service.delete(info.context.session, info.context.require_principal(), id)
            return WebhookEndpointDeleted(id=id)
        return attempt(info, run)

    @strawberry.mutation(description="A new secret (returned once); the old one signs beside it for overlapHours.")
    def rotate_webhook_secret(self, info: Info, id: uuid.UUID, overlap_hours: float = 24) -> WithSecretResult:
        def run() -> WebhookEndpointWithSecret:
            session, principal = info.context.session, info.context.require_principal()
            rotated = service.rotate_secret(session, principal, id, SecretRotate(overlap_hours=overlap_hours))
            return WebhookEndpointWithSecret(endpoint=WebhookEndpoint.from_read(service.get(session, principal, id)),
                                             secret=rotated.secret)
        return attempt(info, run)

    @strawberry.mutation
    def redeliver_webhook(self, info: Info, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryResult:
        def run() -> WebhookDelivery:
            return WebhookDelivery.from_read(service.redeliver(info.context.session, info.context.require_principal(),
                                                               endpoint_id, delivery_id))
        return attempt(info, run)
