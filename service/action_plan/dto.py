import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from service.action_plan.models import Indicator, MeasureStatus
from service.core.dto import InputModel, OutputModel
from service.organisations.dto import MinistryCode


def _check_period(end: date | None, info: ValidationInfo) -> date | None:
    start = info.data.get("start_date")
    if start is not None and end is not None and end < start:
        raise ValueError("end_date must not be before start_date")
    return end


class MeasureCreate(InputModel):
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=3, max_length=4000)
    risk_settings: list[str] = Field(min_length=1, max_length=20)
    responsible_ministry_code: MinistryCode | None = None
    responsible_ministry: str | None = Field(default=None, min_length=2, max_length=120,
                                             description="Deprecated: the ministry's name; use the code.")
    status: MeasureStatus = MeasureStatus.planned
    start_date: date
    end_date: date | None = None
    indicators: list[Indicator] = Field(default_factory=list, max_length=len(Indicator))

    _period = field_validator("end_date")(_check_period)


NOT_NULL = frozenset({"title", "description", "risk_settings", "responsible_ministry", "responsible_ministry_code",
                      "status", "start_date", "indicators"})


class MeasureUpdate(InputModel):
    title: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, min_length=3, max_length=4000)
    risk_settings: list[str] | None = Field(default=None, min_length=1, max_length=20)
    responsible_ministry_code: MinistryCode | None = None
    responsible_ministry: str | None = Field(default=None, min_length=2, max_length=120,
                                             description="Deprecated: the ministry's name; use the code.")
    status: MeasureStatus | None = None
    start_date: date | None = None
    end_date: date | None = None
    indicators: list[Indicator] | None = Field(default=None, max_length=len(Indicator))

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k in NOT_NULL if k in data and data[k] is None)
            if nulls:
                raise ValueError(f"may not be null: {', '.join(nulls)}")
        return data

    _period = field_validator("end_date")(_check_period)


class MeasureRead(OutputModel):
    id: uuid.UUID
    title: str
    description: str
    risk_settings: list[str]
    responsible_ministry_code: str
    responsible_ministry: str = Field(description="The ministry's name when it was last set.")
    status: MeasureStatus
    start_date: date
    end_date: date | None
    indicators: list[Indicator]
    organisation_id: uuid.UUID
    created_by: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
