from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.core.pagination import Page, PageParams
from service.reference import service
from service.reference.dto import MinistryRead, MunicipalityRead, RiskSettingRead
from service.web.parameters import page_params
from service.web.session import SessionDep

router = APIRouter(prefix="/reference", tags=["reference"])


@router.get("/municipalities", response_model=Page[MunicipalityRead])
def list_municipalities(session: SessionDep, page: Annotated[PageParams, Depends(page_params)],
                        region_code: Annotated[str | None, Query(max_length=4)] = None) -> dict:
    """The 98 Danish municipalities (four-digit code, name, region), by code; `limit=100` gets them all."""
    items, cursor = service.page_municipalities(session, region_code, page)
    return {"items": items, "next_cursor": cursor}


@router.get("/risk-settings", response_model=Page[RiskSettingRead])
def list_risk_settings(session: SessionDep, page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The nine Recommendation 4 risk settings with Danish/English labels and responsible ministry."""
    items, cursor = service.page_risk_settings(session, page)
    return {"items": items, "next_cursor": cursor}


@router.get("/ministries", response_model=Page[MinistryRead])
def list_ministries(session: SessionDep, page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The ministries responsible for Recommendation 4 risk settings: a stable code and the current name."""
    items, cursor = service.page_ministries(session, page)
    return {"items": items, "next_cursor": cursor}
