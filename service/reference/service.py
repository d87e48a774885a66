from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.reference.models import Municipality, RiskSetting


def list_municipalities(session: Session, region_code: str | None = None) -> list[Municipality]:
    stmt = select(Municipality).order_by(Municipality.code)
    if region_code:
        stmt = stmt.where(Municipality.region_code == region_code)
    return list(session.scalars(stmt))


def list_risk_settings(session: Session) -> list[RiskSetting]:
    return list(session.scalars(select(RiskSetting).order_by(RiskSetting.sort_order)))


def page_municipalities(session: Session, region_code: str | None,
                        page: PageParams) -> tuple[list[Municipality], str | None]:
    stmt = select(Municipality)
    if region_code:
        stmt = stmt.where(col(Municipality.region_code) == region_code)
    return keyset_page(session, stmt, [col(Municipality.code)], page)


def page_risk_settings(session: Session, page: PageParams) -> tuple[list[RiskSetting], str | None]:
    return keyset_page(session, select(RiskSetting), [col(RiskSetting.sort_order), col(RiskSetting.code)], page)


def _check_known(session: Session, column: Any, codes: Iterable[str], field: str, label: str) -> None:
    wanted = set(codes)
    if not wanted:
        return
    known = set(session.scalars(select(column).where(column.in_(wanted)).distinct()))
    unknown = sorted(wanted - known)
    if unknown:
        raise Unprocessable(
            f"Unknown {label}: {', '.join(unknown)}.",
            errors=[{"field": field, "message": f"unknown {label} {c}", "code": "unknown_code"} for c in unknown],
        )


def check_municipality_codes(session: Session, codes: Iterable[str], field: str = "municipality_code") -> None:
    _check_known(session, Municipality.code, codes, field, "municipality code")


def check_risk_setting_codes(session: Session, codes: Iterable[str], field: str = "risk_settings") -> None:
    _check_known(session, RiskSetting.code, codes, field, "risk setting")


def check_region_codes(session: Session, codes: Iterable[str], field: str = "region") -> None:
    _check_known(session, Municipality.region_code, codes, field, "region code")
