import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class BarrierType(StrEnum):
    capacity = "capacity"
    accessibility = "accessibility"
    transport = "transport"
    digital = "digital"
    stigma = "stigma"
    staff_competences = "staff_competences"
    information = "information"
    economy = "economy"
    other = "other"


class MappingEntry(SQLModel, table=True):
    """A barrier an organisation sees for people in a risk setting, and the change it proposes.

    Entries describe services and conditions, never a person (the submitter is told so).
    """

    __tablename__ = "mapping_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    risk_setting: str = Field(foreign_key="risk_setting.code", max_length=40, index=True)
    municipality_code: str = Field(foreign_key="municipality.code", max_length=4, index=True)
    barrier_type: str = Field(max_length=30, index=True)
    description: str = Field(max_length=4000)
    proposed_change: str = Field(max_length=4000)
    # Defaults to the risk setting's responsible ministry (reference data). The code decides who reads the
    # entry; the name is the ministry's name as it stood at submission, for display.
    responsible_ministry_code: str = Field(foreign_key="ministry.code", max_length=40, index=True)
    responsible_ministry: str = Field(max_length=120, index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    # The submitting user or API client (principal id; no foreign key, as it may be either).
    submitted_by: uuid.UUID
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
