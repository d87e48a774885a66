import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from service.action_plan import service
from service.action_plan.dto import MeasureCreate, MeasureRead, MeasureUpdate
from service.action_plan.models import Indicator, MeasureStatus
from service.core.pagination import Page, PageParams
from service.web.etag import etag, parse_if_match
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/action-plan/measures", tags=["action plan"])


@router.get("", response_model=Page[MeasureRead])
def list_measures(
    session: SessionDep, principal: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)],
    status: MeasureStatus | None = None,
    risk_setting: Annotated[str | None, Query(max_length=40)] = None,
    responsible_ministry: Annotated[str | None, Query(max_length=120, description="Deprecated: the name")] = None,
    indicator: Indicator | None = None,
    responsible_ministry_code: Annotated[str | None, Query(max_length=40)] = None,
) -> dict:
    """Every measure (they are public-sector plans): analysts and org_admins."""
    items, cursor = service.list_measures(session, principal, page, status=status, risk_setting=risk_setting,
                                          responsible_ministry=responsible_ministry, indicator=indicator,
                                          responsible_ministry_code=responsible_ministry_code)
    return {"items": items, "next_cursor": cursor}


@router.post("", response_model=MeasureRead, status_code=status.HTTP_201_CREATED)
def create_measure(session: SessionDep, principal: CurrentPrincipal, body: MeasureCreate,
                   response: Response) -> object:
    """Record a measure for the caller's ministry (analysts)."""
    measure = service.create(session, principal, body)
    response.headers["ETag"] = etag(measure.version)
    return measure


@router.get("/{measure_id}", response_model=MeasureRead)
def get_measure(session: SessionDep, principal: CurrentPrincipal, measure_id: uuid.UUID,
                response: Response) -> object:
    measure = service.get(session, principal, measure_id)
    response.headers["ETag"] = etag(measure.version)
    return measure


@router.patch("/{measure_id}", response_model=MeasureRead)
def update_measure(session: SessionDep, principal: CurrentPrincipal, measure_id: uuid.UUID, body: MeasureUpdate,
                   response: Response,
                   if_match: Annotated[str | None, Header(description="The ETag of your last read")] = None) -> object:
    """Change a measure of the caller's own ministry; needs If-Match (412 when stale, 428 when missing)."""
    measure = service.update(session, principal, measure_id, body, parse_if_match(if_match))
    response.headers["ETag"] = etag(measure.version)
    return measure
