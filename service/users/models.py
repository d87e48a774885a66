import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=150, unique=True)
    password_hash: str = Field(max_length=255)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    role: str = Field(max_length=30)
    active: bool = True
    # Bumped by every password, role or activation change; tokens carry it (`cv`) and die when it moves on.
    credentials_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ApiClient(SQLModel, table=True):
    """A machine principal (a partner system) using the client_credentials grant."""

    __tablename__ = "api_client"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    secret_hash: str = Field(max_length=255)
    name: str = Field(max_length=200)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    role: str = Field(max_length=30)
    active: bool = True
    # Bumped by every secret rotation, role or activation change; tokens carry it (`cv`).
    credentials_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # The last token issued; wrong secrets are counted since then (like a user's last login).
    last_token_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
