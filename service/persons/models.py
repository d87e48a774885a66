"""Persons at risk, their consents and their T-ILS loneliness measurements.

Reports aggregate in SQL over `person` (municipality_code, birth_year, loneliness_latest_total),
`person_risk_setting` (one row per setting) and `loneliness_measurement`. Consent is evaluated in SQL
through `consent` + `consent_purpose` (see `service.persons.policy.active_consent`).
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, new_record_key, utcnow


class PersonStatus(StrEnum):
    active = "active"
    erased = "erased"


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"


class DisabilityType(StrEnum):
    physical = "physical"
    mental = "mental"
    cognitive = "cognitive"


class ConsentPurpose(StrEnum):
    registration = "registration"
    referral_sharing = "referral_sharing"
    contact = "contact"
    outcome_followup = "outcome_followup"
    research = "research"


class DataCategory(StrEnum):
    contact_details = "contact_details"
    risk_settings = "risk_settings"
    accessibility_needs = "accessibility_needs"
    interests = "interests"
    loneliness_scores = "loneliness_scores"


class ConsentGivenBy(StrEnum):
    self = "self"
    guardian = "guardian"
    legal_representative = "legal_representative"


class ConsentMethod(StrEnum):
    written = "written"
    verbal = "verbal"
    digital = "digital"


class MeasurementContext(StrEnum):
    intake = "intake"
    follow_up = "follow_up"
    ad_hoc = "ad_hoc"


SEVERE_LONELINESS_MIN = 7  # T-ILS 7–9, the Danish National Health Profile's "severe loneliness"

DISABILITY_SETTING = "disability_at_home"


# The duplicate rules, kept by the database so that concurrent registrations cannot both pass the service's
# check: one active person per organisation and CPR hash, and per organisation and name key (same names,
# case-folded, and birth date). Erased persons drop out of both.
_ACTIVE_WITH = "status = 'active' AND {} IS NOT NULL"


def _unique_while_active(name: str, column: str) -> Index:
    where = text(_ACTIVE_WITH.format(column))
    return Index(name, "organisation_id", column, unique=True, postgresql_where=where, sqlite_where=where)


class Person(SQLModel, table=True):
    """A person at special risk. After erasure only the pseudonymous statistical fields remain."""

    __tablename__ = "person"
    __table_args__ = (_unique_while_active("uq_person_organisation_cpr_hash_active", "cpr_hash"),
                      _unique_while_active("uq_person_organisation_name_key_active", "name_key"))

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    status: str = Field(default=PersonStatus.active, max_length=10, index=True)
    # personal fields (nulled on erasure)
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    birth_date: date | None = None
    gender: str | None = Field(default=None, max_length=10)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    preferred_language: str | None = Field(default=None, max_length=8)
    interests: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    accessibility_needs: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    notes: str | None = Field(default=None, max_length=500)
    cpr_encrypted: str | None = Field(default=None, max_length=200)
    cpr_hash: str | None = Field(default=None, max_length=64, index=True)
    # the key ring entry both were made with (service.persons.keys; `tvaers keys rotate` moves rows on)
    cpr_key_id: str | None = Field(default=None, max_length=20, index=True)
    # SHA-256 of the case-folded names and the birth date (`persons.duplicates.name_key`); as personal as the
    # names themselves, so it is erased with them.
    name_key: str | None = Field(default=None, max_length=64)
    # statistical fields (kept on erasure)
    birth_year: int = Field(index=True)
    municipality_code: str = Field(foreign_key="municipality.code", max_length=4, index=True)
    loneliness_latest_total: int | None = Field(default=None, index=True)
    loneliness_latest_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # optimistic concurrency (ETag "<version>", service.core.versions)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # the Cell Key Method's record key (reports' disclosure control); random, not derived from anything personal
    record_key: int = Field(default_factory=new_record_key, sa_column_kwargs={"server_default": "0"})


class PersonRiskSetting(SQLModel, table=True):
    __tablename__ = "person_risk_setting"

    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True)
    risk_setting_code: str = Field(foreign_key="risk_setting.code", primary_key=True, max_length=40, index=True)
    # only for disability_at_home: physical / mental / cognitive
    disability_types: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Consent(SQLModel, table=True):
    """One consent given by (or for) a person. Expired (expires_at <= now) counts as withdrawn."""

    __tablename__ = "consent"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    data_categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    given_by: str = Field(max_length=30)
    representative_name: str | None = Field(default=None, max_length=200)
    method: str = Field(max_length=10)
    evidence_reference: str | None = Field(default=None, max_length=200)
    consent_text_version: str = Field(max_length=40)
    recorded_by: uuid.UUID
    given_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    withdrawn_by: uuid.UUID | None = None
    withdrawal_reason: str | None = Field(default=None, max_length=300)
    # set by `tvaers consents expire` when it has recorded the expiry (makes the command idempotent)
    expired_recorded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # a narrowed withdrawal ends a consent and records what remains as its successor (history kept)
    replaces_consent_id: uuid.UUID | None = Field(default=None, foreign_key="consent.id", index=True)


class ConsentPurposeRow(SQLModel, table=True):
    __tablename__ = "consent_purpose"
    __table_args__ = (Index("ix_consent_purpose_purpose_consent_id", "purpose", "consent_id"),)

    consent_id: uuid.UUID = Field(foreign_key="consent.id", primary_key=True)
    purpose: str = Field(primary_key=True, max_length=30)


class ConsentRecipient(SQLModel, table=True):
    """Who may receive shared data: a named organisation or any organisation of a kind."""

    __tablename__ = "consent_recipient"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    consent_id: uuid.UUID = Field(foreign_key="consent.id", index=True)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    organisation_kind: str | None = Field(default=None, max_length=40)


class LonelinessMeasurement(SQLModel, table=True):
    """A Three-Item Loneliness Scale answer: items 1–3 each, total 3–9 (computed by the service)."""

    __tablename__ = "loneliness_measurement"
    # the report looks up each follow-up's latest intake measurement
    __table_args__ = (Index("ix_loneliness_measurement_person_context_time", "person_id", "context", "measured_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    item1: int
    item2: int
    item3: int
    total: int
    measured_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    context: str = Field(max_length=20)
    # set for follow-up measurements recorded when a referral is completed ("what works" in reports)
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referral.id", index=True)
    # follow-up total minus the person's latest intake total before it, stored when the follow-up is recorded
    # so reports need no correlated intake lookup ("what works"); None without an earlier intake
    tils_change: int | None = None
    recorded_by: uuid.UUID
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ConsentDocument(SQLModel, table=True):
    """The signed consent form (PDF or image), AES-256-GCM encrypted under the key ring. No file name is kept:
    names of files often carry the person's name. Deleted when the person is erased."""

    __tablename__ = "consent_document"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    consent_id: uuid.UUID = Field(foreign_key="consent.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    content_type: str = Field(max_length=40)
    size_bytes: int
    key_id: str = Field(max_length=20, index=True)
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: uuid.UUID
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
