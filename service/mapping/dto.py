import uuid
from datetime import datetime

from pydantic import Field

from service.core.dto import InputModel, OutputModel
from service.mapping.models import BarrierType
from service.organisations.dto import MinistryCode, MunicipalityCode


class MappingEntryCreate(InputModel):
    risk_setting: str = Field(min_length=1, max_length=40)
    municipality_code: MunicipalityCode
    barrier_type: BarrierType
    description: str = Field(min_length=3, max_length=4000)
    proposed_change: str = Field(min_length=3, max_length=4000)
    responsible_ministry_code: MinistryCode | None = Field(
        default=None, description="The ministry the proposed change is addressed to (default: the risk setting's).")
    responsible_ministry: str | None = Field(
        default=None, min_length=2, max_length=120,
        description="Deprecated: the ministry's current name; use responsible_ministry_code.")


class MappingEntryRead(OutputModel):
    id: uuid.UUID
    risk_setting: str
    municipality_code: str
    barrier_type: BarrierType
    description: str
    proposed_change: str
    responsible_ministry_code: str
    responsible_ministry: str = Field(description="The ministry's name when the entry was submitted.")
    organisation_id: uuid.UUID
    submitted_by: uuid.UUID
    created_at: datetime
