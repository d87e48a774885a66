from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from service.core.pagination import Page, PageParams
from service.reference import service
from service.reference.dto import MinistryRead, MunicipalityRead, RiskSettingRead, VocabularyRead
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


@router.get("/vocabularies", response_model=Page[VocabularyRead])
def list_vocabularies(page: Annotated[PageParams, Depends(page_params)],
                      name: Annotated[list[Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")]] | None,
                                      Query(max_length=40, description="Repeatable: only these code lists")] = None,
                      ) -> dict:
    """Every code list of the API — offer categories and modes, accessibility, psychosocial elements, reasons,
    outcomes, statuses, … — with a Danish and an English label for each code, by name (all fit on the default
    page)."""
    items, cursor = service.page_vocabularies(name, page)
    return {"items": items, "next_cursor": cursor}
