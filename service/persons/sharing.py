"""Which data categories a person's live `referral_sharing` consents grant an organisation, named by its id or by
its kind: one reading for the provider's referral summary and for a transfer's receiving organisation."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.types import utcnow
from service.persons.models import Consent, ConsentPurpose, ConsentPurposeRow, ConsentRecipient
from service.persons.policy import consent_is_active


def sharing_grants(session: Session, person_ids: list[uuid.UUID],
                    ) -> dict[uuid.UUID, list[tuple[uuid.UUID | None, str | None, set[str]]]]:
    """Per person: (recipient organisation id, recipient kind, data categories) of active sharing consents."""
    now = utcnow()
    rows = session.execute(
        select(Consent.person_id, Consent.data_categories, ConsentRecipient.organisation_id,
               ConsentRecipient.organisation_kind)
        .join(ConsentPurposeRow, col(ConsentPurposeRow.consent_id) == col(Consent.id))
        .join(ConsentRecipient, col(ConsentRecipient.consent_id) == col(Consent.id))
        .where(col(Consent.person_id).in_(person_ids),
               col(ConsentPurposeRow.purpose) == ConsentPurpose.referral_sharing, consent_is_active(now))
    ).all()
    out: dict[uuid.UUID, list[tuple[uuid.UUID | None, str | None, set[str]]]] = {}
    for person_id, categories, org_id, kind in rows:
        out.setdefault(person_id, []).append((org_id, kind, set(categories or [])))
    return out


def allowed_categories(grants: list[tuple[uuid.UUID | None, str | None, set[str]]], provider_id: uuid.UUID,
                       provider_kind: str | None) -> set[str]:
    allowed: set[str] = set()
    for org_id, kind, categories in grants:
        if org_id == provider_id or (kind is not None and kind == provider_kind):
            allowed |= categories
    return allowed
