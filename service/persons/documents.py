"""Consent documents: the signed consent form as a PDF or an image, attached to a consent.

- Only PDF, PNG and JPEG are accepted, and the bytes must *be* what the Content-Type says (sniffed with
  `filetype`), else 415; larger than `TVAERS_CONSENT_DOCUMENT_MAX_BYTES` is a 413.
- Stored AES-256-GCM encrypted under the current key of the key ring (its own HKDF `info`), the document id
  and key id bound into the authenticated data, so a ciphertext cannot be swapped onto another row.
- Only the organisation that holds the person (persons:manage) uploads, lists and downloads; every upload,
  download and refusal is audited. No file name is kept (they often carry the person's name).
- Deleted as soon as the person's registration ends (the erasure), through the consent hook.
"""

import os
import uuid
from datetime import datetime
from typing import Any

import filetype
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.dto import OutputModel
from service.core.errors import DomainError, NotFound
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.persons import keyring
from service.persons.guards import PURPOSE_CONSENT, load, require_manage, require_registered
from service.persons.models import Consent, ConsentDocument, ConsentPurpose, Person
from service.persons.policy import active_consent

ALLOWED = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


class UnsupportedMediaType(DomainError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class ContentTooLarge(DomainError):
    status, title, slug = 413, "Content too large", "content-too-large"


class DocumentRead(OutputModel):
    id: uuid.UUID
    consent_id: uuid.UUID
    person_id: uuid.UUID
    content_type: str
    size_bytes: int
    uploaded_by: uuid.UUID
    uploaded_at: datetime


def _aad(document_id: uuid.UUID, key_id: str) -> bytes:
    return b"consent-document:" + document_id.bytes + b":" + key_id.encode()


def encrypt_document(document_id: uuid.UUID, data: bytes) -> tuple[str, bytes]:
    key_id = keyring.current_key_id()
    nonce = os.urandom(12)
    return key_id, nonce + keyring.aead(key_id, keyring.DOCUMENT_INFO).encrypt(nonce, data, _aad(document_id, key_id))


def decrypt_document(document: ConsentDocument) -> bytes:
    from cryptography.exceptions import InvalidTag

    blob = document.ciphertext
    try:
        return keyring.aead(document.key_id, keyring.DOCUMENT_INFO).decrypt(
            blob[:12], blob[12:], _aad(document.id, document.key_id))
    except InvalidTag:
        raise keyring.UnknownKey(f"a consent document does not verify under key {document.key_id}") from None


def _read(d: ConsentDocument) -> DocumentRead:
    return DocumentRead(id=d.id, consent_id=d.consent_id, person_id=d.person_id, content_type=d.content_type,
                        size_bytes=d.size_bytes, uploaded_by=d.uploaded_by, uploaded_at=d.uploaded_at)


def _consent_of(session: Session, principal: Principal, person_id: uuid.UUID, consent_id: uuid.UUID,
                action: str, for_update: bool = False) -> tuple[Person, Consent]:
    require_manage(session, principal, action)
    person = load(session, principal, person_id, action, for_update=for_update)
    consent = session.scalar(select(Consent).where(col(Consent.id) == consent_id, col(Consent.person_id) == person.id))
    if consent is None:
        record(session, principal, action, purpose=PURPOSE_CONSENT, subject_type="person", subject_id=person.id,
               outcome="denied", reason="consent_not_found")
        raise NotFound("Consent not found.")
    return person, consent


def _refuse(session: Session, principal: Principal, person: Person, reason: str, exc: DomainError) -> DomainError:
    record(session, principal, "consent_document.upload", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, outcome="failure", reason=reason)
    return exc


def upload(session: Session, principal: Principal, person_id: uuid.UUID, consent_id: uuid.UUID,
           content_type: str | None, data: bytes, max_bytes: int) -> DocumentRead:
    person, consent = _consent_of(session, principal, person_id, consent_id, "consent_document.upload",
                                  for_update=True)
    require_registered(session, person)
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in ALLOWED:
        raise _refuse(session, principal, person, "media_type_not_allowed", UnsupportedMediaType(
            "Send the signed consent as application/pdf, image/png or image/jpeg."))
    if len(data) > max_bytes:
        raise _refuse(session, principal, person, "too_large", ContentTooLarge(
            f"A consent document may be at most {max_bytes} bytes."))
    sniffed = filetype.guess_mime(data) if data else None
    if sniffed != declared:
        raise _refuse(session, principal, person, "content_mismatch", UnsupportedMediaType(
            "The content is not the declared type (PDF, PNG or JPEG)."))
    document_id = uuid.uuid4()
    key_id, blob = encrypt_document(document_id, data)
    document = ConsentDocument(id=document_id, consent_id=consent.id, person_id=person.id, content_type=declared,
                               size_bytes=len(data), key_id=key_id, ciphertext=blob, uploaded_by=principal.id)
    session.add(document)
    session.flush()
    record(session, principal, "consent_document.upload", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={"consent_id": str(consent.id), "document_id": str(document.id),
                                            "content_type": declared, "size_bytes": len(data)})
    return _read(document)


def documents_for_persons(session: Session, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[DocumentRead]]:
    out: dict[uuid.UUID, list[DocumentRead]] = {p: [] for p in person_ids}
    if not person_ids:
        return out
    for d in session.scalars(select(ConsentDocument).where(col(ConsentDocument.person_id).in_(person_ids))
                             .order_by(col(ConsentDocument.uploaded_at), col(ConsentDocument.id))):
        out[d.person_id].append(_read(d))
    return out


def list_documents(session: Session, principal: Principal, person_id: uuid.UUID, consent_id: uuid.UUID,
                   params: PageParams) -> tuple[list[DocumentRead], str | None]:
    """A page of the consent's documents, oldest upload first."""
    person, consent = _consent_of(session, principal, person_id, consent_id, "consent_document.list")
    record(session, principal, "consent_document.list", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={"consent_id": str(consent.id)})
    rows, cursor = keyset_page(session, select(ConsentDocument).where(col(ConsentDocument.consent_id) == consent.id),
                               [col(ConsentDocument.uploaded_at), col(ConsentDocument.id)], params)
    return [_read(d) for d in rows], cursor


def download(session: Session, principal: Principal, person_id: uuid.UUID, consent_id: uuid.UUID,
             document_id: uuid.UUID) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a document of the principal's own person."""
    person, consent = _consent_of(session, principal, person_id, consent_id, "consent_document.download")
    document = session.scalar(select(ConsentDocument).where(col(ConsentDocument.id) == document_id,
                                                            col(ConsentDocument.consent_id) == consent.id))
    if document is None:
        record(session, principal, "consent_document.download", purpose=PURPOSE_CONSENT, subject_type="person",
               subject_id=person.id, outcome="denied", reason="document_not_found")
        raise NotFound("Document not found.")
    content = decrypt_document(document)
    record(session, principal, "consent_document.download", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={"consent_id": str(consent.id), "document_id": str(document.id)})
    return content, document.content_type, f"consent-{document.id}.{ALLOWED.get(document.content_type, 'bin')}"


def delete_for_person(session: Session, person_id: uuid.UUID) -> int:
    result = session.execute(delete(ConsentDocument).where(col(ConsentDocument.person_id) == person_id)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def on_consent_ended(session: Session, principal: Principal | None, person: Person, consent: Any,
                      purposes: frozenset[str], cause: str) -> None:
    """Registration ended (the person is being erased): the signed forms go with the personal data."""
    if ConsentPurpose.registration in purposes and not session.scalar(
            select(active_consent(ConsentPurpose.registration, person_id=person.id))):
        delete_for_person(session, person.id)


def reencrypt_batch(session: Session, after: uuid.UUID | None, size: int) -> tuple[int, int, uuid.UUID | None]:
    """`tvaers keys rotate`: re-encrypt up to `size` documents not under the current key (compare-and-set)."""
    stmt = select(ConsentDocument).where(col(ConsentDocument.key_id) != keyring.current_key_id())
    if after is not None:
        stmt = stmt.where(col(ConsentDocument.id) > after)
    rows = list(session.scalars(stmt.order_by(col(ConsentDocument.id)).limit(size)))
    moved = 0
    for d in rows:
        key_id, blob = encrypt_document(d.id, decrypt_document(d))
        result = session.execute(update(ConsentDocument).where(col(ConsentDocument.id) == d.id,
                                                               col(ConsentDocument.key_id) == d.key_id)
                                 .values(key_id=key_id, ciphertext=blob).execution_options(synchronize_session=False))
        moved += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return len(rows), moved, rows[-1].id if rows else None
