import uuid
from datetime import datetime

from pydantic import Field

from service.core.dto import InputModel, OutputModel
from service.mapping.models import BarrierType
from service.organisations.dto import MunicipalityCode


class MappingEntryCreate(InputModel):
    risk_setting: str = Field(min_length=1, max_length=40)
    municipality_code: MunicipalityCode
    barrier_type: BarrierType
    description: str = Field(min_length=3, max_length=4000)
    proposed_change: str = Field(min_length=3, max_length=4000)
    responsible_ministry: str | None = Field(default=None, min_length=2, max_length=120)


class MappingEntryRead(OutputModel):
    id: uuid.UUID
    risk_setting: str
    municipality_code: str
    barrier_type: BarrierType
    description: str
    proposed_change: str
    responsible_ministry: str
    organisation_id: uuid.UUID
    submitted_by: uuid.UUID
    created_at: datetime
