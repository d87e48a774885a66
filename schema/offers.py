"""Offers over GraphQL: the same service functions as REST; `Offer` is derived from the read model."""

import uuid
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.enums import AccessibilityFeature, OfferCategory, OfferMode, OfferStatus
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.organisations import Organisation
from schema.pagination import Connection, connection, page_args
from service.core.errors import Unprocessable
from service.offers import importer, policy, service
from service.offers.dto import ImportResult as ImportResultRead
from service.offers.dto import ImportRow as ImportRowRead
from service.offers.dto import Occurrence, OfferCreate, OfferRead, OfferUpdate
from service.offers.schedule import Schedule
from service.offers.search import check_near


@read_type(Schedule, name="OfferSchedule", description="When an offer meets (iCalendar RRULE semantics), or by "
                                                        "agreement.")
class OfferSchedule(ReadType[Schedule]):
    pass


@read_type(Occurrence, name="Occurrence", description="One meeting of an offer, computed from its schedule "
                                                        "(Europe/Copenhagen).")
class OfferOccurrence(ReadType[Occurrence]):
    pass


@read_type(OfferRead)
class Offer(ReadType[OfferRead]):
    version: int = strawberry.field(description="Pass as `version` to updateOffer (optimistic locking).")

    @strawberry.field(description="The provider; needs a token (anonymous callers get providerName).")
    async def organisation(self, root: strawberry.Parent[OfferRead], info: Info) -> Organisation | None:
        if info.context.principal is None:
            return None
        return Organisation.from_read(await info.context.loaders.organisation.load(root.organisation_id))

    @strawberry.field(description="The provider's name (public).")
    async def provider_name(self, root: strawberry.Parent[OfferRead], info: Info) -> str | None:
        return await info.context.loaders.offer_provider_name.load(root.id)


@strawberry.input(description="A point in WGS84 decimal degrees.")
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.input
class OfferFilter:
    municipality_code: str | None = None
    risk_setting: str | None = None
    category: OfferCategory | None = None
    mode: OfferMode | None = None
    age: int | None = None
    accessibility: list[AccessibilityFeature] | None = None
    language: str | None = None
    has_capacity: bool | None = None
    q: str | None = strawberry.field(default=None, description=(
        "Free text; Danish letters fold both ways (laese finds Læsevenner); ranked by relevance."))
    mine: bool = False
    status: OfferStatus | None = None
    near: GeoPoint | None = strawberry.field(default=None, description="With withinKm: offers within that "
                                             "distance (nationwide offers always match).")
    within_km: float | None = None


@input_type(Schedule, published_defaults=True)
class ScheduleInput:
    pass


@input_type(OfferCreate)
class OfferCreateInput:
    pass


@input_type(OfferUpdate)
class OfferUpdateInput:
    pass


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
        return connection(service.list_offers(session, principal, page_args(first, after),
                                              _filters(filter or OfferFilter())))

    @strawberry.field
    @null_if_not_found
    def offer(self, info: Info, id: uuid.UUID) -> Offer | None:
        session, principal = info.context.session, info.context.principal
        return Offer.from_read(service.get(session, principal, id))


@read_type(ImportRowRead, name="OfferImportRow")
class OfferImportRow(ReadType[ImportRowRead]):
    pass


@read_type(ImportResultRead, name="OfferImportResult",
           description="What a directory import wrote (or, in a dry run, would write), row by row.")
class OfferImportResult(ReadType[ImportResultRead]):
    pass


OfferImportResultOrProblem = Annotated[OfferImportResult | Problem, strawberry.union("OfferImportResultOrProblem")]


@strawberry.type
class Mutation:
    @strawberry.mutation(description=(
        "Create or update offers from a spreadsheet (CSV or .xlsx, as POST /offers/import): send it as a GraphQL "
        "multipart request (the `Upload` scalar; `Apollo-Require-Preflight: true` header required). All rows or "
        "none; `dryRun` validates and reports without writing; `danish` gives the row errors in Danish."))
    @mutation_result
    def import_offers(self, info: Info, file: Upload, dry_run: bool = False,
                      danish: bool = False) -> OfferImportResultOrProblem:
        session, principal = info.context.session, info.context.require_principal()
        policy.ensure_can_create(principal)  # authorize before looking at the body
        if not isinstance(file, bytes):
            raise Unprocessable("Send the spreadsheet as a file of a multipart request.", errors=[
                {"field": "file", "message": "not an uploaded file", "code": "multipart"}])
        result = importer.import_offers(session, principal, file, dry_run=dry_run, danish=danish)
        return OfferImportResult.from_read(ImportResultRead.model_validate(result))

    @strawberry.mutation
    @mutation_result
    def create_offer(self, info: Info, input: OfferCreateInput) -> OfferResult:
        session, principal = info.context.session, info.context.require_principal()
        return Offer.from_read(service.create(session, principal, parse(OfferCreate, input)))

    @strawberry.mutation(description="Change an offer; `version` must be the version you read (else 412).")
    @mutation_result
    def update_offer(self, info: Info, id: uuid.UUID, version: int, input: OfferUpdateInput) -> OfferResult:
        session, principal = info.context.session, info.context.require_principal()
        return Offer.from_read(service.update(session, principal, id, parse(OfferUpdate, input), version))

    @strawberry.mutation(description="Publish, pause or close an offer (illegal changes → Problem 409).")
    @mutation_result
    def change_offer_status(self, info: Info, id: uuid.UUID, status: OfferStatus,
                            version: int | None = None) -> OfferResult:
        session, principal = info.context.session, info.context.require_principal()
        return Offer.from_read(service.change_status(session, principal, id, status, version))
