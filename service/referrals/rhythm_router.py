"""REST for the contact rhythm's endings and reads, follow-ups and goals (`service/referrals/contact_reads.py`,
`service/referrals/followups.py`)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from service.core.pagination import Page, PageParams
from service.referrals import contact_reads, followups
from service.referrals.dto import ContactAgreementRead, ParkedTopicRead
from service.referrals.models import TopicState
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
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/referrals", tags=["referrals"])
follow_ups_router = APIRouter(prefix="/follow-ups", tags=["referrals"])


@router.post("/{referral_id}/contact-agreement/close", response_model=ContactAgreementRead)
def close_contact_agreement(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                            body: AgreementClose) -> Any:
    """End the agreement well (provider): how it ended, and for a planned ending the next step. A closed
    agreement is never due and takes no more contacts (409)."""
    return contact_reads.close_agreement(session, principal, referral_id, body)


@router.get("/{referral_id}/parked-topics", response_model=Page[ParkedTopicRead])
def list_parked_topics(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                       page: Annotated[PageParams, Depends(page_params)],
                       state: Annotated[TopicState | None, Query()] = None) -> dict:
    """Every parked topic with its state (open → taken_up → resolved) and the entries that changed it
    (provider only)."""
    items, cursor = contact_reads.list_topics(session, principal, referral_id, page, state)
    return {"items": items, "next_cursor": cursor}


@router.get("/{referral_id}/contact-elements", response_model=ElementHistory)
def contact_elements(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID) -> Any:
    """How often each of the five elements was supported for the referral's person, in all and per month
    (provider only; Danish and English labels)."""
    return contact_reads.element_history(session, principal, referral_id)


@router.get("/{referral_id}/contact-summary", response_model=ContactSummaryRead)
def contact_summary(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID) -> Any:
    """Calls, attempts, last contact and how many parked topics are open — not the content — for either party,
    while the person's consent covers the provider (else 403)."""
    return contact_reads.contact_summary(session, principal, referral_id)


@router.get("/{referral_id}/follow-ups", response_model=Page[FollowUpRead])
def list_follow_ups(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                    page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The T-ILS follow-up points scheduled when the referral started, by month (the total: referrer only)."""
    items, cursor = followups.list_follow_ups(session, principal, referral_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/{referral_id}/follow-up-measurements", response_model=FollowUpRead,
             status_code=status.HTTP_201_CREATED)
def record_follow_up(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                     body: FollowUpMeasurementRecord) -> Any:
    """Record the T-ILS answer of a follow-up point (full or `phone_short`); needs an active `outcome_followup`
    consent (422 naming it); a point is recorded once (409)."""
    return followups.record_measurement(session, principal, referral_id, body)


@router.get("/{referral_id}/goals", response_model=Page[GoalRead])
def list_goals(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
               page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The goals agreed with the person, and whether they were reached."""
    items, cursor = followups.list_goals(session, principal, referral_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/{referral_id}/goals", response_model=GoalRead, status_code=status.HTTP_201_CREATED)
def add_goal(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID, body: GoalCreate) -> Any:
    """Add a goal agreed with the person (free text, optional category) while the referral is open."""
    return followups.add_goal(session, principal, referral_id, body)


@router.post("/{referral_id}/goals/assessment", response_model=Page[GoalRead])
def assess_goals(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                 body: GoalsAssess) -> dict:
    """Once the referral is completed or ended early: whether each goal was reached. Answers the assessed goals
    in the list envelope (every goal of the referral in one page: `next_cursor` is null)."""
    goals = followups.assess_goals(session, principal, referral_id, {g.goal_id: g.reached for g in body.goals})
    return {"items": goals, "next_cursor": None}


@follow_ups_router.get("/due", response_model=Page[FollowUpRead])
def due_follow_ups(session: SessionDep, principal: CurrentPrincipal,
                   page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """Your organisation's follow-ups that are due and not yet recorded, soonest first (referrer side)."""
    items, cursor = followups.due_follow_ups(session, principal, page)
    return {"items": items, "next_cursor": cursor}
