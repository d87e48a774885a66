"""Who submits and who reads mapping entries.

- Submitting needs `mapping:submit` (org_admin, caseworker, coordinator); the entry belongs to the
  submitter's organisation. Analysts (ministries) read the mapping but do not submit to it.
- Analysts read the entries for the risk settings their ministry is responsible for — the analyst
  organisation's `ministry_code` (set by a system administrator) matched against
  `risk_setting.responsible_ministry_code` (reference data), or named as the entry's responsible ministry —
  or every entry when the organisation is national. Names decide nothing.
- Every other role with `mapping:submit` reads its own organisation's entries.
"""

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Forbidden
from service.core.permissions import Permission, Role
from service.core.principal import Principal, require
from service.mapping.models import MappingEntry
from service.organisations.models import Organisation, OrganisationKind
from service.reference.models import RiskSetting


def ensure_can_submit(principal: Principal) -> None:
    require(principal, Permission.mapping_submit)


def ministry_of(session: Session, principal: Principal) -> Organisation | None:
    """The analyst's ministry organisation (None for any other principal)."""
    if principal.role != Role.analyst:
        return None
    org = session.get(Organisation, principal.organisation_id)
    if org is None or org.kind != OrganisationKind.ministry:
        raise Forbidden("Ministry access needs a ministry organisation.")
    return org


def scope_entries(session: Session, principal: Principal, stmt: Select) -> Select:
    ministry = ministry_of(session, principal)
    if ministry is not None and principal.can(Permission.reports_read):
        if ministry.is_national:
            return stmt
        if ministry.ministry_code is None:
            return stmt.where(false())  # not (yet) linked to a ministry: responsible for nothing
        settings = select(RiskSetting.code).where(col(RiskSetting.responsible_ministry_code) == ministry.ministry_code)
        return stmt.where(or_(col(MappingEntry.risk_setting).in_(settings),
                              col(MappingEntry.responsible_ministry_code) == ministry.ministry_code))
    require(principal, Permission.mapping_submit)
    return stmt.where(MappingEntry.organisation_id == principal.organisation_id)
