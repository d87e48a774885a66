"""Webhook signing secrets at rest: AES-256-GCM under the key ring (`service.persons.keyring`), like CPR numbers.

A stored secret is `<key id>.<base64(nonce + ciphertext)>`; the authenticated data binds the endpoint id and
the key id, so a ciphertext copied onto another endpoint (or relabelled with another key id) does not decrypt.
Both the current and the previous secret of an endpoint are under `secret_key_id`: every write re-encrypts both,
so `tvaers keys rotate` and `check_keys` need one key id per endpoint. The plain secret exists only in the
create/rotate response and in the worker's memory while it signs.
"""

import base64
import os
import uuid
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.persons import keyring
from service.webhooks.models import WebhookEndpoint

INFO = b"tvaers webhook secret v1"


def _aad(endpoint_id: uuid.UUID, key_id: str) -> bytes:
    return b"webhook-secret:" + endpoint_id.bytes + b":" + key_id.encode()


def seal(endpoint_id: uuid.UUID, secret: str, key_id: str | None = None) -> str:
    key_id = key_id or keyring.current_key_id()
    nonce = os.urandom(12)
    ciphertext = keyring.aead(key_id, INFO).encrypt(nonce, secret.encode(), _aad(endpoint_id, key_id))
    return f"{key_id}.{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"


def key_id_of(token: str) -> str:
    return token.partition(".")[0]


def unseal(endpoint_id: uuid.UUID, token: str) -> str:
    key_id, _, blob = token.partition(".")
    raw = base64.urlsafe_b64decode(blob)
    try:
        return keyring.aead(key_id, INFO).decrypt(raw[:12], raw[12:], _aad(endpoint_id, key_id)).decode()
    except InvalidTag:
        raise keyring.UnknownKey(f"a webhook secret does not verify under key {key_id}") from None


def sealed(endpoint_id: uuid.UUID, current: str, previous: str | None) -> dict[str, str | None]:
    """The column values of both secrets, encrypted under the current key."""
    key_id = keyring.current_key_id()
    return {"secret_key_id": key_id, "secret_encrypted": seal(endpoint_id, current, key_id),
            "previous_secret_encrypted": seal(endpoint_id, previous, key_id) if previous is not None else None}


def store(endpoint: WebhookEndpoint, current: str, previous: str | None) -> None:
    """Encrypt both secrets onto the endpoint (its id must be set)."""
    for name, value in sealed(endpoint.id, current, previous).items():
        setattr(endpoint, name, value)


def current(endpoint: WebhookEndpoint) -> str:
    return unseal(endpoint.id, endpoint.secret_encrypted)


def previous(endpoint: WebhookEndpoint) -> str | None:
    token = endpoint.previous_secret_encrypted
    return unseal(endpoint.id, token) if token else None


def signing(endpoint: WebhookEndpoint, at: datetime) -> list[str]:
    """The secrets that sign at `at`: the current one, and the previous one during a rotation's overlap."""
    old = previous(endpoint) if endpoint.previous_until and endpoint.previous_until > at else None
    return [current(endpoint)] + ([old] if old else [])


def reencrypt_batch(session: Session, after: uuid.UUID | None, size: int) -> tuple[int, int, uuid.UUID | None]:
    """`tvaers keys rotate`: re-encrypt up to `size` endpoints' secrets not under the current key
    (compare-and-set on the old ciphertext: a concurrent secret rotation wins, it is current already)."""
    stmt = select(WebhookEndpoint).where(col(WebhookEndpoint.secret_key_id) != keyring.current_key_id())
    if after is not None:
        stmt = stmt.where(col(WebhookEndpoint.id) > after)
    rows = list(session.scalars(stmt.order_by(col(WebhookEndpoint.id)).limit(size)))
    moved = 0
    for e in rows:
        result = session.execute(
            update(WebhookEndpoint).where(col(WebhookEndpoint.id) == e.id,
                                          col(WebhookEndpoint.secret_encrypted) == e.secret_encrypted)
            .values(**sealed(e.id, current(e), previous(e))).execution_options(synchronize_session=False))
        moved += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return len(rows), moved, rows[-1].id if rows else None


# The key ring's view of the stored secrets: `service.wiring.wire()` registers these with `persons.keys`, so
# `check_keys` and `tvaers keys rotate` cover webhook secrets as they cover CPR numbers and documents.

def used_key_ids(session: Session) -> set[str]:
    return set(session.scalars(select(WebhookEndpoint.secret_key_id).distinct()))


def check_sample(session: Session, key_id: str) -> None:
    """Decrypt one endpoint's secret under the key id (keyring.UnknownKey when the key does not fit)."""
    endpoint = session.scalar(select(WebhookEndpoint).where(col(WebhookEndpoint.secret_key_id) == key_id).limit(1))
    if endpoint is not None:
        current(endpoint)


def stale() -> Any:
    return select(WebhookEndpoint.id).where(col(WebhookEndpoint.secret_key_id) != keyring.current_key_id())
