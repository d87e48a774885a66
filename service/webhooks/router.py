"""REST for webhook endpoints, their delivery log, redelivery and the organisation's event feed."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response, status

from service.core.pagination import Page, PageParams
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep
from service.webhooks import service
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

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("", response_model=Page[EndpointRead])
def list_webhook_endpoints(session: SessionDep, principal: CurrentPrincipal, page: PageDep) -> dict:
    """The organisation's webhook endpoints (org_admin)."""
    items, cursor = service.list_endpoints(session, principal, page)
    return {"items": items, "next_cursor": cursor}


@router.post("", response_model=EndpointCreated, status_code=status.HTTP_201_CREATED)
def create_webhook_endpoint(session: SessionDep, principal: CurrentPrincipal, body: EndpointCreate) -> object:
    """Register an endpoint; the signing secret is in this response only."""
    return service.create(session, principal, body)


@router.get("/events", response_model=Page[EventRead])
def list_webhook_events(session: SessionDep, principal: CurrentPrincipal, page: PageDep) -> dict:
    """The organisation's event feed, oldest first: every event it was told about, with the webhook body."""
    items, cursor = service.list_events(session, principal, page)
    return {"items": items, "next_cursor": cursor}


@router.get("/{endpoint_id}", response_model=EndpointRead)
def get_webhook_endpoint(session: SessionDep, principal: CurrentPrincipal, endpoint_id: uuid.UUID) -> object:
    """One endpoint (never its secret)."""
    return service.get(session, principal, endpoint_id)


@router.patch("/{endpoint_id}", response_model=EndpointRead)
def update_webhook_endpoint(session: SessionDep, principal: CurrentPrincipal, endpoint_id: uuid.UUID,
                            body: EndpointUpdate) -> object:
    """Change the URL, event types or description, or enable/disable the endpoint."""
    return service.update(session, principal, endpoint_id, body)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook_endpoint(session: SessionDep, principal: CurrentPrincipal, endpoint_id: uuid.UUID) -> Response:
    """Remove the endpoint with its deliveries and log."""
    service.delete(session, principal, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", response_model=SecretRotated)
def rotate_webhook_secret(session: SessionDep, principal: CurrentPrincipal, endpoint_id: uuid.UUID,
                          body: SecretRotate) -> object:
    """A new secret (shown once); the old one keeps signing beside it for `overlap_hours`."""
    return service.rotate_secret(session, principal, endpoint_id, body)


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliveryRead])
def list_webhook_deliveries(session: SessionDep, principal: CurrentPrincipal, endpoint_id: uuid.UUID,
                            page: PageDep,
                            status: Literal["pending", "in_flight", "succeeded", "dead"] | None = None) -> dict:
    """Deliveries to the endpoint, in event order, with their state (`dead`: dead-lettered)."""
    items, cursor = service.list_deliveries(session, principal, endpoint_id, page, status)
    return {"items": items, "next_cursor": cursor}


@router.get("/{endpoint_id}/attempts", response_model=Page[AttemptRead])
def list_webhook_attempts(session: SessionDep, principal: CurrentPrincipal, endpoint_id: uuid.UUID,
                          page: PageDep) -> dict:
    """The delivery log: each attempt's status code, latency and outcome (response bodies are not kept)."""
    items, cursor = service.list_attempts(session, principal, endpoint_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryRead,
             status_code=status.HTTP_202_ACCEPTED)
def redeliver_webhook(session: SessionDep, principal: CurrentPrincipal, endpoint_id: uuid.UUID,
                      delivery_id: uuid.UUID) -> object:
    """Queue the delivery again (same webhook-id), e.g. a dead-lettered one after the receiver is fixed."""
    return service.redeliver(session, principal, endpoint_id, delivery_id)
