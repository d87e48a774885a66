import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import Problem, attempt, or_none, parse
from schema.pagination import Connection, page_args
from service.organisations import service
from service.organisations.dto import OrganisationCreate, OrganisationUpdate
from service.organisations.models import Organisation as OrganisationModel
from service.organisations.models import OrganisationKind as OrganisationKindEnum

OrganisationKind = strawberry.enum(OrganisationKindEnum)


@strawberry.type
class Organisation:
    id: uuid.UUID
    name: str
    kind: OrganisationKind  # type: ignore[valid-type]
    cvr: str | None
    municipality_code: str
    email: str | None
    phone: str | None
    website: str | None
    address: str | None
    postcode: str | None
    city: str | None
    is_national: bool
    ministry_code: str | None = strawberry.field(
        description="Which ministry this organisation is (`ministries`); set by a system administrator.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, o: OrganisationModel) -> "Organisation":
        return cls(id=o.id, name=o.name, kind=OrganisationKindEnum(o.kind), cvr=o.cvr,
                   municipality_code=o.municipality_code, email=o.email, phone=o.phone, website=o.website,
                   address=o.address, postcode=o.postcode, city=o.city, is_national=o.is_national,
                   ministry_code=o.ministry_code, created_at=o.created_at, updated_at=o.updated_at)


@strawberry.input
class OrganisationFilter:
    kind: OrganisationKind | None = None  # type: ignore[valid-type]
    municipality_code: str | None = None
    q: str | None = None


@strawberry.input
class OrganisationCreateInput:
    name: str
    kind: OrganisationKind  # type: ignore[valid-type]
    municipality_code: str
    cvr: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    postcode: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    is_national: bool | None = strawberry.UNSET
    ministry_code: str | None = strawberry.UNSET


@strawberry.input
class OrganisationUpdateInput:
    name: str | None = strawberry.UNSET
    kind: OrganisationKind | None = strawberry.UNSET  # type: ignore[valid-type]
    municipality_code: str | None = strawberry.UNSET
    cvr: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    postcode: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    is_national: bool | None = strawberry.UNSET
    ministry_code: str | None = strawberry.UNSET


OrganisationResult = Annotated[Organisation | Problem, strawberry.union("OrganisationResult")]


@strawberry.type
class Query:
    @strawberry.field
    def organisation(self, info: Info, id: uuid.UUID) -> Organisation | None:
        principal = info.context.require_principal()
        return or_none(lambda: Organisation.from_model(service.read(info.context.session, principal, id)))

    @strawberry.field
    def organisations(self, info: Info, filter: OrganisationFilter | None = None, first: int | None = None,
                      after: str | None = None) -> Connection[Organisation]:
        principal = info.context.require_principal()
        f = filter or OrganisationFilter()
        items, cursor = service.list_organisations(info.context.session, principal, page_args(first, after),
                                                   kind=f.kind, municipality_code=f.municipality_code, q=f.q)
        return Connection(items=[Organisation.from_model(o) for o in items], next_cursor=cursor)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_organisation(self, info: Info, input: OrganisationCreateInput) -> OrganisationResult:
        def run() -> Organisation:
            principal = info.context.require_principal()
            org = service.create(info.context.session, principal, parse(OrganisationCreate, input))
            return Organisation.from_model(org)
        return attempt(info, run)

    @strawberry.mutation
    def update_organisation(self, info: Info, id: uuid.UUID, input: OrganisationUpdateInput) -> OrganisationResult:
        def run() -> Organisation:
            principal = info.context.require_principal()
            org = service.update(info.context.session, principal, id, parse(OrganisationUpdate, input))
            return Organisation.from_model(org)
        return attempt(info, run)
