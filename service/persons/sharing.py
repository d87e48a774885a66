"""Which data categories a person's live `referral_sharing` consents grant an organisation, named by its id or by
its kind: one reading for the provider's referral summary and for a transfer's receiving organisation."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.types import utcnow
from service.organisations.models import Organisation
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


def names(recipient_id: uuid.UUID | None, recipient_kind: str | None, org_id: uuid.UUID,
          org_kind: str | None) -> bool:
    """The one id-or-kind match: a consent recipient names the organisation itself or every organisation of its
    kind."""
    return recipient_id == org_id or (recipient_kind is not None and recipient_kind == org_kind)


def allowed_categories(grants: list[tuple[uuid.UUID | None, str | None, set[str]]], provider_id: uuid.UUID,
                       provider_kind: str | None) -> set[str]:
    allowed: set[str] = set()
    for org_id, kind, categories in grants:
        if names(org_id, kind, provider_id, provider_kind):
            allowed |= categories
    return allowed


def consents_naming(session: Session, consent_ids: list[uuid.UUID], org_id: uuid.UUID) -> set[uuid.UUID]:
    """Which of the consents (any purpose) name the organisation as a recipient, by id or kind: the consents that
    move with a transferred person."""
    if not consent_ids:
        return set()
    kind = session.scalar(select(Organisation.kind).where(col(Organisation.id) == org_id))
    rows = session.execute(select(ConsentRecipient.consent_id, ConsentRecipient.organisation_id,
                                  ConsentRecipient.organisation_kind)
                           .where(col(ConsentRecipient.consent_id).in_(consent_ids))).all()
    return {consent_id for consent_id, rid, rkind in rows if names(rid, rkind, org_id, kind)}
