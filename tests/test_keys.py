"""Keys that can be rotated: ciphertexts and hashes carry a key id; look-ups and the duplicate check find
persons under any key of the ring while `tvaers keys rotate` (batched, resumable) moves them on; a ring that
cannot read the stored data refuses to start, naming the key id and never the key."""

import json
import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service.audit.models import AuditEvent
from service.cli import app as cli_app
from service.core.settings import get_settings
from service.main import create_app
from service.organisations.models import Organisation
from service.persons import cpr as cpr_codec
from service.persons import keyring, keys
from service.persons.keys import KeyRingError
from service.persons.models import ConsentDocument, Person
from tests.persons_helpers import create_person

K2 = {"encryption": "second-encryption-key-" + "e" * 20, "hash": "second-hash-key-" + "h" * 20}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def ring() -> Iterator:
    """Set key-ring settings (environment) for the test; restored afterwards."""
    saved = {k: os.environ.get(k) for k in ("TVAERS_KEY_RING", "TVAERS_CURRENT_KEY_ID", "TVAERS_CPR_ENCRYPTION_KEY",
                                             "TVAERS_CPR_HASH_KEY")}

    def configure(**env: str) -> None:
        os.environ.update(env)
        get_settings.cache_clear()

    try:
        yield configure
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _sessions(connection):
    return lambda: Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _search(client, actor, cpr):
    resp = client.post("/api/v1/persons/search", json={"cpr": cpr}, headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return [p["id"] for p in resp.json()["items"]]


def test_rotation_keeps_every_person_findable_and_moves_all_data(client, db, connection, make_user, ring):
    admin = make_user("org_admin")
    cprs = [f"010190123{i}" for i in range(3)]
    ids = [uuid.UUID(create_person(client, admin, cpr=c, given_name=f"Karen{i}")["id"])
           for i, c in enumerate(cprs)]
    consent = client.get(f"/api/v1/persons/{ids[0]}/consents", headers=admin.headers).json()["items"][0]
    doc = client.post(f"/api/v1/persons/{ids[0]}/consents/{consent['id']}/documents", content=PDF,
                      headers={**admin.headers, "Content-Type": "application/pdf"}).json()
    assert {p.cpr_key_id for p in db.scalars(select(Person).where(Person.id.in_(ids)))} == {"k1"}

    ring(TVAERS_KEY_RING=json.dumps({"k2": K2}), TVAERS_CURRENT_KEY_ID="k2")
    # during the rotation: old data reads, searches and blocks duplicates; new data is written under k2
    assert client.get(f"/api/v1/persons/{ids[1]}", headers=admin.headers).json()["cpr"] == "010190-1231"
    assert _search(client, admin, cprs[2]) == [str(ids[2])]
    dup = client.post("/api/v1/persons", headers=admin.headers, json={
        **_body(cprs[0]), "given_name": "Anden"})
    assert dup.status_code == 409 and dup.json()["existing_id"] == str(ids[0])
    fresh = create_person(client, admin, cpr="0202901234", birth_date="1990-02-02", given_name="Ny")
    assert db.get(Person, uuid.UUID(fresh["id"])).cpr_key_id == "k2"

    with pytest.raises(RuntimeError):  # interrupted after the first batch …
        keys.rotate(_sessions(connection), batch_size=2, progress=_interrupt_after_first_batch)
    with _sessions(connection)() as s:
        assert keys.remaining(s) == 2  # … one batch was committed, the rest waits
    seen: dict[str, int] = {}
    result = keys.rotate(_sessions(connection), batch_size=2, progress=_counting(seen))
    assert (result.persons, result.documents, result.remaining) == (1, 1, 0)
    assert seen == {"persons": 1, "documents": 1, "webhook_secrets": 0}
    db.expire_all()
    for pid, c in zip(ids, cprs, strict=True):
        person = db.get(Person, pid)
        assert person.cpr_key_id == "k2" and person.cpr_encrypted.startswith("v2.k2.")
        assert person.cpr_hash == keyring.keyed_hash("k2", c) and cpr_codec.decrypt(person.cpr_encrypted) == c
    assert db.get(ConsentDocument, uuid.UUID(doc["id"])).key_id == "k2"
    assert _search(client, admin, cprs[0]) == [str(ids[0])]
    download = client.get(f"/api/v1/persons/{ids[0]}/consents/{consent['id']}/documents/{doc['id']}",
                          headers=admin.headers)
    assert download.content == PDF
    assert keys.rotate(_sessions(connection), batch_size=2).persons == 0, "idempotent"
    audited = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rotate")))
    assert audited and all("e" * 20 not in json.dumps(a.criterion) for a in audited)


def _body(cpr: str) -> dict:
    from tests.persons_helpers import person_body

    return person_body(cpr=cpr)


def _interrupt_after_first_batch(what: str, total: int):
    def advance(n: int) -> None:
        raise RuntimeError("interrupted")
    return advance


def _counting(seen: dict[str, int]):
    def start(what: str, total: int):
        seen[what] = total
        return lambda n: None
    return start


def _committed_person(session: Session, cpr: str) -> Person:
    org = Organisation(name="Keys Kommune", kind="municipality", municipality_code="0101")
    session.add(org)
    session.flush()
    person = Person(organisation_id=org.id, given_name="Karen", family_name="Eksempel", birth_year=1990,
                    municipality_code="0101", cpr_encrypted=cpr_codec.encrypt(cpr), cpr_hash=cpr_codec.keyed_hash(cpr))
    session.add(person)
    session.commit()
    return person


def _start_error(capsys=None) -> str:
    with pytest.raises(KeyRingError) as raised, TestClient(create_app()):
        pass
    return str(raised.value)


def test_a_missing_or_wrong_key_refuses_the_start_naming_the_key_id(committed, ring):
    ring(TVAERS_KEY_RING=json.dumps({"k2": K2}), TVAERS_CURRENT_KEY_ID="k2")
    _committed_person(committed, "0101901234")
    with TestClient(create_app()) as ok:
        assert ok.get("/healthz").status_code == 200

    ring(TVAERS_KEY_RING="{}", TVAERS_CURRENT_KEY_ID="k1")  # k2 lost
    message = _start_error()
    assert "k2" in message and K2["encryption"] not in message and K2["hash"] not in message
    runner = CliRunner()
    for command in (["keys", "check"], ["keys", "rotate"], ["retention", "run", "--dry-run"]):
        refused = runner.invoke(cli_app, command)
        assert refused.exit_code == 2 and "k2" in refused.output, (command, refused.output)

    wrong = {**K2, "encryption": "a-different-encryption-key-" + "x" * 20}
    ring(TVAERS_KEY_RING=json.dumps({"k2": wrong}), TVAERS_CURRENT_KEY_ID="k2")
    message = _start_error()
    assert "k2" in message and "encryption key" in message and wrong["encryption"] not in message

    ring(TVAERS_KEY_RING=json.dumps({"k2": {**K2, "hash": "a-different-hash-key-" + "y" * 20}}))
    assert "hash key of key id k2" in _start_error()


def test_data_under_an_unknown_key_is_a_503_naming_it_not_a_500(client, db, make_user, ring):
    admin = make_user("org_admin")
    ring(TVAERS_KEY_RING=json.dumps({"k2": K2}), TVAERS_CURRENT_KEY_ID="k2")
    pid = create_person(client, admin, cpr="0101901234")["id"]
    ring(TVAERS_KEY_RING="{}", TVAERS_CURRENT_KEY_ID="k1")  # another instance, an older ring
    resp = client.get(f"/api/v1/persons/{pid}", headers=admin.headers)
    assert resp.status_code == 503 and "k2" in resp.json()["detail"]
    assert K2["encryption"] not in resp.text


def test_settings_refuse_a_ring_without_the_current_key_or_with_weak_keys_in_production():
    from pydantic import ValidationError

    from service.core.settings import Settings

    with pytest.raises(ValidationError, match="k9"):
        Settings(current_key_id="k9")
    prod = {"env": "production", "secret_key": "s" * 40, "cpr_encryption_key": "e" * 40, "cpr_hash_key": "h" * 40,
            "audit_checkpoint_key": "a" * 40}
    assert Settings(**prod, key_ring={"k2": K2}, current_key_id="k2").current_key_id == "k2"
    with pytest.raises(ValidationError) as weak:
        Settings(**prod, key_ring={"k2": {"encryption": "short", "hash": "x" * 40}})
    assert "short" not in str(weak.value).split("input_value")[0]
