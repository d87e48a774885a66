"""Referrals, their transition history (which doubles as the partner event log), contact agreements and the
contact log of the phone-friend practice."""

import uuid
from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, new_record_key, utcnow


class ReferralStatus(StrEnum):
    sent = "sent"
    accepted = "accepted"
    declined = "declined"
    started = "started"
    completed = "completed"
    ended_early = "ended_early"
    withdrawn = "withdrawn"
    expired = "expired"


class ReasonCode(StrEnum):
    no_capacity = "no_capacity"
    not_eligible = "not_eligible"
    not_reachable = "not_reachable"
    person_declined = "person_declined"
    accessibility_barrier = "accessibility_barrier"
    transport_barrier = "transport_barrier"
    language_barrier = "language_barrier"
    digital_barrier = "digital_barrier"
    consent_withdrawn = "consent_withdrawn"
    sla_expired = "sla_expired"
    other = "other"


class Outcome(StrEnum):
    attended_regularly = "attended_regularly"
    attended_some = "attended_some"
    did_not_attend = "did_not_attend"


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_provider_status", "provider_organisation_id", "status"),
        Index("ix_referral_referrer_status", "referring_organisation_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    offer_id: uuid.UUID = Field(foreign_key="offer.id", index=True)
    referring_organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    provider_organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    created_by: uuid.UUID
    message: str | None = Field(default=None, max_length=2000)
    # Data categories the referrer chose to share; at read time intersected with the live consent.
    shared_categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # who at the referring organisation the provider calls back (a staff member, not the referred person)
    referrer_contact_name: str | None = Field(default=None, max_length=200)
    referrer_contact_phone: str | None = Field(default=None, max_length=30)
    referrer_contact_email: str | None = Field(default=None, max_length=254)
    status: str = Field(max_length=20, index=True)
    reason_code: str | None = Field(default=None, max_length=40)
    outcome: str | None = Field(default=None, max_length=30)
    # True while this referral holds one of the offer's places (accepted or started).
    holds_seat: bool = False
    sent_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    version: int = 1
    # the Cell Key Method's record key (reports' disclosure control)
    record_key: int = Field(default_factory=new_record_key, sa_column_kwargs={"server_default": "0"})


class ReferralTransition(SQLModel, table=True):
    """One row per state change. Its increasing id is the cursor of `GET /api/v1/events`."""

    __tablename__ = "referral_transition"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    reason_code: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)
    actor_id: uuid.UUID | None = None
    actor_organisation_id: uuid.UUID | None = None
    # Denormalised so the event feed is one indexed query per organisation.
    referring_organisation_id: uuid.UUID = Field(index=True)
    provider_organisation_id: uuid.UUID = Field(index=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ContactChannel(StrEnum):
    phone = "phone"
    visit = "visit"
    video = "video"
    meeting = "meeting"


class Cadence(StrEnum):
    weekly = "weekly"
    every_other_week = "every_other_week"
    monthly = "monthly"
    by_agreement = "by_agreement"


class PsychosocialElement(StrEnum):
    """The five elements of psychosocial support (Red Cross guide)."""

    tryghed = "tryghed"
    ro = "ro"
    handlekraft = "handlekraft"
    faellesskab = "fællesskab"
    haab = "håb"


class ContactAgreement(SQLModel, table=True):
    __tablename__ = "contact_agreement"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", unique=True)
    provider_organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    channel: str = Field(max_length=20)
    cadence: str = Field(max_length=20)
    weekday: int | None = Field(default=None, ge=0, le=6)  # 0 = Monday
    time_of_day: time | None = None
    note: str | None = Field(default=None, max_length=1000)
    next_contact_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True,
                                                                              index=True))
    updated_by: uuid.UUID
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ContactLogEntry(SQLModel, table=True):
    __tablename__ = "contact_log_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    contacted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    duration_minutes: int = Field(ge=0, le=600)
    channel: str = Field(max_length=20)
    elements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    parked_topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    next_contact_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    next_contact_agenda: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=2000)
    recorded_by: uuid.UUID
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

