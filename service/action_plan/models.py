import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class MeasureStatus(StrEnum):
    planned = "planned"
    active = "active"
    done = "done"


class Indicator(StrEnum):
    """The Recommendation 4 report's measures a plan measure can be followed by."""

    persons_registered = "persons_registered"
    persons_severe_loneliness = "persons_severe_loneliness"
    offers_published = "offers_published"
    places = "places"
    free_places = "free_places"
    referrals_sent = "referrals_sent"
    referrals_accepted = "referrals_accepted"
    referrals_declined = "referrals_declined"
    referrals_completed = "referrals_completed"
    referrals_ended_early = "referrals_ended_early"
    acceptance_rate = "acceptance_rate"
    median_days_to_start = "median_days_to_start"
    unmet_need = "unmet_need"
    supply_demand_ratio = "supply_demand_ratio"
    tils_change = "tils_change"


class ActionPlanMeasure(SQLModel, table=True):
    """A cross-ministry action-plan measure. Owned (edited) by the ministry organisation that recorded it."""

    __tablename__ = "action_plan_measure"
    __table_args__ = (CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    # The code is the key (filters, scope); the name is the ministry's name when it was last set, for display.
    responsible_ministry_code: str = Field(foreign_key="ministry.code", max_length=40, index=True)
    responsible_ministry: str = Field(max_length=120, index=True)
    status: str = Field(max_length=20, index=True)
    start_date: date
    end_date: date | None = None
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    created_by: uuid.UUID
    # Optimistic concurrency: the ETag is the version; every change increments it.
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ActionPlanMeasureRiskSetting(SQLModel, table=True):
    __tablename__ = "action_plan_measure_risk_setting"

    measure_id: uuid.UUID = Field(foreign_key="action_plan_measure.id", primary_key=True)
    risk_setting: str = Field(foreign_key="risk_setting.code", primary_key=True, max_length=40, index=True)


class ActionPlanMeasureIndicator(SQLModel, table=True):
    __tablename__ = "action_plan_measure_indicator"

    measure_id: uuid.UUID = Field(foreign_key="action_plan_measure.id", primary_key=True)
    indicator: str = Field(primary_key=True, max_length=40)
