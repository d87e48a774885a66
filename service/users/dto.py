import uuid
from datetime import datetime

from pydantic import Field

from service.core.dto import InputModel, OutputModel
from service.core.permissions import Role

USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{3,150}$"


class UserCreate(InputModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=12, max_length=256)
    organisation_id: uuid.UUID
    role: Role
    active: bool = True


class UserUpdate(InputModel):
    password: str | None = Field(default=None, min_length=12, max_length=256)
    role: Role | None = None
    active: bool | None = None


class UserRead(OutputModel):
    id: uuid.UUID
    username: str
    organisation_id: uuid.UUID
    role: Role
    active: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ApiClientCreate(InputModel):
    name: str = Field(min_length=2, max_length=200)
    organisation_id: uuid.UUID
    role: Role
    active: bool = True


class ApiClientUpdate(InputModel):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    role: Role | None = None
    active: bool | None = None
    rotate_secret: bool = False


class ApiClientRead(OutputModel):
    id: uuid.UUID
    client_id: str
    name: str
    organisation_id: uuid.UUID
    role: Role
    active: bool
    last_token_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ApiClientWithSecret(ApiClientRead):
    client_secret: str | None = Field(default=None, description="Shown once, on creation or rotation.")
