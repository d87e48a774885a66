import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, EmailStr, Field, model_validator

from service.core.dto import InputModel, OutputModel
from service.offers.models import OfferCategory, OfferMode, OfferStatus
from service.offers.schedule import Schedule
from service.organisations.dto import MunicipalityCode, Phone, Postcode
from service.reference.vocabulary import LANGUAGE_PATTERN, AccessibilityFeature

LanguageCode = Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
RiskSettingCode = Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")]
Age = Annotated[int, Field(ge=0, le=120)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


Codes = Annotated[list[MunicipalityCode], Field(max_length=98), AfterValidator(_unique)]


class OfferFields(InputModel):
    """Everything an offer says about itself; create, import and (merged) updates validate with this."""

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=4000)
    category: OfferCategory
    risk_settings: Annotated[list[RiskSettingCode], Field(max_length=20), AfterValidator(_unique)] = Field(
        default_factory=list, description="Recommendation 4 risk settings the offer is meant for.")
    min_age: Age | None = None
    max_age: Age | None = None
    mode: OfferMode
    nationwide: bool = Field(default=False, description="Serves the whole country (phone, online or hybrid).")
    municipality_codes: Codes = Field(default_factory=list, description="Municipalities served.")
    address: str | None = Field(default=None, max_length=200)
    postcode: Postcode | None = None
    city: str | None = Field(default=None, max_length=80)
    latitude: float | None = Field(default=None, ge=54.0, le=58.0)
    longitude: float | None = Field(default=None, ge=7.5, le=15.5)
    confidential_location: bool = Field(
        default=False, description="Hide address, postcode and coordinates from all but the provider "
                                   "and organisations with an accepted referral.")
    schedule: Schedule | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000, description="Places; null = unlimited.")
    languages: Annotated[list[LanguageCode], Field(max_length=20), AfterValidator(_unique)] = Field(
        default_factory=list, description="ISO 639 codes, e.g. da, en, ar.")
    accessibility: Annotated[list[AccessibilityFeature], Field(max_length=20), AfterValidator(_unique)] = Field(
        default_factory=list)
    cost_free: bool = True
    cost_text: str | None = Field(default=None, max_length=200)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_email: EmailStr | None = None
    contact_phone: Phone | None = None
    website: str | None = Field(default=None, max_length=300, pattern=r"^https?://")
    external_id: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$",
                                    description="The provider's own key (e.g. its spreadsheet row id), unique per "
                                                "provider; re-importing a file updates the offer with this key.")
    eligibility: str | None = Field(default=None, max_length=1000,
                                    description="Who the offer is for and any conditions, in plain words.")
    intake: str | None = Field(default=None, max_length=1000,
                               description="How to join: sign-up, visitation, the first meeting.")
    transport_notes: str | None = Field(default=None, max_length=500,
                                        description="Getting there: public transport, parking, pick-up.")

    @model_validator(mode="after")
    def _consistent(self) -> "OfferFields":
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age must not be greater than max_age")
        if self.nationwide:
            if self.mode == OfferMode.in_person:
                raise ValueError("an in-person offer cannot be nationwide; list the municipalities it serves")
            if self.municipality_codes:
                raise ValueError("a nationwide offer lists no municipalities")
        elif not self.municipality_codes:
            raise ValueError("municipality_codes is required unless the offer is nationwide")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        if not self.cost_free and not self.cost_text:
            raise ValueError("cost_text is required when the offer is not free")
        return self


class OfferCreate(OfferFields):
    status: OfferStatus = Field(default=OfferStatus.draft,
                                description="draft (default) or published; later changes go through /status.")

    @model_validator(mode="after")
    def _initial_status(self) -> "OfferCreate":
        if self.status not in (OfferStatus.draft, OfferStatus.published):
            raise ValueError("a new offer is draft or published")
        return self


class OfferUpdate(InputModel):
    """Partial update; the merged offer is validated again as a whole."""

    title: str | None = None
    description: str | None = None
    category: OfferCategory | None = None
    risk_settings: list[str] | None = None
    min_age: int | None = None
    max_age: int | None = None
    mode: OfferMode | None = None
    nationwide: bool | None = None
    municipality_codes: list[str] | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    confidential_location: bool | None = None
    schedule: Schedule | None = None
    capacity: int | None = None
    languages: list[str] | None = None
    accessibility: list[AccessibilityFeature] | None = None
    cost_free: bool | None = None
    cost_text: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    website: str | None = None
    external_id: str | None = None
    eligibility: str | None = None
    intake: str | None = None
    transport_notes: str | None = None


class StatusChange(InputModel):
    status: OfferStatus


class Occurrence(OutputModel):
    starts_at: datetime = Field(description="Local time in Europe/Copenhagen, with its UTC offset.")
    ends_at: datetime


class OfferRead(OutputModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    provider_name: str = Field(description="The provider organisation's name (public with the offer).")
    title: str
    description: str
    category: OfferCategory
    risk_settings: list[str]
    min_age: int | None
    max_age: int | None
    mode: OfferMode
    nationwide: bool
    municipality_codes: list[str]
    address: str | None
    postcode: str | None
    city: str | None
    latitude: float | None
    longitude: float | None
    confidential_location: bool
    location_hidden: bool = Field(description="True when the caller may not see the confidential location.")
    schedule: Schedule | None
    rrule: str | None = Field(description="The schedule as an RFC 5545 RRULE.")
    capacity: int | None
    seats_taken: int
    available_places: int | None = Field(description="capacity - seats_taken; null = unlimited.")
    languages: list[str]
    accessibility: list[AccessibilityFeature]
    cost_free: bool
    cost_text: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    website: str | None
    external_id: str | None
    eligibility: str | None
    intake: str | None
    transport_notes: str | None
    next_occurrences: list[Occurrence] = Field(
        description="The next (at most 5) meetings computed from the schedule; empty when by agreement.")
    status: OfferStatus
    version: int
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ImportRow(OutputModel):
    row: int = Field(description="The spreadsheet row (the header is row 1).")
    action: str = Field(description="create or update (an existing offer with the row's external_id).")
    id: uuid.UUID | None = Field(description="The offer; null for a create in a dry run.")
    external_id: str | None


class ImportResult(OutputModel):
    dry_run: bool = Field(description="True: validated and reported, nothing written.")
    created: int
    updated: int
    ids: list[uuid.UUID] = Field(description="The offers written (in a dry run: the ones that would be updated).")
    rows: list[ImportRow]


# Fields of the offer row itself (the rest live in child tables).
ROW_FIELDS = ("title", "description", "category", "min_age", "max_age", "mode", "nationwide", "address",
              "postcode", "city", "latitude", "longitude", "confidential_location", "capacity", "cost_free",
              "cost_text", "contact_name", "contact_email", "contact_phone", "website", "external_id", "eligibility",
              "intake", "transport_notes")
CHILD_FIELDS = ("municipality_codes", "risk_settings", "languages", "accessibility")
