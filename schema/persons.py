"""Persons, consents and loneliness measurements over GraphQL: the same service functions as REST.

`Person.consents` and `Person.lonelinessMeasurements` resolve through per-request dataloaders, so a page of
persons with both costs a constant number of SQL statements. List items (`PersonSummary`) carry no CPR.
"""

import dataclasses
import uuid
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from schema.context import Info
from schema.errors import Problem, attempt, or_none
from schema.loaders import consents_loader, measurements_loader
from schema.organisations import OrganisationKind
from schema.pagination import Connection, page_args
from service.persons import consents, measurements, narrowing, service
from service.persons.dto import (
    ConsentCreate,
    ConsentRead,
    ConsentWithdraw,
    MeasurementCreate,
    MeasurementRead,
    PersonCreate,
    PersonRead,
    PersonSearch,
    PersonUpdate,
)
from service.persons.dto import (
    PersonSummary as PersonSummaryRead,
)
from service.persons.models import ConsentGivenBy as ConsentGivenByEnum
from service.persons.models import ConsentMethod as ConsentMethodEnum
from service.persons.models import ConsentPurpose as ConsentPurposeEnum
from service.persons.models import DataCategory as DataCategoryEnum
from service.persons.models import DisabilityType as DisabilityTypeEnum
from service.persons.models import Gender as GenderEnum
from service.persons.models import MeasurementContext as MeasurementContextEnum
from service.reference.vocabulary import AccessibilityFeature as AccessibilityFeatureEnum

ConsentPurpose = strawberry.enum(ConsentPurposeEnum)
ConsentGivenBy = strawberry.enum(ConsentGivenByEnum)
ConsentMethod = strawberry.enum(ConsentMethodEnum)
DataCategory = strawberry.enum(DataCategoryEnum)
DisabilityType = strawberry.enum(DisabilityTypeEnum)
Gender = strawberry.enum(GenderEnum)
MeasurementContext = strawberry.enum(MeasurementContextEnum)
AccessibilityFeature = strawberry.enum(AccessibilityFeatureEnum)


def _from(cls: Any, read: Any, **override: Any) -> Any:
    names = {f.name for f in dataclasses.fields(cls) if f.init} & set(type(read).model_fields)
    values = {name: getattr(read, name) for name in names if name not in override}
    return cls(**values, **override)


@strawberry.type
class Consent:
    id: uuid.UUID
    person_id: uuid.UUID
    status: str = strawberry.field(description="active | withdrawn | expired, evaluated now")
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
    replaces_consent_id: uuid.UUID | None = strawberry.field(
        default=None, description="This consent is what remained of that one after a narrowed withdrawal.")
    replaced_by_consent_id: uuid.UUID | None = strawberry.field(
        default=None, description="A narrowed withdrawal ended this consent; the successor holds the rest.")

    @classmethod
    def from_read(cls, c: ConsentRead) -> "Consent":
        return _from(cls, c)


@strawberry.type
class LonelinessMeasurement:
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

    @classmethod
    def from_read(cls, m: MeasurementRead) -> "LonelinessMeasurement":
        return _from(cls, m)


@strawberry.type
class PersonRiskSetting:
    code: str
    disability_types: list[str] | None


@strawberry.type(description="A person as listed and searched: never carries a CPR number.")
class PersonSummary:
    id: uuid.UUID
    organisation_id: uuid.UUID
    status: str
    registration_active: bool
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
    risk_settings: list[PersonRiskSetting]
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

    @strawberry.field(description="Every consent, newest first (status evaluated now).")
    async def consents(self, info: Info) -> list[Consent]:
        return [Consent.from_read(c) for c in await consents_loader(info.context).load(self.id)]

    @strawberry.field(description="The T-ILS history, oldest first.")
    async def loneliness_measurements(self, info: Info) -> list[LonelinessMeasurement]:
        return [LonelinessMeasurement.from_read(m) for m in await measurements_loader(info.context).load(self.id)]

    @classmethod
    def from_read(cls, p: PersonSummaryRead) -> "PersonSummary":
        return _from(cls, p, risk_settings=[PersonRiskSetting(code=r.code, disability_types=r.disability_types)
                                            for r in p.risk_settings])


@strawberry.type(description="One person in full; `cpr` is masked unless you hold persons:read_cpr.")
class Person(PersonSummary):
    cpr: str | None
    cpr_masked: bool

    @classmethod
    def from_read(cls, p: PersonSummaryRead) -> "Person":
        return _from(cls, p, risk_settings=[PersonRiskSetting(code=r.code, disability_types=r.disability_types)
                                            for r in p.risk_settings])


@strawberry.input
class PersonFilter:
    name: str | None = strawberry.field(default=None, description="Every word in the given or family name")
    cpr: str | None = strawberry.field(default=None, description="Exact match")
    birth_year: int | None = None
    municipality_code: str | None = None
    risk_setting: str | None = None
    severe: bool | None = None


@strawberry.input
class RiskSettingInput:
    code: str
    disability_types: list[DisabilityType] | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input
class ConsentInput:
    purposes: list[ConsentPurpose]  # type: ignore[valid-type]
    given_by: ConsentGivenBy  # type: ignore[valid-type]
    method: ConsentMethod  # type: ignore[valid-type]
    consent_text_version: str
    recipient_organisation_ids: list[uuid.UUID] | None = strawberry.UNSET
    recipient_organisation_kinds: list[OrganisationKind] | None = strawberry.UNSET  # type: ignore[valid-type]
    data_categories: list[DataCategory] | None = strawberry.UNSET  # type: ignore[valid-type]
    representative_name: str | None = strawberry.UNSET
    evidence_reference: str | None = strawberry.UNSET
    given_at: datetime | None = strawberry.UNSET
    expires_at: datetime | None = strawberry.UNSET


@strawberry.input
class PersonCreateInput:
    given_name: str
    family_name: str
    municipality_code: str
    risk_settings: list[RiskSettingInput]
    consent: ConsentInput
    birth_date: date | None = strawberry.UNSET
    birth_year: int | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET  # type: ignore[valid-type]
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    interests: list[str] | None = strawberry.UNSET
    accessibility_needs: list[AccessibilityFeature] | None = strawberry.UNSET  # type: ignore[valid-type]
    notes: str | None = strawberry.UNSET
    cpr: str | None = strawberry.UNSET
    confirm_not_duplicate: bool = False


@strawberry.input
class PersonUpdateInput:
    given_name: str | None = strawberry.UNSET
    family_name: str | None = strawberry.UNSET
    municipality_code: str | None = strawberry.UNSET
    risk_settings: list[RiskSettingInput] | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    birth_year: int | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET  # type: ignore[valid-type]
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    interests: list[str] | None = strawberry.UNSET
    accessibility_needs: list[AccessibilityFeature] | None = strawberry.UNSET  # type: ignore[valid-type]
    notes: str | None = strawberry.UNSET
    cpr: str | None = strawberry.UNSET


@strawberry.input
class LonelinessMeasurementInput:
    item1: int
    item2: int
    item3: int
    context: MeasurementContext  # type: ignore[valid-type]
    measured_at: datetime | None = strawberry.UNSET


def _plain(value: Any) -> Any:
    """Strawberry input → plain data for the Pydantic model; UNSET members are left out at every level."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not strawberry.UNSET}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


PersonResult = Annotated[Person | Problem, strawberry.union("PersonResult")]
ConsentResult = Annotated[Consent | Problem, strawberry.union("ConsentResult")]
LonelinessMeasurementResult = Annotated[LonelinessMeasurement | Problem,
                                        strawberry.union("LonelinessMeasurementResult")]


def _person(read: PersonRead) -> Person:
    return Person.from_read(read)


@strawberry.type
class Query:
    @strawberry.field(description="One person of your organisation (null when not visible to you).")
    def person(self, info: Info, id: uuid.UUID) -> Person | None:
        principal = info.context.require_principal()
        return or_none(lambda: _person(service.get(info.context.session, principal, id)))

    @strawberry.field(description="Your organisation's persons; every search is audited with its criteria.")
    def persons(self, info: Info, filter: PersonFilter | None = None, first: int | None = None,
                after: str | None = None) -> Connection[PersonSummary]:
        principal = info.context.require_principal()
        search = PersonSearch.model_validate(_plain(filter) if filter else {})
        items, cursor = service.list_persons(info.context.session, principal, page_args(first, after), search)
        return Connection(items=[PersonSummary.from_read(p) for p in items], next_cursor=cursor)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a person with an initial consent that includes `registration`.")
    def create_person(self, info: Info, input: PersonCreateInput) -> PersonResult:
        return attempt(info, lambda: _person(service.create(
            info.context.session, info.context.require_principal(), PersonCreate.model_validate(_plain(input)))))

    @strawberry.mutation(description="Change a person; `version` is the version you read (stale → 412).")
    def update_person(self, info: Info, id: uuid.UUID, version: int, input: PersonUpdateInput) -> PersonResult:
        return attempt(info, lambda: _person(service.update(
            info.context.session, info.context.require_principal(), id,
            PersonUpdate.model_validate(_plain(input)), version)))

    @strawberry.mutation
    def give_consent(self, info: Info, person_id: uuid.UUID, input: ConsentInput) -> ConsentResult:
        return attempt(info, lambda: Consent.from_read(consents.give_consent(
            info.context.session, info.context.require_principal(), person_id,
            ConsentCreate.model_validate(_plain(input)))))

    @strawberry.mutation(description="Withdraw a consent — whole, or only some purposes / recipients (the rest "
                                     "continues as a successor consent); the last registration consent erases.")
    def withdraw_consent(self, info: Info, person_id: uuid.UUID, consent_id: uuid.UUID,
                         reason: str | None = None,
                         purposes: list[ConsentPurpose] | None = None,  # type: ignore[valid-type]
                         recipient_organisation_ids: list[uuid.UUID] | None = None,
                         recipient_organisation_kinds: list[OrganisationKind] | None = None,  # type: ignore[valid-type]
                         ) -> ConsentResult:
        def run() -> Consent:
            body = ConsentWithdraw.model_validate({
                "reason": reason, "purposes": purposes, "recipient_organisation_ids": recipient_organisation_ids,
                "recipient_organisation_kinds": recipient_organisation_kinds})
            return Consent.from_read(narrowing.withdraw(
                info.context.session, info.context.require_principal(), person_id, consent_id, body))
        return attempt(info, run)

    @strawberry.mutation
    def record_loneliness_measurement(self, info: Info, person_id: uuid.UUID,
                                      input: LonelinessMeasurementInput) -> LonelinessMeasurementResult:
        return attempt(info, lambda: LonelinessMeasurement.from_read(measurements.record_measurement(
            info.context.session, info.context.require_principal(), person_id,
            MeasurementCreate.model_validate(_plain(input)))))
