"""`Idempotency-Key` for unsafe POSTs: a retry with the same key and body returns the original response;
the same key with a different body is a 422. The record is written in the request's own transaction, so a
request that failed leaves no record and can be retried.

A stored response may describe a person (a referral names them and carries its message), so the record notes
whose data it holds: erasing the person forgets the stored body (`forget_responses_about`). The key stays
claimed — a retry is still not executed twice — and answers 410 instead of replaying erased data.
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Column, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col

from service.core.errors import Gone, Unprocessable
from service.core.principal import Principal
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


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def fingerprint(body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def forgotten(session: Session, principal: Principal, key: str) -> bool:
    """This caller used `key` and its stored response has since been forgotten (a replay answers 410)."""
    return session.scalar(select(IdempotencyRecord.id).where(
        IdempotencyRecord.principal_key == f"{principal.kind}:{principal.id}", IdempotencyRecord.key == key,
        col(IdempotencyRecord.response_body).is_(None))) is not None


def run_once(session: Session, principal: Principal, key: str | None, path: str, body: Any,
             produce: Callable[[], tuple[int, Any]],
             person_of: Callable[[Any], uuid.UUID | None] = lambda _: None) -> tuple[int, Any]:
    """Return `produce()`'s (status, body) — or the stored one when this key was already used.
    `person_of(response)` names the person whose data the response holds, so erasure can forget it."""
    if key is None:
        return produce()
    principal_key = f"{principal.kind}:{principal.id}"
    digest = fingerprint(body)
    previous = session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.principal_key == principal_key, IdempotencyRecord.key == key))
    if previous is not None:
        if previous.request_hash != digest or previous.request_path != path:
            raise Unprocessable("This Idempotency-Key was used with a different request.",
                                errors=[{"field": "Idempotency-Key", "message": "key reused with another body",
                                         "code": "idempotency_key_reused"}])
        if previous.response_body is None:
            raise Gone("This request was already carried out; its response is no longer available because the "
                       "person it described was erased. It is not repeated.", original_status=previous.status_code)
        return previous.status_code, json.loads(previous.response_body)
    status, response = produce()
    encoded = jsonable_encoder(response)
    session.add(IdempotencyRecord(principal_key=principal_key, key=key, request_path=path, request_hash=digest,
                                  status_code=status, response_body=json.dumps(encoded),
                                  person_id=person_of(response)))
    session.flush()
    return status, encoded


def forget_responses_about(session: Session, person_id: uuid.UUID) -> None:
    """Drop the stored responses that hold the person's data (called when the person is erased)."""
    session.execute(update(IdempotencyRecord).where(col(IdempotencyRecord.person_id) == person_id,
                                                    col(IdempotencyRecord.response_body).is_not(None))
                    .values(response_body=None, forgotten_at=utcnow()))
