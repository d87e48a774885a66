import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import Problem, attempt, or_none, parse
from schema.loaders import organisation_loader
from schema.organisations import Organisation
from schema.pagination import Connection, page_args
from service.core.permissions import Role as RoleEnum
from service.users import service
from service.users.dto import ApiClientCreate, ApiClientUpdate, UserCreate, UserUpdate
from service.users.models import ApiClient as ApiClientModel
from service.users.models import User as UserModel

Role = strawberry.enum(RoleEnum)


@strawberry.type
class User:
    id: uuid.UUID
    username: str
    organisation_id: uuid.UUID
    role: Role  # type: ignore[valid-type]
    active: bool
    last_login_at: datetime | None
    created_at: datetime

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        org = await organisation_loader(info.context).load(self.organisation_id)
        return Organisation.from_model(org) if org else None

    @classmethod
    def from_model(cls, u: UserModel) -> "User":
        return cls(id=u.id, username=u.username, organisation_id=u.organisation_id, role=RoleEnum(u.role),
                   active=u.active, last_login_at=u.last_login_at, created_at=u.created_at)


@strawberry.type
class ApiClient:
    id: uuid.UUID
    client_id: str
    name: str
    organisation_id: uuid.UUID
    role: Role  # type: ignore[valid-type]
    active: bool
    last_token_at: datetime | None
    client_secret: str | None = strawberry.field(default=None,
                                                 description="Shown once, on creation or rotation.")

    @classmethod
    def from_model(cls, c: ApiClientModel, secret: str | None = None) -> "ApiClient":
        return cls(id=c.id, client_id=c.client_id, name=c.name, organisation_id=c.organisation_id,
                   role=RoleEnum(c.role), active=c.active, last_token_at=c.last_token_at, client_secret=secret)


@strawberry.type(description="The authenticated principal.")
class Viewer:
    id: uuid.UUID
    kind: str
    name: str
    role: Role  # type: ignore[valid-type]
    organisation_id: uuid.UUID
    permissions: list[str]

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        org = await organisation_loader(info.context).load(self.organisation_id)
        return Organisation.from_model(org) if org else None


@strawberry.input
class UserCreateInput:
    username: str
    password: str
    organisation_id: uuid.UUID
    role: Role  # type: ignore[valid-type]
    active: bool | None = strawberry.UNSET


@strawberry.input
class UserUpdateInput:
    password: str | None = strawberry.UNSET
    role: Role | None = strawberry.UNSET  # type: ignore[valid-type]
    active: bool | None = strawberry.UNSET


@strawberry.input
class ApiClientCreateInput:
    name: str
    organisation_id: uuid.UUID
    role: Role  # type: ignore[valid-type]
    active: bool | None = strawberry.UNSET


@strawberry.input
class ApiClientUpdateInput:
    name: str | None = strawberry.UNSET
    role: Role | None = strawberry.UNSET  # type: ignore[valid-type]
    active: bool | None = strawberry.UNSET
    rotate_secret: bool | None = strawberry.UNSET


UserResult = Annotated[User | Problem, strawberry.union("UserResult")]
ApiClientResult = Annotated[ApiClient | Problem, strawberry.union("ApiClientResult")]


@strawberry.type
class Query:
    @strawberry.field
    def viewer(self, info: Info) -> Viewer | None:
        p = info.context.principal
        if p is None:
            return None
        return Viewer(id=p.id, kind=p.kind, name=p.name, role=p.role, organisation_id=p.organisation_id,
                      permissions=sorted(p.permissions))

    @strawberry.field
    def users(self, info: Info, organisation_id: uuid.UUID | None = None, first: int | None = None,
              after: str | None = None) -> Connection[User]:
        principal = info.context.require_principal()
        items, cursor = service.list_users(info.context.session, principal, page_args(first, after),
                                           organisation_id=organisation_id)
        return Connection(items=[User.from_model(u) for u in items], next_cursor=cursor)

    @strawberry.field
    def user(self, info: Info, id: uuid.UUID) -> User | None:
        principal = info.context.require_principal()
        return or_none(lambda: User.from_model(service.get_user(info.context.session, principal, id)))


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_user(self, info: Info, input: UserCreateInput) -> UserResult:
        return attempt(info, lambda: User.from_model(service.create_user(
            info.context.session, info.context.require_principal(), parse(UserCreate, input))))

    @strawberry.mutation
    def update_user(self, info: Info, id: uuid.UUID, input: UserUpdateInput) -> UserResult:
        return attempt(info, lambda: User.from_model(service.update_user(
            info.context.session, info.context.require_principal(), id, parse(UserUpdate, input))))

    @strawberry.mutation
    def create_api_client(self, info: Info, input: ApiClientCreateInput) -> ApiClientResult:
        return attempt(info, lambda: ApiClient.from_model(*service.create_client(
            info.context.session, info.context.require_principal(), parse(ApiClientCreate, input))))

    @strawberry.mutation
    def update_api_client(self, info: Info, id: uuid.UUID, input: ApiClientUpdateInput) -> ApiClientResult:
        return attempt(info, lambda: ApiClient.from_model(*service.update_client(
            info.context.session, info.context.require_principal(), id, parse(ApiClientUpdate, input))))
