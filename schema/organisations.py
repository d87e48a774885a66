"""Organisations over GraphQL; `Organisation` is derived from the read model."""

import uuid
from typing import Annotated

import strawberry

from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.enums import OrganisationKind
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.pagination import Connection, connection, page_args
from service.organisations import service
from service.organisations.dto import OrganisationCreate, OrganisationRead, OrganisationUpdate


@read_type(OrganisationRead, descriptions={
    "ministry_code": "Which ministry this organisation is (`ministries`); set by a system administrator."})
class Organisation(ReadType[OrganisationRead]):
    pass


@strawberry.input
class OrganisationFilter:
    kind: OrganisationKind | None = None
    municipality_code: str | None = None
    q: str | None = None


@input_type(OrganisationCreate)
class OrganisationCreateInput:
    pass


@input_type(OrganisationUpdate)
class OrganisationUpdateInput:
    pass


OrganisationResult = Annotated[Organisation | Problem, strawberry.union("OrganisationResult")]


@strawberry.type
class Query:
    @strawberry.field
    @null_if_not_found
    def organisation(self, info: Info, id: uuid.UUID) -> Organisation | None:
        principal = info.context.require_principal()
        return Organisation.from_read(service.read(info.context.session, principal, id))

    @strawberry.field
    def organisations(self, info: Info, filter: OrganisationFilter | None = None, first: int | None = None,
                      after: str | None = None) -> Connection[Organisation]:
        principal = info.context.require_principal()
        f = filter or OrganisationFilter()
        page = service.list_organisations(info.context.session, principal, page_args(first, after), kind=f.kind,
                                          municipality_code=f.municipality_code, q=f.q)
        return connection(page)


@strawberry.type
class Mutation:
    @strawberry.mutation
    @mutation_result
    def create_organisation(self, info: Info, input: OrganisationCreateInput) -> OrganisationResult:
        org = service.create(info.context.session, info.context.require_principal(),
                             parse(OrganisationCreate, input))
        return Organisation.from_read(org)

    @strawberry.mutation
    @mutation_result
    def update_organisation(self, info: Info, id: uuid.UUID, input: OrganisationUpdateInput) -> OrganisationResult:
        org = service.update(info.context.session, info.context.require_principal(), id,
                             parse(OrganisationUpdate, input))
        return Organisation.from_read(org)
