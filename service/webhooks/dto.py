"""Webhook endpoint, delivery and event-feed bodies."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from service.core.dto import InputModel, OutputModel
from service.events import EventType

MAX_OVERLAP_HOURS = 168


class EndpointCreate(InputModel):
    url: str = Field(min_length=8, max_length=2048, description="https URL (http only outside production)")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType),
                                         description="The event types this endpoint receives.")
    description: str | None = Field(default=None, max_length=500)


class EndpointUpdate(InputModel):
    url: str | None = Field(default=None, min_length=8, max_length=2048)
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=len(EventType))
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(default=None, description="Re-enable an endpoint disabled after a day of "
                                 "failures (or pause one).")


class SecretRotate(InputModel):
    overlap_hours: float = Field(default=24, ge=0, le=MAX_OVERLAP_HOURS, description=(
        "How long the previous secret keeps signing beside the new one (both signatures are sent)."))


class EndpointRead(OutputModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_until: datetime | None = Field(description="Until when the previous secret still signs.")
    created_at: datetime
    updated_at: datetime
    version: int


class EndpointCreated(EndpointRead):
    secret: str = Field(description="The signing secret (Standard Webhooks whsec_…), shown only this once.")


class SecretRotated(BaseModel):
    endpoint_id: uuid.UUID
    secret: str = Field(description="The new signing secret, shown only this once.")
    previous_secret_until: datetime | None


class DeliveryRead(OutputModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID = Field(description="The webhook-id header (the outbox event).")
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


class AttemptRead(OutputModel):
    delivery_id: uuid.UUID
    attempt: int
    status_code: int | None
    latency_ms: int
    outcome: str
    manual: bool
    attempted_at: datetime


class EventRead(OutputModel):
    id: uuid.UUID
    type: str
    occurred_at: datetime
    payload: dict[str, Any] = Field(description="Exactly what the webhook body carries (ids only).")
