from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.errors import Unprocessable
from service.reference.models import Municipality, RiskSetting


def list_municipalities(session: Session, region_code: str | None = None) -> list[Municipality]:
    stmt = select(Municipality).order_by(Municipality.code)
    if region_code:
        stmt = stmt.where(Municipality.region_code == region_code)
    return list(session.scalars(stmt))


def list_risk_settings(session: Session) -> list[RiskSetting]:
    return list(session.scalars(select(RiskSetting).order_by(RiskSetting.sort_order)))


def check_municipality_codes(session: Session, codes: Iterable[str], field: str = "municipality_code") -> None:
    wanted = set(codes)
    if not wanted:
        return
    known = set(session.scalars(select(Municipality.code).where(Municipality.code.in_(wanted))))  # type: ignore[attr-defined]
    unknown = sorted(wanted - known)
    if unknown:
        raise Unprocessable(
            f"Unknown municipality code: {', '.join(unknown)}.",
            errors=[{"field": field, "message": f"unknown municipality code {c}", "code": "unknown_code"}
                    for c in unknown],
        )


def check_risk_setting_codes(session: Session, codes: Iterable[str], field: str = "risk_settings") -> None:
    wanted = set(codes)
    if not wanted:
        return
    known = set(session.scalars(select(RiskSetting.code).where(RiskSetting.code.in_(wanted))))  # type: ignore[attr-defined]
    unknown = sorted(wanted - known)
    if unknown:
        raise Unprocessable(
            f"Unknown risk setting: {', '.join(unknown)}.",
            errors=[{"field": field, "message": f"unknown risk setting {c}", "code": "unknown_code"}
                    for c in unknown],
        )
