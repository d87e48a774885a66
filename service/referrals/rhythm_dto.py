"""Input and output models of the contact rhythm's reads and endings, follow-ups and goals.

No validator message repeats the rejected value (texts here are about a person).
"""

import uuid
from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from service.core.dto import InputModel, OutputModel
from service.persons.dto import TilsAnswers
from service.persons.models import MeasurementForm
from service.referrals.models import AgreementEnding, GoalCategory


class AgreementClose(InputModel):
    ending: AgreementEnding = Field(description=(
        "planned_ending (needs next_step) | moved_to_other_offer | person_declined | person_deceased | person_moved"))
    next_step: str | None = Field(default=None, max_length=1000,
                                  description="Round off and point forward: what the person does next.")
    offer_id: uuid.UUID | None = Field(default=None, description="With moved_to_other_offer: the new offer.")

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.ending == AgreementEnding.planned_ending and not self.next_step:
            raise ValueError("a planned ending names the next step")
        if self.offer_id is not None and self.ending != AgreementEnding.moved_to_other_offer:
            raise ValueError("offer_id is only for moved_to_other_offer")
        return self


class ContactSummaryRead(OutputModel):
    """What the referrer sees of the contact: counts and dates, never the content (topics, notes, agenda)."""

    referral_id: uuid.UUID
    calls: int = Field(description="Contacts held.")
    attempts: int = Field(description="No answer, rescheduled or ended early.")
    missed_in_a_row: int
    last_contact_at: datetime | None = Field(description="The last contact held.")
    last_attempt_at: datetime | None
    next_contact_at: datetime | None
    open_parked_topics: int = Field(description="Parked topics not yet resolved (how many, not what).")
    agreement_closed: bool
    ending: str | None


class ElementCount(OutputModel):
    element: str
    label_da: str
    label_en: str
    count: int


class ElementMonth(OutputModel):
    month: str = Field(description="YYYY-MM, Copenhagen time")
    element: str
    count: int


class ElementHistory(OutputModel):
    """How often each of the five elements was supported in the provider's contacts with the person."""

    person_id: uuid.UUID
    contacts: int = Field(description="Contacts held with at least one element.")
    totals: list[ElementCount] = Field(description="All five elements, zero counts included.")
    months: list[ElementMonth] = Field(description="Per month and element, oldest first (zero months left out).")


class FollowUpRead(OutputModel):
    id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    months: int
    due_at: datetime
    overdue: bool
    measurement_id: uuid.UUID | None
    tils_total: int | None
    recorded_at: datetime | None


class FollowUpMeasurementCreate(TilsAnswers):
    form: MeasurementForm = Field(default=MeasurementForm.full, description=(
        "full, or phone_short: the same three items and 1–3 scale, read aloud on the phone"))


MAX_GOALS = 10  # per referral


class GoalCreate(InputModel):
    text: str = Field(min_length=1, max_length=500, description="As agreed with the person.")
    category: GoalCategory | None = None


class GoalAssessment(InputModel):
    goal_id: uuid.UUID
    reached: bool


class GoalsAssess(InputModel):
    goals: list[GoalAssessment] = Field(min_length=1, max_length=MAX_GOALS)

    @model_validator(mode="after")
    def _once(self) -> Self:
        if len({g.goal_id for g in self.goals}) != len(self.goals):
            raise ValueError("each goal once")
        return self


class FollowUpMeasurementRecord(FollowUpMeasurementCreate):
    follow_up_id: uuid.UUID = Field(description="The follow-up point (GET …/follow-ups).")


class GoalRead(OutputModel):
    id: uuid.UUID
    referral_id: uuid.UUID
    text: str | None
    category: str | None
    reached: bool | None
    assessed_at: datetime | None
    created_at: datetime
