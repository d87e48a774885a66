"""Input and output models for referrals, their events, contact agreements and the contact log.

No validator message repeats the rejected value (messages and notes may carry personal data).
"""

import uuid
from datetime import UTC, datetime, time
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, field_validator, model_validator

from service.core.dto import InputModel, OutputModel
from service.core.types import utcnow
from service.organisations.dto import Phone
from service.persons.dto import TilsAnswers
from service.persons.models import DataCategory
from service.referrals.models import (
    ELEMENT_ALIASES,
    Cadence,
    ContactChannel,
    ContactOutcome,
    Outcome,
    PsychosocialElement,
    ReasonCode,
)
from service.referrals.models import AgreementEnding as AgreementEnding  # re-exported for the doors
from service.referrals.models import GoalCategory as GoalCategory
from service.referrals.models import TopicState as TopicState
from service.referrals.rhythm_dto import MAX_GOALS, GoalCreate
from service.referrals.workflow import PROVIDER_REASONS, Action


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-01-31T10:00:00Z)")
    return value.astimezone(UTC) if value is not None else None


AwareDateTime = Annotated[datetime, AfterValidator(_aware)]
Topic = Annotated[str, Field(min_length=1, max_length=200)]
# The ASCII codes; the old REST spelling (`fællesskab`, `håb`) is still accepted on input.
Element = Annotated[PsychosocialElement,
                    BeforeValidator(lambda v: ELEMENT_ALIASES.get(v, v) if isinstance(v, str) else v)]


def _unique(values: list[str], what: str) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")
    return values


class ReferralCreate(InputModel):
    person_id: uuid.UUID
    offer_id: uuid.UUID
    message: str | None = Field(default=None, max_length=2000,
                                description="To the provider. Keep it short; it is shown only while consent lasts.")
    shared_categories: list[DataCategory] = Field(
        default_factory=list, max_length=len(DataCategory),
        description="Data categories the provider may see; each must be allowed by the referral_sharing "
                    "consent. contact_details also needs an active `contact` consent when read.")
    referrer_contact_name: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Who at your organisation the provider calls back (a staff member, not the person).")
    referrer_contact_phone: Phone | None = Field(default=None, description="That contact's direct phone.")
    referrer_contact_email: EmailStr | None = Field(default=None, description="That contact's e-mail.")
    goals: list[GoalCreate] = Field(
        default_factory=list, max_length=MAX_GOALS,
        description="Goals agreed with the person (free text, optional category), written with the referral; "
                    "more can be added while it is open (…/goals).")

    @field_validator("shared_categories")
    @classmethod
    def _no_repeats(cls, value: list[DataCategory]) -> list[DataCategory]:
        _unique([str(v) for v in value], "shared_categories")
        return value


class FollowUpMeasurement(TilsAnswers):
    """A follow-up T-ILS answer recorded with completion (needs an active `outcome_followup` consent)."""


class TransitionRequest(InputModel):
    action: Action
    reason_code: ReasonCode | None = Field(default=None, description="Required to decline or end early.")
    note: str | None = Field(default=None, max_length=2000)
    outcome: Outcome | None = Field(default=None, description="Required to complete.")
    follow_up: FollowUpMeasurement | None = Field(default=None, description="Only with complete.")

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.action == Action.expire:
            raise ValueError("expire is done by the system (tvaers referrals expire)")
        if self.action in (Action.decline, Action.end_early) and self.reason_code is None:
            raise ValueError("reason_code is required to decline or end early")
        if self.reason_code is not None:
            if self.action not in (Action.decline, Action.end_early, Action.withdraw):
                raise ValueError("reason_code is only for decline, end_early and withdraw")
            if self.reason_code not in PROVIDER_REASONS:
                raise ValueError("this reason_code is set by the system only")
        if self.action == Action.complete and self.outcome is None:
            raise ValueError("outcome is required to complete")
        if self.action != Action.complete and (self.outcome is not None or self.follow_up is not None):
            raise ValueError("outcome and follow_up are only for complete")
        return self


class SharedPerson(OutputModel):
    """What the provider may see of a referred person: never CPR, notes, family name or birth date."""

    id: uuid.UUID
    given_name: str | None
    age_group: str
    municipality_code: str
    shared_categories: list[str] = Field(description="Categories shown now: the referral's choice ∩ live consent.")
    phone: str | None = None
    email: str | None = None
    risk_settings: list[str] | None = None
    accessibility_needs: list[str] | None = None
    interests: list[str] | None = None
    loneliness_latest_total: int | None = None
    preferred_language: str | None = Field(
        default=None, description="Language to speak with the person; shown with contact_details only.")
    referrer_contact_name: str | None = Field(
        default=None, description="Who to call back at the referring organisation (shown with the summary).")
    referrer_contact_phone: str | None = None
    referrer_contact_email: str | None = None


class TransitionRead(OutputModel):
    id: int
    action: str
    from_status: str | None
    to_status: str
    reason_code: str | None
    note: str | None
    actor_id: uuid.UUID | None
    actor_organisation_id: uuid.UUID | None
    occurred_at: datetime


class ReferralRead(OutputModel):
    id: uuid.UUID
    person_id: uuid.UUID
    offer_id: uuid.UUID
    referring_organisation_id: uuid.UUID
    provider_organisation_id: uuid.UUID
    created_by: uuid.UUID
    message: str | None
    shared_categories: list[str]
    status: str
    reason_code: str | None
    outcome: str | None
    holds_seat: bool
    sent_at: datetime
    accepted_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    version: int
    direction: Literal["sent", "received", "both"] = Field(
        description="sent: your organisation referred; received: your organisation provides the offer.")
    allowed_actions: list[str] = Field(description="The transitions you may take now.")
    person: SharedPerson | None = Field(description="The consent-gated summary the provider sees (null when "
                                                    "the consent no longer allows it).")


class ReferralDetail(ReferralRead):
    history: list[TransitionRead]


class EventRead(OutputModel):
    """One referral transition as a partner front-end sees it: ids and statuses only."""

    id: int
    cursor: str
    referral_id: uuid.UUID
    action: str
    from_status: str | None
    to_status: str
    reason_code: str | None
    referring_organisation_id: uuid.UUID
    provider_organisation_id: uuid.UUID
    actor_organisation_id: uuid.UUID | None
    occurred_at: datetime


class EventPage(OutputModel):
    items: list[EventRead]
    next_cursor: str | None = Field(description="Pass as `after` on the next poll (unchanged when nothing new).")
    has_more: bool


class ContactAgreementSet(InputModel):
    channel: ContactChannel
    cadence: Cadence
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday")
    time_of_day: time | None = Field(default=None, description="Local (Europe/Copenhagen) time")
    note: str | None = Field(default=None, max_length=1000)
    next_contact_at: AwareDateTime | None = Field(
        default=None, description="The agreed next contact; default: the next slot by cadence, weekday and time.")
    volunteer_user_id: uuid.UUID | None = Field(
        default=None, description="Who calls: an active user of the provider organisation who keeps contacts.")
    standin_user_id: uuid.UUID | None = Field(default=None, description="Who calls when the volunteer cannot.")

    @model_validator(mode="after")
    def _two_people(self) -> Self:
        if self.standin_user_id is not None and self.standin_user_id == self.volunteer_user_id:
            raise ValueError("the stand-in must be someone else than the volunteer")
        return self


class ParkedTopicRead(OutputModel):
    id: uuid.UUID
    text: str
    state: str = Field(description="open → taken_up (talked about in a later call) → resolved")
    parked_at: datetime
    parked_in_entry_id: uuid.UUID
    taken_up_at: datetime | None
    taken_up_in_entry_id: uuid.UUID | None
    resolved_at: datetime | None
    resolved_in_entry_id: uuid.UUID | None


class ContactAgreementRead(OutputModel):
    id: uuid.UUID
    referral_id: uuid.UUID
    channel: str
    cadence: str
    weekday: int | None
    time_of_day: time | None
    note: str | None
    next_contact_at: datetime | None
    next_contact_agenda: str | None = Field(description="What was agreed to talk about next time.")
    parked_topics: list[str] = Field(description="Topics parked at the last contact, to take up next time.")
    last_contact_at: datetime | None
    topics: list[ParkedTopicRead] = Field(description="Parked topics not yet resolved (open or taken up).")
    missed_in_a_row: int = Field(description="Newest entries in a row that were unanswered calls.")
    volunteer_user_id: uuid.UUID | None
    standin_user_id: uuid.UUID | None
    closed_at: datetime | None
    ending: str | None = Field(description="How the agreement ended (see POST …/contact-agreement/close).")
    ending_next_step: str | None
    ending_offer_id: uuid.UUID | None
    updated_by: uuid.UUID
    updated_at: datetime


class ContactLogCreate(InputModel):
    contacted_at: AwareDateTime = Field(description="When the contact took place (not in the future).")
    duration_minutes: int = Field(ge=0, le=600)
    channel: ContactChannel
    outcome: ContactOutcome | None = Field(default=None, description=(
        "held (default), or an attempt: no_answer, rescheduled, ended_early. An attempt keeps the parked topics "
        "and the agenda, and without next_contact_at moves the next contact by the retry rule. Default when "
        "omitted: no_answer for 0 minutes without elements, else held."))
    elements: list[Element] = Field(
        default_factory=list, max_length=5,
        description="Which of the five psychosocial elements the contact addressed.")
    parked_topics: list[Topic] = Field(default_factory=list, max_length=20,
                                       description="Topics not opened at the end of the call: take them up next time.")
    next_contact_at: AwareDateTime | None = Field(
        default=None, description="The agreed next contact; default: by the agreement's cadence.")
    next_contact_agenda: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=2000)
    taken_up_topic_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20,
                                                description="Parked topics talked about in this call.")
    resolved_topic_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20,
                                                description="Parked topics settled in this call.")

    @property
    def effective_outcome(self) -> ContactOutcome:
        if self.outcome is not None:
            return self.outcome
        return ContactOutcome.no_answer if self.duration_minutes == 0 and not self.elements else ContactOutcome.held

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        _unique([str(e) for e in self.elements], "elements")
        _unique([str(t) for t in self.taken_up_topic_ids], "taken_up_topic_ids")
        _unique([str(t) for t in self.resolved_topic_ids], "resolved_topic_ids")
        if self.effective_outcome in (ContactOutcome.no_answer, ContactOutcome.rescheduled) and (
                self.duration_minutes or self.elements or self.taken_up_topic_ids or self.resolved_topic_ids):
            raise ValueError("an unanswered or rescheduled call has no duration, elements or topics taken up")
        if self.contacted_at > utcnow():
            raise ValueError("contacted_at must not be in the future")
        if self.next_contact_at is not None and self.next_contact_at <= self.contacted_at:
            raise ValueError("next_contact_at must be after contacted_at")
        return self


class ContactLogRead(OutputModel):
    id: uuid.UUID
    referral_id: uuid.UUID
    contacted_at: datetime
    duration_minutes: int
    channel: str
    outcome: str = Field(description="held, or an attempt: no_answer, rescheduled, ended_early")
    elements: list[str]
    parked_topics: list[str]
    next_contact_at: datetime | None
    next_contact_agenda: str | None
    note: str | None
    recorded_by: uuid.UUID
    created_at: datetime


class DueContact(OutputModel):
    referral_id: uuid.UUID
    offer_id: uuid.UUID
    referral_status: str
    channel: str
    cadence: str
    next_contact_at: datetime
    overdue: bool = Field(description="Due before today (Europe/Copenhagen); false when due today.")
    next_contact_agenda: str | None
    parked_topics: list[str] = Field(description="Topics parked at the last contact.")
    last_contact_at: datetime | None
    volunteer_user_id: uuid.UUID | None
    standin_user_id: uuid.UUID | None
    person: SharedPerson | None
