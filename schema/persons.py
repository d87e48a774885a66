"""Persons, consents and loneliness measurements over GraphQL: the same service functions as REST.

`Person.consents` and `Person.lonelinessMeasurements` resolve through per-request dataloaders, so a page of
persons with both costs a constant number of SQL statements. List items (`PersonSummary`) carry no CPR.
"""

import uuid
from datetime import date, datetime
from typing import Annotated

import strawberry

from schema.context import Info
from schema.derive import ReadType, read_type
from schema.enums import (
    AccessibilityFeature,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    DataCategory,
    DisabilityType,
    Gender,
    MeasurementContext,
    OrganisationKind,
)
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.pagination import Connection, connection, loaded_page, page_args
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
    RiskSettingRead,
)
from service.persons.dto import PersonSummary as PersonSummaryRead


@read_type(ConsentRead, exclude={"expired_recorded_at", "created_at"}, descriptions={
    "replaced_by_consent_id": "A narrowed withdrawal ended this consent; the successor holds the rest."})
class Consent(ReadType[ConsentRead]):
    pass


@read_type(MeasurementRead, exclude={"created_at"})
class LonelinessMeasurement(ReadType[MeasurementRead]):
    pass


@read_type(RiskSettingRead, name="PersonRiskSetting")
class PersonRiskSetting(ReadType[RiskSettingRead]):
    pass


@read_type(PersonSummaryRead, description="A person as listed and searched: never carries a CPR number.")
class PersonSummary(ReadType[PersonSummaryRead]):
    @strawberry.field(description="Every consent, newest first (status evaluated now).")
    async def consents(self, root: strawberry.Parent[PersonSummaryRead], info: Info) -> list[Consent]:
        return Consent.from_reads(await info.context.loaders.person_consents.load(root.id))

    @strawberry.field(description=(
        "The T-ILS history, oldest first, a page at a time like REST (`{items, nextCursor}`). The first page "
        "comes from the request's dataloader (constant statements for a page of persons); `after` reads on "
        "for this one person."))
    async def loneliness_measurements(self, root: strawberry.Parent[PersonSummaryRead], info: Info,
                                      first: int | None = None,
                                      after: str | None = None) -> Connection[LonelinessMeasurement]:
        page = page_args(first, after)
        if page.cursor is not None:
            return connection(measurements.list_measurements(info.context.session, info.context.require_principal(),
                                                             root.id, page))
        history = await info.context.loaders.person_measurements.load(root.id)
        return connection(loaded_page(history, page, lambda m: [m.measured_at, m.id]))


@read_type(PersonRead, description="One person in full; `cpr` is masked unless you hold persons:read_cpr.")
class Person(PersonSummary):
    pass


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
    disability_types: list[DisabilityType] | None = strawberry.UNSET


@strawberry.input
class ConsentInput:
    purposes: list[ConsentPurpose]
    given_by: ConsentGivenBy
    method: ConsentMethod
    consent_text_version: str
    recipient_organisation_ids: list[uuid.UUID] | None = strawberry.UNSET
    recipient_organisation_kinds: list[OrganisationKind] | None = strawberry.UNSET
    data_categories: list[DataCategory] | None = strawberry.UNSET
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
    gender: Gender | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    interests: list[str] | None = strawberry.UNSET
    accessibility_needs: list[AccessibilityFeature] | None = strawberry.UNSET
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
    gender: Gender | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    interests: list[str] | None = strawberry.UNSET
    accessibility_needs: list[AccessibilityFeature] | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    cpr: str | None = strawberry.UNSET
    confirm_not_duplicate: bool = False


@strawberry.input
class LonelinessMeasurementInput:
    item1: int
    item2: int
    item3: int
    context: MeasurementContext
    measured_at: datetime | None = strawberry.UNSET


PersonResult = Annotated[Person | Problem, strawberry.union("PersonResult")]
ConsentResult = Annotated[Consent | Problem, strawberry.union("ConsentResult")]
LonelinessMeasurementResult = Annotated[LonelinessMeasurement | Problem,
                                        strawberry.union("LonelinessMeasurementResult")]


@strawberry.type
class Query:
    @strawberry.field(description="One person of your organisation (null when not visible to you).")
    @null_if_not_found
    def person(self, info: Info, id: uuid.UUID) -> Person | None:
        return Person.from_read(service.get(info.context.session, info.context.require_principal(), id))

    @strawberry.field(description="Your organisation's persons; every search is audited with its criteria.")
    def persons(self, info: Info, filter: PersonFilter | None = None, first: int | None = None,
                after: str | None = None) -> Connection[PersonSummary]:
        principal = info.context.require_principal()
        search = parse(PersonSearch, filter or {})
        return connection(service.list_persons(info.context.session, principal, page_args(first, after), search))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a person with an initial consent that includes `registration`.")
    @mutation_result
    def create_person(self, info: Info, input: PersonCreateInput) -> PersonResult:
        return Person.from_read(service.create(info.context.session, info.context.require_principal(),
                                               parse(PersonCreate, input)))

    @strawberry.mutation(description="Change a person; `version` is the version you read (stale → 412).")
    @mutation_result
    def update_person(self, info: Info, id: uuid.UUID, version: int, input: PersonUpdateInput) -> PersonResult:
        return Person.from_read(service.update(info.context.session, info.context.require_principal(), id,
                                               parse(PersonUpdate, input), version))

    @strawberry.mutation
    @mutation_result
    def give_consent(self, info: Info, person_id: uuid.UUID, input: ConsentInput) -> ConsentResult:
        return Consent.from_read(consents.give_consent(info.context.session, info.context.require_principal(),
                                                      person_id, parse(ConsentCreate, input)))

    @strawberry.mutation(description="Withdraw a consent — whole, or only some purposes / recipients (the rest "
                                     "continues as a successor consent); the last registration consent erases.")
    @mutation_result
    def withdraw_consent(self, info: Info, person_id: uuid.UUID, consent_id: uuid.UUID,
                         reason: str | None = None,
                         purposes: list[ConsentPurpose] | None = None,
                         recipient_organisation_ids: list[uuid.UUID] | None = None,
                         recipient_organisation_kinds: list[OrganisationKind] | None = None,
                         ) -> ConsentResult:
        body = parse(ConsentWithdraw, {"reason": reason, "purposes": purposes,
                                       "recipient_organisation_ids": recipient_organisation_ids,
                                       "recipient_organisation_kinds": recipient_organisation_kinds})
        return Consent.from_read(narrowing.withdraw(info.context.session, info.context.require_principal(),
                                                    person_id, consent_id, body))

    @strawberry.mutation
    @mutation_result
    def record_loneliness_measurement(self, info: Info, person_id: uuid.UUID,
                                      input: LonelinessMeasurementInput) -> LonelinessMeasurementResult:
        return LonelinessMeasurement.from_read(measurements.record_measurement(
            info.context.session, info.context.require_principal(), person_id, parse(MeasurementCreate, input)))
