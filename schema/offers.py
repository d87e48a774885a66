import uuid
from datetime import date, datetime, time
from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import Problem, attempt, or_none, parse
from schema.loaders import organisation_loader, provider_name_loader
from schema.organisations import Organisation
from schema.pagination import Connection, page_args
from service.offers import service
from service.offers.dto import OfferCreate, OfferRead, OfferUpdate
from service.offers.models import OfferCategory as OfferCategoryEnum
from service.offers.models import OfferMode as OfferModeEnum
from service.offers.models import OfferStatus as OfferStatusEnum
from service.offers.schedule import Frequency as FrequencyEnum
from service.offers.schedule import Weekday as WeekdayEnum
from service.offers.search import check_near
from service.reference.vocabulary import AccessibilityFeature as AccessibilityFeatureEnum

OfferCategory = strawberry.enum(OfferCategoryEnum)
OfferMode = strawberry.enum(OfferModeEnum)
OfferStatus = strawberry.enum(OfferStatusEnum)
AccessibilityFeature = strawberry.enum(AccessibilityFeatureEnum)
Weekday = strawberry.enum(WeekdayEnum)
ScheduleFrequency = strawberry.enum(FrequencyEnum, name="ScheduleFrequency")


@strawberry.type(description="When an offer meets (iCalendar RRULE semantics), or by agreement.")
class OfferSchedule:
    by_agreement: bool
    freq: ScheduleFrequency | None  # type: ignore[valid-type]
    interval: int
    weekdays: list[Weekday]  # type: ignore[valid-type]
    week_of_month: int | None
    month_day: int | None
    start_time: time | None
    end_time: time | None
    valid_from: date | None
    valid_to: date | None
    notes: str | None


@strawberry.type(description="One meeting of an offer, computed from its schedule (Europe/Copenhagen).")
class Occurrence:
    starts_at: datetime
    ends_at: datetime


@strawberry.type
class Offer:
    id: uuid.UUID
    organisation_id: uuid.UUID
    title: str
    description: str
    category: OfferCategory  # type: ignore[valid-type]
    risk_settings: list[str]
    min_age: int | None
    max_age: int | None
    mode: OfferMode  # type: ignore[valid-type]
    nationwide: bool
    municipality_codes: list[str]
    address: str | None
    postcode: str | None
    city: str | None
    latitude: float | None
    longitude: float | None
    confidential_location: bool
    location_hidden: bool
    schedule: OfferSchedule | None
    rrule: str | None
    capacity: int | None
    seats_taken: int
    available_places: int | None
    languages: list[str]
    accessibility: list[AccessibilityFeature]  # type: ignore[valid-type]
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
    next_occurrences: list[Occurrence]
    status: OfferStatus  # type: ignore[valid-type]
    version: int = strawberry.field(description="Pass as `version` to updateOffer (optimistic locking).")
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The provider; needs a token (anonymous callers get providerName).")
    async def organisation(self, info: Info) -> Organisation | None:
        if info.context.principal is None:
            return None
        org = await organisation_loader(info.context).load(self.organisation_id)
        return Organisation.from_model(org) if org else None

    @strawberry.field(description="The provider's name (public).")
    async def provider_name(self, info: Info) -> str | None:
        return await provider_name_loader(info.context).load(self.id)

    @classmethod
    def from_read(cls, r: OfferRead) -> "Offer":
        data = r.model_dump(exclude={"schedule", "provider_name", "next_occurrences"})
        schedule = None
        if r.schedule is not None:
            schedule = OfferSchedule(**r.schedule.model_dump())
        occurrences = [Occurrence(starts_at=o.starts_at, ends_at=o.ends_at) for o in r.next_occurrences]
        return cls(**data, schedule=schedule, next_occurrences=occurrences)


@strawberry.input(description="A point in WGS84 decimal degrees.")
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.input
class OfferFilter:
    municipality_code: str | None = None
    risk_setting: str | None = None
    category: OfferCategory | None = None  # type: ignore[valid-type]
    mode: OfferMode | None = None  # type: ignore[valid-type]
    age: int | None = None
    accessibility: list[AccessibilityFeature] | None = None  # type: ignore[valid-type]
    language: str | None = None
    has_capacity: bool | None = None
    q: str | None = strawberry.field(default=None, description=(
        "Free text; Danish letters fold both ways (laese finds Læsevenner); ranked by relevance."))
    mine: bool = False
    status: OfferStatus | None = None  # type: ignore[valid-type]
    near: GeoPoint | None = strawberry.field(default=None, description="With withinKm: offers within that "
                                             "distance (nationwide offers always match).")
    within_km: float | None = None


@strawberry.input
class ScheduleInput:
    by_agreement: bool = False
    freq: ScheduleFrequency | None = None  # type: ignore[valid-type]
    interval: int = 1
    weekdays: list[Weekday] = strawberry.field(default_factory=list)  # type: ignore[valid-type]
    week_of_month: int | None = None
    month_day: int | None = None
    start_time: time | None = None
    end_time: time | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    notes: str | None = None


@strawberry.input
class OfferCreateInput:
    title: str
    description: str
    category: OfferCategory  # type: ignore[valid-type]
    mode: OfferMode  # type: ignore[valid-type]
    risk_settings: list[str] | None = strawberry.UNSET
    min_age: int | None = strawberry.UNSET
    max_age: int | None = strawberry.UNSET
    nationwide: bool | None = strawberry.UNSET
    municipality_codes: list[str] | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    postcode: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    confidential_location: bool | None = strawberry.UNSET
    schedule: ScheduleInput | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    accessibility: list[AccessibilityFeature] | None = strawberry.UNSET  # type: ignore[valid-type]
    cost_free: bool | None = strawberry.UNSET
    cost_text: str | None = strawberry.UNSET
    contact_name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET
    contact_phone: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    external_id: str | None = strawberry.UNSET
    eligibility: str | None = strawberry.UNSET
    intake: str | None = strawberry.UNSET
    transport_notes: str | None = strawberry.UNSET
    status: OfferStatus | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input
class OfferUpdateInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    category: OfferCategory | None = strawberry.UNSET  # type: ignore[valid-type]
    mode: OfferMode | None = strawberry.UNSET  # type: ignore[valid-type]
    risk_settings: list[str] | None = strawberry.UNSET
    min_age: int | None = strawberry.UNSET
    max_age: int | None = strawberry.UNSET
    nationwide: bool | None = strawberry.UNSET
    municipality_codes: list[str] | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    postcode: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    confidential_location: bool | None = strawberry.UNSET
    schedule: ScheduleInput | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    accessibility: list[AccessibilityFeature] | None = strawberry.UNSET  # type: ignore[valid-type]
    cost_free: bool | None = strawberry.UNSET
    cost_text: str | None = strawberry.UNSET
    contact_name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET
    contact_phone: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    external_id: str | None = strawberry.UNSET
    eligibility: str | None = strawberry.UNSET
    intake: str | None = strawberry.UNSET
    transport_notes: str | None = strawberry.UNSET


OfferResult = Annotated[Offer | Problem, strawberry.union("OfferResult")]


def _filters(f: OfferFilter) -> service.OfferFilters:
    return service.OfferFilters(
        municipality_code=f.municipality_code, risk_setting=f.risk_setting, category=f.category, mode=f.mode,
        age=f.age, accessibility=[str(a) for a in f.accessibility or []], language=f.language,
        has_capacity=f.has_capacity, q=f.q, mine=f.mine, status=f.status, within_km=f.within_km,
        near=check_near((f.near.latitude, f.near.longitude) if f.near else None, f.within_km))


@strawberry.type
class Query:
    @strawberry.field(description="Published offers (anyone), plus the caller's own organisation's offers.")
    def offers(self, info: Info, filter: OfferFilter | None = None, first: int | None = None,
               after: str | None = None) -> Connection[Offer]:
        session, principal = info.context.session, info.context.principal
        items, cursor = service.list_offers(session, principal, page_args(first, after),
                                            _filters(filter or OfferFilter()))
        return Connection(items=[Offer.from_read(r) for r in service.present(session, principal, items)],
                          next_cursor=cursor)

    @strawberry.field
    def offer(self, info: Info, id: uuid.UUID) -> Offer | None:
        session, principal = info.context.session, info.context.principal
        return or_none(lambda: Offer.from_read(service.present_one(
            session, principal, service.get(session, principal, id))))


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_offer(self, info: Info, input: OfferCreateInput) -> OfferResult:
        def run() -> Offer:
            principal = info.context.require_principal()
            offer = service.create(info.context.session, principal, parse(OfferCreate, input))
            return Offer.from_read(service.present_one(info.context.session, principal, offer))
        return attempt(info, run)

    @strawberry.mutation(description="Change an offer; `version` must be the version you read (else 412).")
    def update_offer(self, info: Info, id: uuid.UUID, version: int, input: OfferUpdateInput) -> OfferResult:
        def run() -> Offer:
            principal = info.context.require_principal()
            offer = service.update(info.context.session, principal, id, parse(OfferUpdate, input), version)
            return Offer.from_read(service.present_one(info.context.session, principal, offer))
        return attempt(info, run)

    @strawberry.mutation(description="Publish, pause or close an offer (illegal changes → Problem 409).")
    def change_offer_status(self, info: Info, id: uuid.UUID, status: OfferStatus,  # type: ignore[valid-type]
                            version: int | None = None) -> OfferResult:
        def run() -> Offer:
            principal = info.context.require_principal()
            offer = service.change_status(info.context.session, principal, id, status, version)
            return Offer.from_read(service.present_one(info.context.session, principal, offer))
        return attempt(info, run)
