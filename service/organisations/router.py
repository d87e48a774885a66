import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from service.core.pagination import Page, PageParams
from service.organisations import service
from service.organisations.dto import OrganisationCreate, OrganisationRead, OrganisationUpdate
from service.organisations.models import OrganisationKind
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.get("", response_model=Page[OrganisationRead])
def list_organisations(
    session: SessionDep, principal: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)],
    kind: OrganisationKind | None = None,
    municipality_code: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
) -> dict:
    items, cursor = service.list_organisations(session, principal, page, kind=kind,
                                            municipality_code=municipality_code, q=q)
    return {"items": items, "next_cursor": cursor}


@router.post("", response_model=OrganisationRead, status_code=status.HTTP_201_CREATED)
def create_organisation(session: SessionDep, principal: CurrentPrincipal, body: OrganisationCreate) -> object:
    return service.create(session, principal, body)


@router.get("/{org_id}", response_model=OrganisationRead)
def get_organisation(session: SessionDep, principal: CurrentPrincipal, org_id: uuid.UUID) -> object:
    return service.read(session, principal, org_id)


@router.patch("/{org_id}", response_model=OrganisationRead)
def update_organisation(session: SessionDep, principal: CurrentPrincipal, org_id: uuid.UUID,
                        body: OrganisationUpdate) -> object:
    return service.update(session, principal, org_id, body)
