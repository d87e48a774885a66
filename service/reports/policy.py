"""Who may pull which report. Ministries see aggregates for the risk settings they are responsible for
(data: risk_setting.responsible_ministry_code matched against the organisation's ministry_code — a stable
code a system administrator sets, never the editable name), or all when their organisation is marked
national; a municipality's org_admin sees its own municipality (whose code, too, only a system administrator
sets). Nobody sees a person here."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Forbidden
from service.core.permissions import Permission, Role
from service.core.principal import Principal, require
from service.organisations.models import Organisation, OrganisationKind
from service.reference.models import Ministry, RiskSetting


@dataclass(frozen=True)
class ReportScope:
    risk_settings: tuple[str, ...] | None  # None: all
    municipalities: tuple[str, ...] | None  # None: the whole country
    description: str


def scope_for(session: Session, principal: Principal) -> ReportScope:
    require(principal, Permission.reports_read)
    org = session.get(Organisation, principal.organisation_id)
    if org is None:
        raise Forbidden("Your organisation is unknown.")
    if principal.role == Role.analyst and org.kind == OrganisationKind.ministry:
        if org.is_national:
            return ReportScope(None, None, "national: every risk setting")
        ministry = session.get(Ministry, org.ministry_code) if org.ministry_code else None
        if ministry is None:
            raise Forbidden("Your organisation is not linked to a ministry; a system administrator sets it.")
        codes = tuple(session.scalars(select(RiskSetting.code)
                                      .where(col(RiskSetting.responsible_ministry_code) == ministry.code)
                                      .order_by(col(RiskSetting.sort_order))))
        if not codes:
            raise Forbidden("Your ministry is not responsible for any Recommendation 4 risk setting.")
        return ReportScope(codes, None, f"risk settings of {ministry.name}")
    if principal.role == Role.org_admin and org.kind == OrganisationKind.municipality:
        return ReportScope(None, (org.municipality_code,), f"municipality {org.municipality_code}")
    raise Forbidden("Reports are for ministries' analysts and municipalities' administrators.")
