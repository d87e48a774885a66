from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from service.core.pagination import Page, PageParams
from service.mapping import service
from service.mapping.dto import MappingEntryCreate, MappingEntryRead
from service.mapping.models import BarrierType
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/mapping-entries", tags=["mapping"])


@router.get("", response_model=Page[MappingEntryRead])
def list_mapping_entries(
    session: SessionDep, principal: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)],
    risk_setting: Annotated[str | None, Query(max_length=40)] = None,
    municipality_code: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    barrier_type: BarrierType | None = None,
) -> dict:
    """Analysts: the risk settings their ministry is responsible for (all when national); others: own
    organisation's entries."""
    items, cursor = service.list_entries(session, principal, page, risk_setting=risk_setting,
                                         municipality_code=municipality_code, barrier_type=barrier_type)
    return {"items": items, "next_cursor": cursor}


@router.post("", response_model=MappingEntryRead, status_code=status.HTTP_201_CREATED)
def create_mapping_entry(session: SessionDep, principal: CurrentPrincipal, body: MappingEntryCreate) -> object:
    """Submit a barrier for a risk setting in a municipality (org_admin, caseworker, coordinator)."""
    return service.create(session, principal, body)
