from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from service.core.dto import InputModel
from service.offers.models import OfferCategory
from service.persons.ages import AGE_GROUP_LABELS
from service.reports.dimensions import MAX_GROUP_BY, Dimension

MAX_PERIOD_DAYS = 366 * 10
QUARTER_PATTERN = r"^\d{4}Q[1-4]$"


class Rec4Params(InputModel):
    period_from: date
    period_to: date
    group_by: list[Dimension] = Field(default_factory=list, max_length=MAX_GROUP_BY)
    risk_setting: list[str] = Field(default_factory=list, max_length=9)
    municipality: list[str] = Field(default_factory=list, max_length=98)
    region: list[str] = Field(default_factory=list, max_length=5)
    age_group: list[str] = Field(default_factory=list, max_length=len(AGE_GROUP_LABELS))
    offer_category: list[OfferCategory] = Field(default_factory=list, max_length=len(OfferCategory))
    quarter: list[str] = Field(default_factory=list, max_length=40)
    lang: Literal["en", "da"] = "en"
    include_action_plan: bool = False

    @field_validator("group_by")
    @classmethod
    def _distinct(cls, value: list[Dimension]) -> list[Dimension]:
        if len(set(value)) != len(value):
            raise ValueError("group_by lists a dimension twice")
        return value

    @field_validator("municipality")
    @classmethod
    def _muni(cls, value: list[str]) -> list[str]:
        if any(len(v) != 4 or not v.isdigit() for v in value):
            raise ValueError("municipality codes have four digits")
        return value

    @field_validator("age_group")
    @classmethod
    def _ages(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in AGE_GROUP_LABELS]
        if unknown:
            raise ValueError(f"age_group must be one of {', '.join(AGE_GROUP_LABELS)}")
        return value

    @field_validator("quarter")
    @classmethod
    def _quarters(cls, value: list[str]) -> list[str]:
        import re

        if any(not re.match(QUARTER_PATTERN, v) for v in value):
            raise ValueError("quarters look like 2026Q3")
        return value

    @model_validator(mode="after")
    def _period(self) -> "Rec4Params":
        if self.period_to < self.period_from:
            raise ValueError("period_to is before period_from")
        if (self.period_to - self.period_from).days > MAX_PERIOD_DAYS:
            raise ValueError("the period may span at most ten years")
        return self

    def filters(self) -> dict[str, tuple[str, ...]]:
        raw = {"risk_setting": self.risk_setting, "municipality": self.municipality, "region": self.region,
               "age_group": self.age_group, "offer_category": [c.value for c in self.offer_category],
               "quarter": self.quarter}
        return {k: tuple(v) for k, v in raw.items() if v}
