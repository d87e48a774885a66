"""Consent documents: PDF/PNG/JPEG only and the bytes must be what is declared, size-limited, stored
encrypted, readable by the holding organisation only, every upload/download/refusal audited, gone on erasure."""

import os
import uuid

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.core.settings import get_settings
from service.persons.models import ConsentDocument
from tests.persons_helpers import create_person, events

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\nKaren Eksempel underskrift\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def _setup(client, make_user):
    caseworker = make_user("caseworker")
    person = create_person(client, caseworker)
    consent = client.get(f"/api/v1/persons/{person['id']}/consents", headers=caseworker.headers).json()["items"][0]
    return caseworker, person, consent, f"/api/v1/persons/{person['id']}/consents/{consent['id']}/documents"


def _upload(client, actor, url, data, content_type):
    return client.post(url, content=data, headers={**actor.headers, "Content-Type": content_type})


def test_upload_list_download_encrypted_and_audited(client, db, make_user):
    caseworker, person, consent, url = _setup(client, make_user)
    made = []
    for data, media in ((PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")):
        resp = _upload(client, caseworker, url, data, media)
        assert resp.status_code == 201, resp.text
        assert resp.json()["content_type"] == media and resp.json()["size_bytes"] == len(data)
        made.append((resp.json()["id"], data, media))
    listed = client.get(url, headers=caseworker.headers).json()["items"]
    assert sorted(d["id"] for d in listed) == sorted(m[0] for m in made)
    for doc_id, data, media in made:
        got = client.get(f"{url}/{doc_id}", headers=caseworker.headers)
        assert got.status_code == 200 and got.content == data and got.headers["content-type"] == media
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff" and got.headers["cache-control"] == "no-store"
        stored = db.get(ConsentDocument, uuid.UUID(doc_id))
        assert data not in stored.ciphertext and b"Karen" not in stored.ciphertext
    assert len(events(db, "consent_document.upload", subject_id=person["id"])) == 3
    assert len(events(db, "consent_document.download", subject_id=person["id"])) == 3
    assert events(db, "consent_document.list", subject_id=person["id"])


@pytest.mark.parametrize(("data", "media", "status"), [
    (PDF, "image/png", 415),           # declared png, is a pdf
    (PNG, "application/pdf", 415),
    (b"<html><script>", "text/html", 415),
    (b"", "application/pdf", 415),
    (PDF, "application/octet-stream", 415),
])
def test_wrong_or_unlisted_types_are_refused_and_nothing_is_stored(client, db, make_user, data, media, status):
    caseworker, person, consent, url = _setup(client, make_user)
    resp = _upload(client, caseworker, url, data, media)
    assert resp.status_code == status, resp.text
    assert db.scalar(select(func.count()).select_from(ConsentDocument)) == 0
    assert events(db, "consent_document.upload", outcome="failure", subject_id=person["id"])


def test_size_limit_from_settings(client, db, make_user):
    caseworker, person, consent, url = _setup(client, make_user)
    os.environ["TVAERS_CONSENT_DOCUMENT_MAX_BYTES"] = "1024"
    get_settings.cache_clear()
    try:
        assert _upload(client, caseworker, url, PDF + b"x" * 1024, "application/pdf").status_code == 413
        assert _upload(client, caseworker, url, PDF + b"x" * 100, "application/pdf").status_code == 201
    finally:
        os.environ.pop("TVAERS_CONSENT_DOCUMENT_MAX_BYTES")
        get_settings.cache_clear()
    assert db.scalar(select(func.count()).select_from(ConsentDocument)) == 1


def test_only_the_holding_organisation(client, db, make_user):
    caseworker, person, consent, url = _setup(client, make_user)
    doc = _upload(client, caseworker, url, PDF, "application/pdf").json()
    outsider = make_user("caseworker")
    coordinator = make_user("coordinator")
    for actor, status in ((outsider, 404), (coordinator, 403)):
        assert client.get(f"{url}/{doc['id']}", headers=actor.headers).status_code == status
        assert client.get(url, headers=actor.headers).status_code == status
        assert _upload(client, actor, url, PDF, "application/pdf").status_code == status
    assert client.get(f"{url}/{doc['id']}").status_code == 401
    other_consent_url = url.replace(consent["id"], str(uuid.uuid4()))
    assert client.get(f"{other_consent_url}/{doc['id']}", headers=caseworker.headers).status_code == 404
    assert db.scalar(select(func.count()).select_from(ConsentDocument)) == 1
    denied = db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("consent_document.%"), AuditEvent.outcome == "denied"))
    assert denied >= 6


def test_erasure_deletes_the_documents(client, db, make_user):
    caseworker, person, consent, url = _setup(client, make_user)
    doc = _upload(client, caseworker, url, PDF, "application/pdf").json()
    client.post(f"/api/v1/persons/{person['id']}/consents/{consent['id']}/withdraw", headers=caseworker.headers)
    assert db.get(ConsentDocument, uuid.UUID(doc["id"])) is None
    assert client.get(f"{url}/{doc['id']}", headers=caseworker.headers).status_code == 404
    assert _upload(client, caseworker, url, PDF, "application/pdf").status_code == 409
