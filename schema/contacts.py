"""The contact rhythm over GraphQL: ending an agreement, parked topics, the five elements over time, the
referrer's contact summary, follow-ups and goals — the same service functions as REST
(`service/referrals/rhythm_router.py`)."""

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from schema.contact_types import ParkedTopic
from schema.context import Info
from schema.errors import Problem, attempt, or_none, parse
from schema.pagination import Connection, page_args
from schema.referrals import ContactAgreement, ContactAgreementResult
from service.core.principal import Principal
from service.persons.models import MeasurementForm as MeasurementFormEnum
from service.referrals import contact_reads, followups
from service.referrals.models import AgreementEnding as AgreementEndingEnum
from service.referrals.models import GoalCategory as GoalCategoryEnum
from service.referrals.models import TopicState as TopicStateEnum
from service.referrals.rhythm_dto import (
    AgreementClose,
    ContactSummaryRead,
    ElementHistory,
    FollowUpMeasurementRecord,
    FollowUpRead,
    GoalCreate,
    GoalRead,
    GoalsAssess,
)

AgreementEnding = strawberry.enum(AgreementEndingEnum, name="AgreementEnding")
TopicState = strawberry.enum(TopicStateEnum, name="ParkedTopicState")
GoalCategory = strawberry.enum(GoalCategoryEnum, name="GoalCategory")
MeasurementForm = strawberry.enum(MeasurementFormEnum, name="MeasurementForm")


def _principal(info: Info) -> Principal:
    return info.context.require_principal()


@strawberry.type(description="Counts and dates of the contact, never its content.")
class ContactSummary:
    referral_id: uuid.UUID
    calls: int
    attempts: int
    missed_in_a_row: int
    last_contact_at: datetime | None
    last_attempt_at: datetime | None
    next_contact_at: datetime | None
    open_parked_topics: int
    agreement_closed: bool
    ending: str | None

    @classmethod
    def from_read(cls, r: ContactSummaryRead) -> "ContactSummary":
        return cls(**r.model_dump())


@strawberry.type
class ElementCount:
    element: str
    label_da: str
    label_en: str
    count: int


@strawberry.type
class ElementMonth:
    month: str
    element: str
    count: int


@strawberry.type(description="How often each of the five elements was supported for the person.")
class ContactElements:
    person_id: uuid.UUID
    contacts: int
    totals: list[ElementCount]
    months: list[ElementMonth]

    @classmethod
    def from_read(cls, h: ElementHistory) -> "ContactElements":
        return cls(person_id=h.person_id, contacts=h.contacts,
                   totals=[ElementCount(**t.model_dump()) for t in h.totals],
                   months=[ElementMonth(**m.model_dump()) for m in h.months])


@strawberry.type(description="A T-ILS follow-up point (months after the referral started).")
class FollowUp:
    id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    months: int
    due_at: datetime
    overdue: bool
    measurement_id: uuid.UUID | None
    tils_total: int | None
    recorded_at: datetime | None

    @classmethod
    def from_read(cls, f: FollowUpRead) -> "FollowUp":
        return cls(**f.model_dump())


@strawberry.type(description="A goal agreed with the person at referral, and whether it was reached.")
class ReferralGoal:
    id: uuid.UUID
    referral_id: uuid.UUID
    text: str | None
    category: str | None
    reached: bool | None
    assessed_at: datetime | None
    created_at: datetime

    @classmethod
    def from_read(cls, g: GoalRead) -> "ReferralGoal":
        return cls(**g.model_dump())


@strawberry.input
class AgreementCloseInput:
    ending: AgreementEnding  # type: ignore[valid-type]
    next_step: str | None = strawberry.UNSET
    offer_id: uuid.UUID | None = strawberry.UNSET


@strawberry.input
class FollowUpMeasurementInput:
    follow_up_id: uuid.UUID
    item1: int
    item2: int
    item3: int
    measured_at: datetime | None = strawberry.UNSET
    form: MeasurementForm | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input
class GoalInput:
    text: str
    category: GoalCategory | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input
class GoalAssessmentInput:
    goal_id: uuid.UUID
    reached: bool


def _values(data: object) -> dict:
    """Strawberry input → dict without UNSET, enums as their values."""
    out = {}
    for k, v in strawberry.asdict(data).items():
        if v is strawberry.UNSET:
            continue
        out[k] = getattr(v, "value", v)
    return out


FollowUpResult = Annotated[FollowUp | Problem, strawberry.union("FollowUpResult")]
ReferralGoalResult = Annotated[ReferralGoal | Problem, strawberry.union("ReferralGoalResult")]


@strawberry.type
class ReferralGoals:
    items: list[ReferralGoal]


ReferralGoalsResult = Annotated[ReferralGoals | Problem, strawberry.union("ReferralGoalsResult")]


@strawberry.type
class Query:
    @strawberry.field(description="Calls, attempts, last contact, open parked topics (counts, not content), while "
                                  "the consent covers the provider.")
    def contact_summary(self, info: Info, referral_id: uuid.UUID) -> ContactSummary | None:
        return or_none(lambda: ContactSummary.from_read(
            contact_reads.contact_summary(info.context.session, _principal(info), referral_id)))

    @strawberry.field(description="The five elements over time for the referral's person (provider only).")
    def contact_elements(self, info: Info, referral_id: uuid.UUID) -> ContactElements | None:
        return or_none(lambda: ContactElements.from_read(
            contact_reads.element_history(info.context.session, _principal(info), referral_id)))

    @strawberry.field(description="Every parked topic of the referral with its state (provider only).")
    def parked_topics(self, info: Info, referral_id: uuid.UUID, state: TopicState | None = None,  # type: ignore[valid-type]
                      first: int | None = None, after: str | None = None) -> Connection[ParkedTopic]:
        items, cursor = contact_reads.list_topics(info.context.session, _principal(info), referral_id,
                                                  page_args(first, after), TopicStateEnum(state) if state else None)
        return Connection(items=[ParkedTopic.from_read(t) for t in items], next_cursor=cursor)

    @strawberry.field(description="The referral's T-ILS follow-up points.")
    def follow_ups(self, info: Info, referral_id: uuid.UUID) -> list[FollowUp] | None:
        return or_none(lambda: [FollowUp.from_read(f) for f in
                                followups.list_follow_ups(info.context.session, _principal(info), referral_id)])

    @strawberry.field(description="Your organisation's follow-ups due and not yet recorded, soonest first.")
    def follow_ups_due(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[FollowUp]:
        items, cursor = followups.due_follow_ups(info.context.session, _principal(info), page_args(first, after))
        return Connection(items=[FollowUp.from_read(f) for f in items], next_cursor=cursor)

    @strawberry.field(description="The goals agreed with the person, and whether they were reached.")
    def referral_goals(self, info: Info, referral_id: uuid.UUID) -> list[ReferralGoal] | None:
        return or_none(lambda: [ReferralGoal.from_read(g) for g in
                                followups.list_goals(info.context.session, _principal(info), referral_id)])


@strawberry.type
class Mutation:
    @strawberry.mutation(description="End the contact agreement well: how it ended and the next step.")
    def close_contact_agreement(self, info: Info, referral_id: uuid.UUID,
                                input: AgreementCloseInput) -> ContactAgreementResult:
        return attempt(info, lambda: ContactAgreement.from_read(contact_reads.close_agreement(
            info.context.session, _principal(info), referral_id, parse(AgreementClose, _values(input)))))

    @strawberry.mutation(description="Record a follow-up point's T-ILS answer (full or phone_short).")
    def record_follow_up_measurement(self, info: Info, referral_id: uuid.UUID,
                                     input: FollowUpMeasurementInput) -> FollowUpResult:
        return attempt(info, lambda: FollowUp.from_read(followups.record_measurement(
            info.context.session, _principal(info), referral_id, parse(FollowUpMeasurementRecord, _values(input)))))

    @strawberry.mutation(description="Add a goal agreed with the person while the referral is open.")
    def add_referral_goal(self, info: Info, referral_id: uuid.UUID, input: GoalInput) -> ReferralGoalResult:
        return attempt(info, lambda: ReferralGoal.from_read(followups.add_goal(
            info.context.session, _principal(info), referral_id, parse(GoalCreate, _values(input)))))

    @strawberry.mutation(description="Once the referral has ended: whether each goal was reached.")
    def assess_referral_goals(self, info: Info, referral_id: uuid.UUID,
                              input: list[GoalAssessmentInput]) -> ReferralGoalsResult:
        def run() -> ReferralGoals:
            body = parse(GoalsAssess, {"goals": [_values(g) for g in input]})
            goals = followups.assess_goals(info.context.session, _principal(info), referral_id,
                                           {g.goal_id: g.reached for g in body.goals})
            return ReferralGoals(items=[ReferralGoal.from_read(g) for g in goals])
        return attempt(info, run)
