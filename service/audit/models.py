import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what to which subject, why, and with what outcome. Append-only."""

    __tablename__ = "audit_event"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False,
                                                                           index=True))
    actor_type: str = Field(max_length=20)  # user | client | anonymous | system
    actor_id: str | None = Field(default=None, max_length=64)
    organisation_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=60, index=True)
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: str | None = Field(default=None, max_length=64, index=True)
    criterion: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    purpose: str = Field(max_length=60)
    outcome: str = Field(max_length=20)  # success | denied | failure
    reason: str | None = Field(default=None, max_length=120)
