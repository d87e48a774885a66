"""Webhook signing secrets at rest: encrypted under the key ring, bound to their endpoint, moved on by
`tvaers keys rotate`, encrypted in place by migration 0013 — and deliveries still verify with Standard Webhooks."""

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from standardwebhooks.webhooks import Webhook

from alembic import command
from service.core.types import utcnow
from service.migrations import alembic_config, upgrade
from service.organisations.models import Organisation
from service.persons import keyring, keys
from service.webhooks import secrets
from service.webhooks.models import WebhookEndpoint
from service.webhooks.sender import new_secret, signature
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401
from tests.test_keys import K2, _sessions, ring  # noqa: F401
from tests.test_webhooks import loopback_allowed  # noqa: F401

HOOK = "http://127.0.0.1:9/hook"


def _every_stored_value(session: Session) -> list[str]:
    """Every value of every column of every table the models know (the metadata, not a hand-made list)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(select(table)):
            for value in row:
                if isinstance(value, bytes):
                    found.append(value.decode("latin-1"))
                elif value is not None:
                    found.append(value if isinstance(value, str) else json.dumps(value, default=str))
    return found


def _verifies(secret: str, secrets_: list[str]) -> bool:
    at, body, message_id = utcnow(), '{"type":"referral.sent"}', str(uuid.uuid4())
    headers = {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
               "webhook-signature": signature(secrets_, message_id, at, body)}
    return Webhook(secret).verify(body, headers) == {"type": "referral.sent"}


def test_secret_is_stored_only_encrypted_and_still_signs(world: World, loopback_allowed: None):  # noqa: F811
    w = world
    created = w.client.post("/api/v1/webhooks", json={"url": HOOK, "event_types": ["referral.sent"]},
                            headers=w.admin_a.headers).json()
    first = created["secret"]
    rotated = w.client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", json={"overlap_hours": 2},
                            headers=w.admin_a.headers).json()
    second = rotated["secret"]
    w.db.expire_all()
    stored = _every_stored_value(w.db)
    for secret in (first, second):  # neither the whsec_ string nor its key bytes, in any column
        assert not [v for v in stored if secret in v or secret.removeprefix("whsec_") in v]
    endpoint = w.db.get(WebhookEndpoint, uuid.UUID(created["id"]))
    assert endpoint is not None and endpoint.secret_key_id == keyring.current_key_id()
    signing = secrets.signing(endpoint, utcnow())
    assert signing == [second, first]  # the signer decrypts both during the overlap
    assert _verifies(second, signing) and _verifies(first, signing)
    assert secrets.signing(endpoint, utcnow() + timedelta(hours=3)) == [second]


def test_a_ciphertext_is_bound_to_its_endpoint_and_key_id():
    endpoint_id, other = uuid.uuid4(), uuid.uuid4()
    token = secrets.seal(endpoint_id, new_secret())
    with pytest.raises(keyring.UnknownKey):
        secrets.unseal(other, token)  # copied onto another endpoint
    with pytest.raises(keyring.UnknownKey) as relabelled:
        secrets.unseal(endpoint_id, "k2" + token.removeprefix(secrets.key_id_of(token)))
    assert "whsec_" not in str(relabelled.value)


def _endpoint(session: Session, current: str, previous: str | None) -> WebhookEndpoint:
    org = Organisation(name=f"Org {uuid.uuid4().hex[:6]}", kind="municipality", municipality_code="0101")
    session.add(org)
    session.flush()
    endpoint = WebhookEndpoint(organisation_id=org.id, url=HOOK, event_types=["referral.sent"],
                               previous_until=utcnow() + timedelta(hours=1) if previous else None)
    secrets.store(endpoint, current, previous)
    session.add(endpoint)
    session.flush()
    return endpoint


def test_keys_rotate_moves_webhook_secrets_and_check_needs_their_key(db, connection, ring):  # noqa: F811
    current, previous = new_secret(), new_secret()
    endpoint = _endpoint(db, current, previous)
    assert endpoint.secret_key_id == "k1"
    ring(TVAERS_KEY_RING=json.dumps({"k2": K2}), TVAERS_CURRENT_KEY_ID="k2")
    assert secrets.signing(endpoint, utcnow()) == [current, previous]  # readable under the old key meanwhile
    with _sessions(connection)() as s:
        assert keys.remaining(s) == 1
    result = keys.rotate(_sessions(connection), batch_size=1)
    assert result.webhook_secrets == 1 and result.remaining == 0
    db.expire_all()
    assert endpoint.secret_key_id == "k2" and endpoint.secret_encrypted.startswith("k2.")
    assert secrets.signing(endpoint, utcnow()) == [current, previous]
    assert keys.rotate(_sessions(connection), batch_size=1).webhook_secrets == 0, "idempotent"

    endpoint.secret_key_id, endpoint.secret_encrypted = "k9", "k9." + endpoint.secret_encrypted[3:]
    db.flush()
    with pytest.raises(keys.KeyRingError) as refused:  # a ring without the secrets' key refuses to start
        keys.check_keys(db)
    assert "k9" in str(refused.value) and "whsec_" not in str(refused.value)


def _hex(value: uuid.UUID) -> str:
    return value.hex


def test_migration_encrypts_existing_secrets_and_the_downgrade_restores_them(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0009_report_facts")
    org, endpoint_id, plain, old = uuid.uuid4(), uuid.uuid4(), new_secret(), new_secret()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, "
                          "updated_at) VALUES (:id, 'Kommune', 'municipality', '0101', 0, '2026-01-01', "
                          "'2026-01-01')"), {"id": _hex(org)})
        conn.execute(text("INSERT INTO webhook_endpoint (id, organisation_id, url, event_types, secret, "
                          "previous_secret, enabled, created_at, updated_at, version) VALUES (:id, :org, :url, "
                          "'[]', :s, :p, 1, '2026-01-01', '2026-01-01', 1)"),
                     {"id": _hex(endpoint_id), "org": _hex(org), "url": HOOK, "s": plain, "p": old})
    upgrade(url)
    with engine.connect() as conn:
        row: Any = conn.execute(text("SELECT * FROM webhook_endpoint")).mappings().one()
    assert "secret" not in row and "previous_secret" not in row and row["secret_key_id"] == "k1"
    assert plain not in json.dumps(dict(row), default=str) and old not in json.dumps(dict(row), default=str)
    assert secrets.unseal(endpoint_id, row["secret_encrypted"]) == plain
    assert secrets.unseal(endpoint_id, row["previous_secret_encrypted"]) == old

    command.downgrade(alembic_config(url), "0009_report_facts")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT secret, previous_secret FROM webhook_endpoint")).one() == (plain, old)
    engine.dispose()
