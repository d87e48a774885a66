import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class OrganisationKind(StrEnum):
    school = "school"
    care_home = "care_home"
    shelter = "shelter"
    crisis_centre = "crisis_centre"
    residential_institution = "residential_institution"
    social_housing_facility = "social_housing_facility"
    prison_probation = "prison_probation"
    civil_society = "civil_society"
    municipality = "municipality"
    region = "region"
    ministry = "ministry"


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, index=True)
    kind: str = Field(max_length=40, index=True)
    cvr: str | None = Field(default=None, max_length=8, unique=True)
    municipality_code: str = Field(foreign_key="municipality.code", max_length=4, index=True)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=30)
    website: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=4)
    city: str | None = Field(default=None, max_length=80)
    # A ministry organisation marked national sees every risk setting in reports.
    is_national: bool = Field(default=False)
    # Which ministry a ministry organisation is (reference data `ministry.code`): the key of its report,
    # mapping and action-plan scope. Set by a system administrator only — never derived from the name.
    ministry_code: str | None = Field(default=None, foreign_key="ministry.code", max_length=40, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
