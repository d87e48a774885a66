"""The offer directory: offers and the child tables every SQL filter and report aggregates over.

Capacity contract (referrals build on it): `capacity` NULL means unlimited places; `seats_taken` counts
places held by accepted referrals. Take a place atomically with
`UPDATE offer SET seats_taken = seats_taken + 1 WHERE id = :id AND (capacity IS NULL OR seats_taken < capacity)`
(one row updated = got a place); the named CHECK `ck_offer_seats_within_capacity` refuses overbooking even
if a caller forgets the WHERE clause.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class OfferCategory(StrEnum):
    phone_friend = "phone_friend"
    visiting_friend = "visiting_friend"
    walk_and_talk = "walk_and_talk"
    shared_meal = "shared_meal"
    activity_group = "activity_group"
    culture = "culture"
    sport_outdoor = "sport_outdoor"
    digital_community = "digital_community"
    peer_support_group = "peer_support_group"
    relatives_group = "relatives_group"
    mentoring = "mentoring"
    intergenerational = "intergenerational"
    counselling = "counselling"
    other = "other"


class OfferMode(StrEnum):
    in_person = "in_person"
    phone = "phone"
    online = "online"
    hybrid = "hybrid"


class OfferStatus(StrEnum):
    draft = "draft"
    published = "published"
    paused = "paused"
    closed = "closed"


class Offer(SQLModel, table=True):
    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint("seats_taken <= capacity", name="seats_within_capacity"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        CheckConstraint("min_age <= max_age", name="age_range"),
        # Re-importing a provider's spreadsheet updates the offer with the same external_id (NULLs never clash).
        UniqueConstraint("organisation_id", "external_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=200, index=True)
    description: str = Field(max_length=4000)
    category: str = Field(max_length=40, index=True)
    min_age: int | None = None
    max_age: int | None = None
    mode: str = Field(max_length=20, index=True)
    nationwide: bool = False
    address: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=4)
    city: str | None = Field(default=None, max_length=80)
    latitude: float | None = None
    longitude: float | None = None
    # Shelters and crisis centres: address, postcode and coordinates only for the provider and
    # organisations granted access (service/offers/policy.py).
    confidential_location: bool = False
    # Structured recurrence (service/offers/schedule.py), or {"by_agreement": true}.
    schedule: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    capacity: int | None = None  # NULL = unlimited
    seats_taken: int = 0
    cost_free: bool = True
    cost_text: str | None = Field(default=None, max_length=200)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=30)
    website: str | None = Field(default=None, max_length=300)
    # The provider's own key for the offer (its spreadsheet row), unique per provider: the CSV import upserts on it.
    external_id: str | None = Field(default=None, max_length=100)
    eligibility: str | None = Field(default=None, max_length=1000)  # who the offer is for, in the provider's words
    intake: str | None = Field(default=None, max_length=1000)  # how to join: sign-up, visitation, first meeting
    transport_notes: str | None = Field(default=None, max_length=500)
    # Folded copies for the Danish-aware search (service/core/folding.py), written with every change.
    title_folded: str = Field(default="", max_length=400, sa_column_kwargs={"server_default": ""})
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    address_folded: str | None = Field(default=None, max_length=400)
    status: str = Field(max_length=20, index=True)
    version: int = 1
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OfferMunicipality(SQLModel, table=True):
    """A municipality the offer serves (nationwide offers have none and match every municipality)."""

    __tablename__ = "offer_municipality"

    offer_id: uuid.UUID = Field(foreign_key="offer.id", primary_key=True, ondelete="CASCADE")
    municipality_code: str = Field(foreign_key="municipality.code", primary_key=True, max_length=4, index=True)


class OfferRiskSetting(SQLModel, table=True):
    __tablename__ = "offer_risk_setting"

    offer_id: uuid.UUID = Field(foreign_key="offer.id", primary_key=True, ondelete="CASCADE")
    risk_setting_code: str = Field(foreign_key="risk_setting.code", primary_key=True, max_length=40, index=True)


class OfferAccessibility(SQLModel, table=True):
    __tablename__ = "offer_accessibility"

    offer_id: uuid.UUID = Field(foreign_key="offer.id", primary_key=True, ondelete="CASCADE")
    feature: str = Field(primary_key=True, max_length=40, index=True)


class OfferLanguage(SQLModel, table=True):
    __tablename__ = "offer_language"

    offer_id: uuid.UUID = Field(foreign_key="offer.id", primary_key=True, ondelete="CASCADE")
    language: str = Field(primary_key=True, max_length=3, index=True)
