"""Persons, consents and loneliness measurements over GraphQL: the same service functions as REST.

`Person.consents` and `Person.lonelinessMeasurements` resolve through per-request dataloaders, so a page of
persons with both costs a constant number of SQL statements. List items (`PersonSummary`) carry no CPR.
"""

import uuid
from typing import Annotated

import strawberry

from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.enums import (
    ConsentPurpose,
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
    RiskSettingIn,
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


@input_type(PersonSearch, published_defaults=True)
class PersonFilter:
    pass


@input_type(RiskSettingIn)
class RiskSettingInput:
    pass


@input_type(ConsentCreate)
class ConsentInput:
    pass


@input_type(PersonCreate)
class PersonCreateInput:
    confirm_not_duplicate: bool = False  # published as `Boolean! = false`, as before the inputs were derived


@input_type(PersonUpdate)
class PersonUpdateInput:
    pass


@input_type(MeasurementCreate)
class LonelinessMeasurementInput:
    pass


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
