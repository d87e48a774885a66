"""GraphQL for webhook endpoints, their deliveries and the organisation's event feed (org_admin)."""

import uuid
from typing import Annotated

import strawberry

from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.pagination import Connection, connection, page_args
from service.webhooks import service
from service.webhooks.dto import DeliveryRead, EndpointCreate, EndpointRead, EndpointUpdate, SecretRotate
from service.webhooks.dto import EventRead as WebhookEventRead


@read_type(EndpointRead, name="WebhookEndpoint", exclude={"organisation_id"},
           descriptions={"previous_secret_until": None},
           description="A webhook endpoint of the caller's organisation (the secret is never shown here).")
class WebhookEndpoint(ReadType[EndpointRead]):
    pass


@strawberry.type(description="An endpoint with its signing secret: returned once, by create and rotate.")
class WebhookEndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str


@read_type(DeliveryRead, name="WebhookDelivery", exclude={"endpoint_id"}, descriptions={"event_id": None})
class WebhookDelivery(ReadType[DeliveryRead]):
    pass


@read_type(WebhookEventRead, name="WebhookEvent", descriptions={"payload": None},
           description="An event told to the organisation; `payload` is the webhook body (ids only).")
class WebhookEvent(ReadType[WebhookEventRead]):
    pass


@input_type(EndpointCreate)
class WebhookEndpointCreateInput:
    pass


@input_type(EndpointUpdate)
class WebhookEndpointUpdateInput:
    pass


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
        return connection(service.list_endpoints(info.context.session, info.context.require_principal(),
                                                 page_args(first, after)))

    @strawberry.field
    @null_if_not_found
    def webhook_endpoint(self, info: Info, id: uuid.UUID) -> WebhookEndpoint | None:
        return WebhookEndpoint.from_read(service.get(info.context.session, info.context.require_principal(), id))

    @strawberry.field(description="Deliveries to one endpoint, in event order.")
    def webhook_deliveries(self, info: Info, endpoint_id: uuid.UUID, first: int | None = None,
                           after: str | None = None) -> Connection[WebhookDelivery]:
        return connection(service.list_deliveries(info.context.session, info.context.require_principal(),
                                                  endpoint_id, page_args(first, after)))

    @strawberry.field(description="The organisation's event feed, oldest first.")
    def webhook_events(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[WebhookEvent]:
        return connection(service.list_events(info.context.session, info.context.require_principal(),
                                              page_args(first, after)))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register an endpoint; the secret is returned only here.")
    @mutation_result
    def create_webhook_endpoint(self, info: Info, input: WebhookEndpointCreateInput) -> WithSecretResult:
        created = service.create(info.context.session, info.context.require_principal(), parse(EndpointCreate, input))
        return WebhookEndpointWithSecret(endpoint=WebhookEndpoint.from_read(created), secret=created.secret)

    @strawberry.mutation
    @mutation_result
    def update_webhook_endpoint(self, info: Info, id: uuid.UUID, input: WebhookEndpointUpdateInput) -> EndpointResult:
        return WebhookEndpoint.from_read(service.update(info.context.session, info.context.require_principal(), id,
                                                        parse(EndpointUpdate, input)))

    @strawberry.mutation
    @mutation_result
    def delete_webhook_endpoint(self, info: Info, id: uuid.UUID) -> DeletedResult:
        service.delete(info.context.session, info.context.require_principal(), id)
        return WebhookEndpointDeleted(id=id)

    @strawberry.mutation(description="A new secret (returned once); the old one signs beside it for overlapHours.")
    @mutation_result
    def rotate_webhook_secret(self, info: Info, id: uuid.UUID, overlap_hours: float = 24) -> WithSecretResult:
        session, principal = info.context.session, info.context.require_principal()
        rotated = service.rotate_secret(session, principal, id, SecretRotate(overlap_hours=overlap_hours))
        return WebhookEndpointWithSecret(endpoint=WebhookEndpoint.from_read(service.get(session, principal, id)),
                                         secret=rotated.secret)

    @strawberry.mutation
    @mutation_result
    def redeliver_webhook(self, info: Info, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryResult:
        return WebhookDelivery.from_read(service.redeliver(info.context.session, info.context.require_principal(),
                                                           endpoint_id, delivery_id))
