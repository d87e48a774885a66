"""Users, API clients and the viewer over GraphQL; `User` and `ApiClient` are derived from the read models."""

import uuid
from typing import Annotated

import strawberry

from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.enums import Role
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.organisations import Organisation
from schema.pagination import Connection, connection, page_args
from service.core.principal import Principal
from service.users import service
from service.users.dto import ApiClientCreate, ApiClientUpdate, ApiClientWithSecret, UserCreate, UserRead, UserUpdate


@read_type(UserRead, exclude={"updated_at"})
class User(ReadType[UserRead]):
    @strawberry.field
    async def organisation(self, root: strawberry.Parent[UserRead], info: Info) -> Organisation | None:
        return Organisation.from_read(await info.context.loaders.organisation.load(root.organisation_id))


@read_type(ApiClientWithSecret, name="ApiClient", exclude={"created_at", "updated_at"})
class ApiClient(ReadType[ApiClientWithSecret]):
    pass


@strawberry.type(description="The authenticated principal.")
class Viewer:
    id: uuid.UUID
    kind: str
    name: str
    role: Role
    organisation_id: uuid.UUID
    permissions: list[str]

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        return Organisation.from_read(await info.context.loaders.organisation.load(self.organisation_id))


@input_type(UserCreate)
class UserCreateInput:
    pass


@input_type(UserUpdate)
class UserUpdateInput:
    pass


@input_type(ApiClientCreate)
class ApiClientCreateInput:
    pass


@input_type(ApiClientUpdate)
class ApiClientUpdateInput:
    pass


UserResult = Annotated[User | Problem, strawberry.union("UserResult")]
ApiClientResult = Annotated[ApiClient | Problem, strawberry.union("ApiClientResult")]


@strawberry.type
class Query:
    @strawberry.field
    def viewer(self, info: Info) -> Viewer | None:
        p: Principal | None = info.context.principal
        if p is None:
            return None
        return Viewer(id=p.id, kind=p.kind, name=p.name, role=p.role, organisation_id=p.organisation_id,
                      permissions=sorted(p.permissions))

    @strawberry.field
    def users(self, info: Info, organisation_id: uuid.UUID | None = None, first: int | None = None,
              after: str | None = None) -> Connection[User]:
        principal = info.context.require_principal()
        return connection(service.list_users(info.context.session, principal, page_args(first, after),
                                             organisation_id=organisation_id))

    @strawberry.field
    @null_if_not_found
    def user(self, info: Info, id: uuid.UUID) -> User | None:
        principal = info.context.require_principal()
        return User.from_read(service.get_user(info.context.session, principal, id))


@strawberry.type
class Mutation:
    @strawberry.mutation
    @mutation_result
    def create_user(self, info: Info, input: UserCreateInput) -> UserResult:
        return User.from_read(service.create_user(info.context.session, info.context.require_principal(),
                                                  parse(UserCreate, input)))

    @strawberry.mutation
    @mutation_result
    def update_user(self, info: Info, id: uuid.UUID, input: UserUpdateInput) -> UserResult:
        return User.from_read(service.update_user(info.context.session, info.context.require_principal(), id,
                                                  parse(UserUpdate, input)))

    @strawberry.mutation
    @mutation_result
    def create_api_client(self, info: Info, input: ApiClientCreateInput) -> ApiClientResult:
        return ApiClient.from_read(service.create_client(info.context.session, info.context.require_principal(),
                                                         parse(ApiClientCreate, input)))

    @strawberry.mutation
    @mutation_result
    def update_api_client(self, info: Info, id: uuid.UUID, input: ApiClientUpdateInput) -> ApiClientResult:
        return ApiClient.from_read(service.update_client(info.context.session, info.context.require_principal(),
                                                         id, parse(ApiClientUpdate, input)))
