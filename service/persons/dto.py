"""Input and output models for persons, consents and loneliness measurements.

No validator message ever repeats the rejected value (names, CPR, contact details are personal data).
"""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, EmailStr, Field, field_validator, model_validator

from service.core.dto import InputModel, OutputModel
from service.core.types import utcnow
from service.organisations.dto import MunicipalityCode, Phone
from service.organisations.models import OrganisationKind
from service.persons import cpr as cpr_codec
from service.persons.models import (
    DISABILITY_SETTING,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    DataCategory,
    DisabilityType,
    Gender,
    MeasurementContext,
)
from service.persons.models import MeasurementForm as MeasurementForm  # re-exported for the doors
from service.reference.vocabulary import LANGUAGE_PATTERN, AccessibilityFeature


def _valid_cpr(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return cpr_codec.normalise(value)
    except cpr_codec.InvalidCpr as exc:
        raise ValueError(str(exc)) from None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-01-31T10:00:00Z)")
    return value.astimezone(UTC) if value is not None else None


Cpr = Annotated[str, Field(min_length=10, max_length=11), AfterValidator(_valid_cpr)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[\w][\w \-]*$")]
AwareDateTime = Annotated[datetime, AfterValidator(_aware)]
Language = Annotated[str, Field(pattern=LANGUAGE_PATTERN, description="ISO 639-1/-3 code, e.g. da, en, ar")]
RiskCode = Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")]


def _unique(values: list[Any] | None, what: str) -> list[Any] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")
    return values


class RiskSettingIn(InputModel):
    code: RiskCode
    disability_types: list[DisabilityType] | None = Field(default=None, max_length=3)

    @model_validator(mode="after")
    def _disability_types_only_for_disability(self) -> Self:
        _unique(self.disability_types, "disability_types")
        if self.code == DISABILITY_SETTING and not self.disability_types:
            raise ValueError("disability_at_home needs disability_types (physical, mental, cognitive)")
        if self.code != DISABILITY_SETTING and self.disability_types:
            raise ValueError("disability_types belong to disability_at_home only")
        return self


class ConsentCreate(InputModel):
    purposes: list[ConsentPurpose] = Field(min_length=1, max_length=5)
    recipient_organisation_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    recipient_organisation_kinds: list[OrganisationKind] = Field(default_factory=list, max_length=11)
    data_categories: list[DataCategory] = Field(default_factory=list, max_length=5)
    given_by: ConsentGivenBy
    representative_name: str | None = Field(default=None, min_length=2, max_length=200)
    method: ConsentMethod
    evidence_reference: str | None = Field(default=None, max_length=200)
    consent_text_version: str = Field(min_length=1, max_length=40)
    given_at: AwareDateTime | None = Field(default=None, description="Default: now. Not in the future.")
    expires_at: AwareDateTime | None = Field(
        default=None, description="Default: given_at + TVAERS_CONSENT_DEFAULT_DAYS. Must be in the future.")

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        _unique(self.purposes, "purposes")
        _unique(self.recipient_organisation_ids, "recipient_organisation_ids")
        _unique(self.recipient_organisation_kinds, "recipient_organisation_kinds")
        _unique(self.data_categories, "data_categories")
        if self.given_by == ConsentGivenBy.self and self.representative_name:
            raise ValueError("representative_name is only for consent given by a guardian or legal representative")
        if self.given_by != ConsentGivenBy.self and not self.representative_name:
            raise ValueError("representative_name is required when a guardian or legal representative consents")
        sharing = ConsentPurpose.referral_sharing in self.purposes
        has_recipients = bool(self.recipient_organisation_ids or self.recipient_organisation_kinds)
        if sharing and (not has_recipients or not self.data_categories):
            raise ValueError("referral_sharing needs recipients and data_categories")
        if not sharing and (has_recipients or self.data_categories):
            raise ValueError("recipients and data_categories are only for the referral_sharing purpose")
        now = utcnow()
        if self.given_at is not None and self.given_at > now:
            raise ValueError("given_at must not be in the future")
        if self.expires_at is not None and self.expires_at <= max(now, self.given_at or now):
            raise ValueError("expires_at must be in the future")
        return self


class ConsentWithdraw(InputModel):
    reason: str | None = Field(default=None, max_length=300)
    # Narrowing (service.persons.narrowing): withdraw only these purposes and/or recipients; the consent
    # ends and a successor records what remains. Nothing given → the whole consent is withdrawn.
    purposes: list[ConsentPurpose] | None = Field(default=None, min_length=1, max_length=5)
    recipient_organisation_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=50)
    recipient_organisation_kinds: list[OrganisationKind] | None = Field(default=None, min_length=1, max_length=11)

    @model_validator(mode="after")
    def _no_repeats(self) -> Self:
        _unique(self.purposes, "purposes")
        _unique(self.recipient_organisation_ids, "recipient_organisation_ids")
        _unique(self.recipient_organisation_kinds, "recipient_organisation_kinds")
        return self

    @property
    def narrows(self) -> bool:
        return bool(self.purposes or self.recipient_organisation_ids or self.recipient_organisation_kinds)


class _PersonFields(InputModel):
    birth_date: date | None = None
    birth_year: int | None = Field(default=None, description="When the date is unknown.")
    gender: Gender | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    preferred_language: Language | None = None
    interests: list[Tag] | None = Field(default=None, max_length=30)
    accessibility_needs: list[AccessibilityFeature] | None = Field(default=None, max_length=len(AccessibilityFeature))
    notes: str | None = Field(default=None, max_length=500, description="Short and minimised.")
    cpr: Cpr | None = Field(default=None, description="Optional; stored encrypted, shown masked.")

    @field_validator("interests", "accessibility_needs")
    @classmethod
    def _no_repeats(cls, value: list[Any] | None) -> list[Any] | None:
        return _unique(value, "values")

    @field_validator("birth_date")
    @classmethod
    def _birth_date_not_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError("birth_date must not be in the future")
        return value

    @field_validator("birth_year")
    @classmethod
    def _birth_year_range(cls, value: int | None) -> int | None:
        if value is not None and not 1900 <= value <= date.today().year:
            raise ValueError("birth_year must be between 1900 and the current year")
        return value


def _check_birth(birth_date: date | None, birth_year: int | None, cpr: str | None) -> None:
    conflict = cpr_codec.birth_conflict(birth_date, birth_year, cpr)
    if conflict is not None:
        raise ValueError(conflict[1])


class PersonCreate(_PersonFields):
    given_name: Name
    family_name: Name
    municipality_code: MunicipalityCode
    risk_settings: list[RiskSettingIn] = Field(min_length=1, max_length=9)
    consent: ConsentCreate = Field(description="The initial consent; it must include the registration purpose.")
    confirm_not_duplicate: bool = Field(
        default=False, description="Register although possible duplicates were found (the earlier 409 "
                                   "`possible-duplicate` named them); the decision is recorded as a link.")

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.birth_date is None and self.birth_year is None and self.cpr is None:
            raise ValueError("give birth_date, birth_year or cpr")
        _check_birth(self.birth_date, self.birth_year, self.cpr)
        _unique([r.code for r in self.risk_settings], "risk_settings")
        if ConsentPurpose.registration not in self.consent.purposes:
            raise ValueError("the initial consent must include the registration purpose")
        return self


class PersonUpdate(_PersonFields):
    given_name: Name | None = None
    family_name: Name | None = None
    municipality_code: MunicipalityCode | None = None
    risk_settings: list[RiskSettingIn] | None = Field(default=None, min_length=1, max_length=9)
    confirm_not_duplicate: bool = Field(
        default=False, description="Change the name or birth date although possible duplicates were found (the "
                                   "earlier 409 `possible-duplicate` named them); the decision is recorded as a link.")

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        for required in ("given_name", "family_name", "municipality_code", "risk_settings", "birth_year"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be removed")
        _check_birth(self.birth_date, self.birth_year, self.cpr)
        if self.risk_settings is not None:
            _unique([r.code for r in self.risk_settings], "risk_settings")
        return self


class PersonSearch(InputModel):
    """Search criteria sent in a POST body, so names and CPR numbers never appear in a URL."""

    name: str | None = Field(default=None, min_length=2, max_length=100,
                             description="Every word must occur in the given or family name.")
    cpr: Cpr | None = Field(default=None, description="Exact match through the keyed hash.")
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    municipality_code: MunicipalityCode | None = None
    risk_setting: RiskCode | None = None
    severe: bool | None = Field(default=None, description="Latest T-ILS total 7–9 (true) or below 7 (false).")


class TilsAnswers(InputModel):
    """The three T-ILS items (1–3 each) and when they were answered."""

    item1: int = Field(ge=1, le=3, description="Lack companionship: 1 hardly ever, 2 some of the time, 3 often")
    item2: int = Field(ge=1, le=3, description="Feel left out")
    item3: int = Field(ge=1, le=3, description="Feel isolated from others")
    measured_at: AwareDateTime | None = Field(default=None, description="Default: now. Not in the future.")

    @field_validator("measured_at")
    @classmethod
    def _not_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > utcnow():
            raise ValueError("measured_at must not be in the future")
        return value


class MeasurementCreate(TilsAnswers):
    context: MeasurementContext


class RiskSettingRead(OutputModel):
    code: str
    disability_types: list[str] | None = None


class PersonSummary(OutputModel):
    """The list/search read model: never carries a CPR number, masked or not."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    status: str
    registration_active: bool = Field(description="False once registration consent is withdrawn or expired.")
    given_name: str | None
    family_name: str | None
    birth_date: date | None
    birth_year: int
    age_group: str
    gender: str | None
    municipality_code: str
    phone: str | None
    email: str | None
    preferred_language: str | None
    risk_settings: list[RiskSettingRead]
    interests: list[str]
    accessibility_needs: list[str]
    notes: str | None
    active_consent_purposes: list[str]
    loneliness_latest_total: int | None
    loneliness_latest_at: datetime | None
    severe_loneliness: bool | None
    version: int
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None


class PersonRead(PersonSummary):
    cpr: str | None = Field(description="Masked DDMMYY-XXXX unless you hold persons:read_cpr.")
    cpr_masked: bool


class ConsentRead(OutputModel):
    id: uuid.UUID
    person_id: uuid.UUID
    status: str = Field(description="active | withdrawn | expired, evaluated now")
    purposes: list[str]
    recipient_organisation_ids: list[uuid.UUID]
    recipient_organisation_kinds: list[str]
    data_categories: list[str]
    given_by: str
    representative_name: str | None
    method: str
    evidence_reference: str | None
    consent_text_version: str
    recorded_by: uuid.UUID
    given_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_by: uuid.UUID | None
    withdrawal_reason: str | None
    expired_recorded_at: datetime | None
    created_at: datetime
    replaces_consent_id: uuid.UUID | None = Field(
        default=None, description="This consent is what remained of that one after a narrowed withdrawal.")
    replaced_by_consent_id: uuid.UUID | None = Field(
        default=None, description="A narrowed withdrawal ended this consent; the successor holds what remains.")


class MeasurementRead(OutputModel):
    id: uuid.UUID
    person_id: uuid.UUID
    item1: int
    item2: int
    item3: int
    total: int
    severe: bool
    measured_at: datetime
    context: str
    recorded_by: uuid.UUID
    created_at: datetime
