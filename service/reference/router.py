from typing import Annotated

from fastapi import APIRouter, Query

from service.core.db import SessionDep
from service.reference import service
from service.reference.dto import MinistryRead, MunicipalityRead, RiskSettingRead

router = APIRouter(prefix="/reference", tags=["reference"])


@router.get("/municipalities", response_model=list[MunicipalityRead])
def list_municipalities(session: SessionDep,
                        region_code: Annotated[str | None, Query(max_length=4)] = None) -> list:
    """The 98 Danish municipalities (four-digit code, name, region)."""
    return service.list_municipalities(session, region_code)


@router.get("/risk-settings", response_model=list[RiskSettingRead])
def list_risk_settings(session: SessionDep) -> list:
    """The nine Recommendation 4 risk settings with Danish/English labels and responsible ministry (code and name)."""
    return service.list_risk_settings(session)


@router.get("/ministries", response_model=list[MinistryRead])
def list_ministries(session: SessionDep) -> list:
    """The ministries responsible for Recommendation 4 risk settings: a stable code and the current name."""
    return service.list_ministries(session)
