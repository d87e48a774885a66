"""REST for duplicate links and merges of persons, and for transfers between organisations."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query

from service.core.pagination import Page, PageParams
from service.persons import links, transfer
from service.persons.links_dto import (
    MergeRead,
    PersonLinkCreate,
    PersonLinkRead,
    PersonMerge,
    TransferAccept,
    TransferCreate,
    TransferRead,
)
from service.persons.models import TransferStatus
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(tags=["persons"])


@router.get("/persons/{person_id}/links", response_model=Page[PersonLinkRead])
def list_links(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
               page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """Duplicate decisions about the person: confirmed duplicates (merged or not) and confirmed non-duplicates."""
    items, cursor = links.list_links(session, principal, person_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/persons/{person_id}/links", response_model=PersonLinkRead, status_code=201)
def link_duplicate(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                   body: PersonLinkCreate) -> object:
    """Confirm that another person of your organisation is the same person (a merge may follow)."""
    return links.link(session, principal, person_id, body)


@router.post("/persons/{person_id}/merge", response_model=MergeRead)
def merge_persons(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                  body: PersonMerge) -> object:
    """Merge a linked duplicate into this person: its consents, referrals, measurements and risk settings move
    here, then the duplicate record is erased. Audited on both persons."""
    return links.merge(session, principal, person_id, body)


@router.post("/persons/{person_id}/transfers", response_model=TransferRead, status_code=201)
def request_transfer(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                     body: TransferCreate) -> object:
    """Ask another organisation to take over the person; it accepts or declines, you may cancel meanwhile."""
    return transfer.request(session, principal, person_id, body)


@router.get("/person-transfers", response_model=Page[TransferRead])
def list_transfers(session: SessionDep, principal: CurrentPrincipal,
                   page: Annotated[PageParams, Depends(page_params)],
                   direction: Annotated[Literal["incoming", "outgoing"] | None, Query()] = None,
                   status: Annotated[TransferStatus | None, Query()] = None) -> dict:
    """Transfers your organisation sends or receives, oldest first."""
    items, cursor = transfer.list_transfers(session, principal, page, direction, status)
    return {"items": items, "next_cursor": cursor}


@router.get("/person-transfers/{transfer_id}", response_model=TransferRead)
def get_transfer(session: SessionDep, principal: CurrentPrincipal, transfer_id: uuid.UUID) -> object:
    """One transfer; the receiver sees the consent-gated summary while it is pending."""
    return transfer.get(session, principal, transfer_id)


@router.post("/person-transfers/{transfer_id}/accept", response_model=TransferRead)
def accept_transfer(session: SessionDep, principal: CurrentPrincipal, transfer_id: uuid.UUID,
                    body: Annotated[TransferAccept | None, Body()] = None) -> object:
    """The receiving organisation takes over the person; consents move only where they name it."""
    return transfer.accept(session, principal, transfer_id, body or TransferAccept())


@router.post("/person-transfers/{transfer_id}/cancel", response_model=TransferRead)
def cancel_transfer(session: SessionDep, principal: CurrentPrincipal, transfer_id: uuid.UUID) -> object:
    """The sender cancels, the receiver declines, while the transfer is pending."""
    return transfer.cancel(session, principal, transfer_id)
