"""REST for referrals, their transitions, the event feed, contact agreements and the contact log."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from service.core.errors import NotFound
from service.core.pagination import MAX_LIMIT, Page, PageParams
from service.referrals import contacts, due, feed, guards, service, transitions
from service.referrals.dto import (
    ContactAgreementRead,
    ContactAgreementSet,
    ContactLogCreate,
    ContactLogRead,
    DueContact,
    EventPage,
    ReferralCreate,
    ReferralDetail,
    ReferralRead,
    TransitionRequest,
)
from service.referrals.due import DueWindow
from service.referrals.models import ReferralStatus
from service.web.idempotency import IdempotencyKey, forgotten, run_once
from service.web.pages import page_response
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/referrals", tags=["referrals"])
contacts_router = APIRouter(prefix="/contacts", tags=["referrals"])
events_router = APIRouter(prefix="/events", tags=["referrals"])

_IDEMPOTENT = {"409": {"description": "Illegal transition, no free place, or concurrent change"},
               "410": {"description": "Idempotency-Key replayed after the person it described was erased"},
               "422": {"description": "Validation, missing consent, or an Idempotency-Key reused with another body"}}


def _person_of(detail: ReferralDetail) -> uuid.UUID:
    return detail.person_id  # a stored referral response describes this person (forgotten on erasure)


@router.post("", response_model=ReferralDetail, status_code=status.HTTP_201_CREATED, responses=_IDEMPOTENT)
def create_referral(session: SessionDep, principal: CurrentPrincipal, body: ReferralCreate, request: Request,
                    idempotency_key: IdempotencyKey = None) -> Any:
    """Refer a person to a published offer (caseworker, org_admin). Needs an active `referral_sharing`
    consent naming the provider organisation (else 422 naming the missing consent). Send an
    `Idempotency-Key` to retry safely."""
    def produce() -> tuple[int, Any]:
        return 201, service.create(session, principal, body)

    code, payload = run_once(session, principal, idempotency_key, request.url.path, body.model_dump(mode="json"),
                             produce, person_of=_person_of)
    return JSONResponse(jsonable_encoder(payload), status_code=code)


@router.get("", response_model=Page[ReferralRead])
def list_referrals(
    session: SessionDep, principal: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)],
    direction: Annotated[Literal["sent", "received"] | None,
                         Query(description="sent: by your organisation; received: to your offers")] = None,
    status_: Annotated[ReferralStatus | None, Query(alias="status")] = None,
    offer_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> Response:
    """Referrals your organisation sent (caseworker, org_admin) or received (coordinator, org_admin),
    oldest first. Received ones only while the person's consent lets you see them."""
    filters = service.ReferralFilters(direction=direction, status=status_, offer_id=offer_id, person_id=person_id)
    items, cursor = service.list_referrals(session, principal, page, filters)
    return page_response(ReferralRead, items, cursor)  # serialised once (service.web.pages)


@router.get("/{referral_id}", response_model=ReferralDetail)
def get_referral(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID) -> Any:
    """One referral with its history and the consent-gated person summary (the read is audited)."""
    return service.get(session, principal, referral_id)


@router.post("/{referral_id}/transitions", response_model=ReferralDetail, responses=_IDEMPOTENT)
def transition_referral(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                        body: TransitionRequest, request: Request, idempotency_key: IdempotencyKey = None) -> Any:
    """accept | decline | start | complete | end_early (provider) or withdraw (referrer). An illegal action
    → 409 with `allowed_actions`; accepting a full offer → 409 `no_capacity`."""
    def produce() -> tuple[int, Any]:
        return 200, transitions.transition(session, principal, referral_id, body)

    if idempotency_key is not None:
        # A replay must not outlive the consent: the stored body shows the person's summary, and an expired
        # consent (before the nightly job has forgotten the stored responses) hides the referral now.
        try:
            guards.ensure_visible(session, principal, referral_id, "referral.transition")
        except NotFound:
            if not forgotten(session, principal, idempotency_key):
                raise  # a forgotten response answers 410 below, as after a withdrawal
    code, payload = run_once(session, principal, idempotency_key, request.url.path,
                             body.model_dump(mode="json"), produce, person_of=_person_of)
    return JSONResponse(jsonable_encoder(payload), status_code=code)


@router.get("/{referral_id}/contact-agreement", response_model=ContactAgreementRead)
def get_contact_agreement(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID) -> Any:
    """The agreed channel, cadence and next contact, with the topics parked last time (provider only)."""
    return contacts.get_agreement(session, principal, referral_id)


@router.put("/{referral_id}/contact-agreement", response_model=ContactAgreementRead)
def put_contact_agreement(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                          body: ContactAgreementSet, response: Response) -> Any:
    """Record or replace the contact agreement of an accepted or started referral (provider only)."""
    read, created = contacts.set_agreement(session, principal, referral_id, body)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return read


@router.get("/{referral_id}/contacts", response_model=Page[ContactLogRead])
def list_contacts(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                  page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The contact log, oldest first (provider only)."""
    items, cursor = contacts.list_contacts(session, principal, referral_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/{referral_id}/contacts", response_model=ContactLogRead, status_code=status.HTTP_201_CREATED)
def log_contact(session: SessionDep, principal: CurrentPrincipal, referral_id: uuid.UUID,
                body: ContactLogCreate) -> Any:
    """Log a contact: channel, duration, the psychosocial elements addressed, parked topics and the next
    agreed contact (which updates the agreement's next_contact_at)."""
    return contacts.log_contact(session, principal, referral_id, body)


@contacts_router.get("/due", response_model=Page[DueContact])
def due_contacts(session: SessionDep, principal: CurrentPrincipal,
                 page: Annotated[PageParams, Depends(page_params)],
                 window: Annotated[DueWindow, Query(description=(
                     "due: now or earlier (default); today / this_week (to Sunday's end) / overdue (before today), "
                     "in Copenhagen time"))] = DueWindow.due,
                 mine: Annotated[bool, Query(description="only the agreements you are volunteer or stand-in of")]
                 = False) -> dict:
    """Your organisation's agreed contacts in the window, soonest first, with the parked topics."""
    items, cursor = due.due_contacts(session, principal, page, window, mine)
    return {"items": items, "next_cursor": cursor}


@events_router.get("", response_model=EventPage)
def list_events(session: SessionDep, principal: CurrentPrincipal,
                after: Annotated[str | None, Query(max_length=20, description="next_cursor of the last poll")] = None,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100) -> Any:
    """Referral transitions your organisation may see (sent or received), oldest first, for polling.
    Events carry ids and statuses only."""
    return feed.events(session, principal, after, limit)
