"""`Idempotency-Key` for unsafe POSTs: a retry with the same key and body returns the original response;
the same key with a different body is a 422. The record is written in the request's own transaction, so a
request that failed leaves no record and can be retried.

A stored response may describe a person (a referral names them and carries its message), so the record notes
whose data it holds: erasing the person forgets the stored body (`forget_responses_about`). The key stays
claimed — a retry is still not executed twice — and answers 410 instead of replaying erased data.
"""

import uuid
from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint, update
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col

from service.core.types import UTCDateTime, utcnow


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal_key", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal_key: str = Field(max_length=80)
    key: str = Field(max_length=200)
    request_path: str = Field(max_length=300)
    request_hash: str = Field(max_length=64)
    status_code: int
    # null once forgotten: the person the response described was erased
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # whose personal data the stored response holds (no foreign key: core knows no domain)
    person_id: uuid.UUID | None = Field(default=None, index=True)
    forgotten_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def forget_responses_about(session: Session, person_id: uuid.UUID) -> None:
    """Drop the stored responses that hold the person's data (called when the person is erased)."""
    session.execute(update(IdempotencyRecord).where(col(IdempotencyRecord.person_id) == person_id,
                                                    col(IdempotencyRecord.response_body).is_not(None))
                    .values(response_body=None, forgotten_at=utcnow()))
