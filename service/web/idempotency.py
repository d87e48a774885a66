"""`Idempotency-Key` for unsafe POSTs (the record and erasure's `forget_responses_about` are in
`service.core.idempotency`): a retry with the same key and body returns the original response; the same key with
a different body is a 422; a replay of a response about an erased person is a 410."""

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Gone, Unprocessable
from service.core.idempotency import IdempotencyRecord
from service.core.principal import Principal

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
