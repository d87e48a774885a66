"""Endpoints, deliveries (one per endpoint and outbox event), the attempt log, and scheduled job runs."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow
from service.events.models import SEQ


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    in_flight = "in_flight"  # claimed by a worker until lease_until
    succeeded = "succeeded"
    dead = "dead"  # retries exhausted (24 h) or the endpoint was disabled: redeliver by hand


OPEN = (DeliveryStatus.pending, DeliveryStatus.in_flight)


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Standard Webhooks secrets (whsec_…): shown once; the previous one keeps signing until previous_until.
    # Stored encrypted under the key ring, both under secret_key_id (service.webhooks.secrets).
    secret_encrypted: str = Field(max_length=200)
    previous_secret_encrypted: str | None = Field(default=None, max_length=200)
    secret_key_id: str = Field(max_length=20, index=True)
    previous_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=40)
    # First failure since the last success; a day of failures disables the endpoint.
    failing_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_by: uuid.UUID | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    version: int = 1


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_seq"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_subject", "endpoint_id", "subject", "event_seq"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    endpoint_id: uuid.UUID = Field(sa_column=Column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
                                                    nullable=False))
    event_seq: int = Field(sa_column=Column(SEQ, ForeignKey("outbox_event.seq", ondelete="CASCADE"),
                                            nullable=False, index=True))
    subject: str = Field(max_length=80)
    status: str = Field(default=DeliveryStatus.pending, sa_column=Column(String(12), nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # The retry window (TVAERS_WEBHOOK_RETRY_HOURS) counts from here; a manual redelivery starts a new one.
    window_started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    last_outcome: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per attempt. Status and latency only — response bodies are never stored."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, sa_column=Column(SEQ, primary_key=True, autoincrement=True))
    delivery_id: uuid.UUID = Field(sa_column=Column(ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
                                                    nullable=False, index=True))
    endpoint_id: uuid.UUID = Field(sa_column=Column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
                                                    nullable=False, index=True))
    attempt: int
    status_code: int | None = None
    latency_ms: int
    outcome: str = Field(max_length=20)  # success | http_error | timeout | connection_error | blocked_target
    manual: bool = False  # made after a manual redelivery (which starts a new retry window)
    attempted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class JobRun(SQLModel, table=True):
    """One row per scheduled slot: the unique (job, scheduled_for) lets exactly one worker run it."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "scheduled_for"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job: str = Field(max_length=40)
    scheduled_for: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    outcome: str = Field(default="running", max_length=20)  # running | succeeded | failed
    count: int | None = None
