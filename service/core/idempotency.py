"""`Idempotency-Key` for unsafe POSTs: a retry with the same key and body returns the original response;
the same key with a different body is a 422. The record is written in the request's own transaction, so a
request that failed leaves no record and can be retried."""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Column, Text, UniqueConstraint, select
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from service.core.errors import Unprocessable
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
    response_body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def fingerprint(body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(session: Session, principal: Principal, key: str | None, path: str, body: Any,
             produce: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Return `produce()`'s (status, body) — or the stored one when this key was already used."""
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
        return previous.status_code, json.loads(previous.response_body)
    status, response = produce()
    encoded = jsonable_encoder(response)
    session.add(IdempotencyRecord(principal_key=principal_key, key=key, request_path=path, request_hash=digest,
                                  status_code=status, response_body=json.dumps(encoded)))
    session.flush()
    return status, encoded
