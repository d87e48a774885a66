"""The contact rhythm over GraphQL: ending an agreement, parked topics, the five elements over time, the
referrer's contact summary, follow-ups and goals — the same service functions as REST
(`service/referrals/rhythm_router.py`); every type is derived from its read model."""

import uuid
from typing import Annotated

import strawberry

from schema.contact_types import GoalInput, ParkedTopic
from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.pagination import Connection, connection, page_args
from schema.referrals import ContactAgreement, ContactAgreementResult
from service.core.principal import Principal
from service.referrals import contact_reads, followups
from service.referrals.dto import TopicState
from service.referrals.rhythm_dto import (
    AgreementClose,
    ContactSummaryRead,
    ElementHistory,
    FollowUpMeasurementRecord,
    FollowUpRead,
    GoalAssessment,
    GoalCreate,
    GoalRead,
    GoalsAssess,
)
from service.referrals.rhythm_dto import (
    ElementCount as ElementCountRead,
)
from service.referrals.rhythm_dto import (
    ElementMonth as ElementMonthRead,
)


def _principal(info: Info) -> Principal:
    return info.context.require_principal()


@read_type(ContactSummaryRead, name="ContactSummary", description="Counts and dates of the contact, never its "
                                                                  "content.")
class ContactSummary(ReadType[ContactSummaryRead]):
    pass


@read_type(ElementCountRead, name="ElementCount")
class ElementCount(ReadType[ElementCountRead]):
    pass


@read_type(ElementMonthRead, name="ElementMonth")
class ElementMonth(ReadType[ElementMonthRead]):
    pass


@read_type(ElementHistory, name="ContactElements")
class ContactElements(ReadType[ElementHistory]):
    pass


@read_type(FollowUpRead, name="FollowUp", description="A T-ILS follow-up point (months after the referral started).")
class FollowUp(ReadType[FollowUpRead]):
    pass


@read_type(GoalRead, name="ReferralGoal", description="A goal agreed with the person, and whether it was reached.")
class ReferralGoal(ReadType[GoalRead]):
    pass


@strawberry.type
class ReferralGoals:
    items: list[ReferralGoal]


@input_type(AgreementClose)
class AgreementCloseInput:
    pass


@input_type(FollowUpMeasurementRecord)
class FollowUpMeasurementInput:
    pass


@input_type(GoalAssessment)
class GoalAssessmentInput:
    pass


FollowUpResult = Annotated[FollowUp | Problem, strawberry.union("FollowUpResult")]
ReferralGoalResult = Annotated[ReferralGoal | Problem, strawberry.union("ReferralGoalResult")]
ReferralGoalsResult = Annotated[ReferralGoals | Problem, strawberry.union("ReferralGoalsResult")]


@strawberry.type
class Query:
    @strawberry.field(description="Calls, attempts, last contact, open parked topics (counts, not content), while "
                                  "the consent covers the provider.")
    @null_if_not_found
    def contact_summary(self, info: Info, referral_id: uuid.UUID) -> ContactSummary | None:
        return ContactSummary.from_read(contact_reads.contact_summary(info.context.session, _principal(info),
                                                                      referral_id))

    @strawberry.field(description="The five elements over time for the referral's person (provider only).")
    @null_if_not_found
    def contact_elements(self, info: Info, referral_id: uuid.UUID) -> ContactElements | None:
        return ContactElements.from_read(contact_reads.element_history(info.context.session, _principal(info),
                                                                       referral_id))

    @strawberry.field(description="Every parked topic of the referral with its state (provider only).")
    def parked_topics(self, info: Info, referral_id: uuid.UUID, state: TopicState | None = None,
                      first: int | None = None, after: str | None = None) -> Connection[ParkedTopic]:
        return connection(contact_reads.list_topics(info.context.session, _principal(info), referral_id,
                                                    page_args(first, after), TopicState(state) if state else None))

    @strawberry.field(description="The referral's T-ILS follow-up points, by month.")
    @null_if_not_found
    def follow_ups(self, info: Info, referral_id: uuid.UUID, first: int | None = None,
                   after: str | None = None) -> Connection[FollowUp] | None:
        return connection(followups.list_follow_ups(info.context.session, _principal(info), referral_id,
                                                    page_args(first, after)))

    @strawberry.field(description="Your organisation's follow-ups due and not yet recorded, soonest first.")
    def follow_ups_due(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[FollowUp]:
        return connection(followups.due_follow_ups(info.context.session, _principal(info), page_args(first, after)))

    @strawberry.field(description="The goals agreed with the person, and whether they were reached.")
    @null_if_not_found
    def referral_goals(self, info: Info, referral_id: uuid.UUID, first: int | None = None,
                       after: str | None = None) -> Connection[ReferralGoal] | None:
        return connection(followups.list_goals(info.context.session, _principal(info), referral_id,
                                               page_args(first, after)))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="End the contact agreement well: how it ended and the next step.")
    @mutation_result
    def close_contact_agreement(self, info: Info, referral_id: uuid.UUID,
                                input: AgreementCloseInput) -> ContactAgreementResult:
        return ContactAgreement.from_read(contact_reads.close_agreement(
            info.context.session, _principal(info), referral_id, parse(AgreementClose, input)))

    @strawberry.mutation(description="Record a follow-up point's T-ILS answer (full or phone_short).")
    @mutation_result
    def record_follow_up_measurement(self, info: Info, referral_id: uuid.UUID,
                                     input: FollowUpMeasurementInput) -> FollowUpResult:
        return FollowUp.from_read(followups.record_measurement(
            info.context.session, _principal(info), referral_id, parse(FollowUpMeasurementRecord, input)))

    @strawberry.mutation(description="Add a goal agreed with the person while the referral is open.")
    @mutation_result
    def add_referral_goal(self, info: Info, referral_id: uuid.UUID, input: GoalInput) -> ReferralGoalResult:
        return ReferralGoal.from_read(followups.add_goal(info.context.session, _principal(info), referral_id,
                                                         parse(GoalCreate, input)))

    @strawberry.mutation(description="Once the referral has ended: whether each goal was reached.")
    @mutation_result
    def assess_referral_goals(self, info: Info, referral_id: uuid.UUID,
                              input: list[GoalAssessmentInput]) -> ReferralGoalsResult:
        body = parse(GoalsAssess, {"goals": input})
        goals = followups.assess_goals(info.context.session, _principal(info), referral_id,
                                       {g.goal_id: g.reached for g in body.goals})
        return ReferralGoals(items=ReferralGoal.from_reads(goals))
