"""Input and output models for duplicate links, merges and transfers of persons (ids and states only)."""

import uuid
from datetime import datetime

from pydantic import EmailStr, Field

from service.core.dto import InputModel, OutputModel
from service.organisations.dto import Phone
from service.persons.dto import ConsentCreate
from service.persons.models import TransferStatus

__all__ = ["TransferStatus"]  # the schema layer takes the enum from here, not from the models


class PersonLinkCreate(InputModel):
    other_person_id: uuid.UUID = Field(description="Another person of your organisation that is the same person.")


class PersonLinkRead(OutputModel):
    id: uuid.UUID
    person_id: uuid.UUID
    other_person_id: uuid.UUID
    kind: str = Field(description="duplicate (confirmed the same person) | not_duplicate (confirmed different)")
    created_by: uuid.UUID
    created_at: datetime
    merged_at: datetime | None = Field(description="When other_person_id was merged into person_id and erased.")


class PersonMerge(InputModel):
    duplicate_person_id: uuid.UUID = Field(
        description="The record merged into this one and then erased; it must be linked as a duplicate first.")


class MergeRead(OutputModel):
    person_id: uuid.UUID
    merged_person_id: uuid.UUID
    moved: dict[str, int] = Field(description="Rows moved to the kept person, per kind (consents, referrals, …).")


class TransferCreate(InputModel):
    to_organisation_id: uuid.UUID = Field(description="The organisation the person moves to.")


class TransferAccept(InputModel):
    consent: ConsentCreate | None = Field(
        default=None, description="A consent the receiving organisation records on acceptance (needed when no "
                                  "carried consent includes registration).")
    referrer_contact_name: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Who at your organisation the providers of the person's open referrals call back now (the "
                    "old organisation's contact is cleared either way).")
    referrer_contact_phone: Phone | None = Field(default=None, description="That contact's direct phone.")
    referrer_contact_email: EmailStr | None = Field(default=None, description="That contact's e-mail.")


class TransferredPerson(OutputModel):
    """What the receiving organisation sees before acceptance: only what a live `referral_sharing` consent
    naming it (by id or kind) allows; never CPR, notes, family name or birth date."""

    id: uuid.UUID
    given_name: str | None
    age_group: str
    municipality_code: str
    shared_categories: list[str]
    phone: str | None = None
    email: str | None = None
    preferred_language: str | None = None
    risk_settings: list[str] | None = None
    accessibility_needs: list[str] | None = None
    interests: list[str] | None = None
    loneliness_latest_total: int | None = None


class TransferRead(OutputModel):
    id: uuid.UUID
    person_id: uuid.UUID
    from_organisation_id: uuid.UUID
    to_organisation_id: uuid.UUID
    status: str = Field(description="pending | accepted | cancelled (by the sender) | declined (by the receiver)")
    requested_by: uuid.UUID
    requested_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    carried_consent_ids: list[uuid.UUID] = Field(description="Consents that moved with the person (acceptance).")
    ended_consent_ids: list[uuid.UUID] = Field(description="Consents that did not allow the move and ended.")
    person: TransferredPerson | None = Field(
        default=None, description="For the receiver while pending: the consent-gated summary (null when no "
                                  "consent names the receiver). For the sender: null (it reads the person itself).")
