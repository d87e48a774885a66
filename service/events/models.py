"""The outbox: one row per (event, organisation it concerns), written in the transaction of the change."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow

# BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER PRIMARY KEY.
SEQ = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"
    # the organisation's event feed in seq order (migration 0015)
    __table_args__ = (Index("ix_outbox_event_organisation_seq", "organisation_id", "seq"),)

    # The order events happened in; deliveries of one subject go out in this order.
    seq: int | None = Field(default=None, sa_column=Column(SEQ, primary_key=True, autoincrement=True))
    # The Standard Webhooks `webhook-id` (the same on every retry and redelivery).
    id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    type: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    subject: str = Field(max_length=80)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
