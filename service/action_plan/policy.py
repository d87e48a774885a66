"""Action-plan access.

Measures are public-sector plans: every analyst (any ministry) and every org_admin (report readers) can
read all of them. Recording and editing needs `action_plan:manage` (analysts, whose organisation is a
ministry); only the ministry organisation that recorded a measure edits it — another organisation's
measure is a 404 for edits.
"""

import uuid

from sqlalchemy.orm import Session

from service.core.errors import Forbidden, NotFound
from service.core.permissions import Permission
from service.core.principal import Principal, require
from service.organisations.models import Organisation, OrganisationKind


def ensure_can_read(principal: Principal) -> None:
    if not (principal.can(Permission.action_plan_manage) or principal.can(Permission.reports_read)):
        raise Forbidden("Your role does not allow reading the action plan.")


def ensure_can_manage(session: Session, principal: Principal) -> Organisation:
    require(principal, Permission.action_plan_manage)
    org = session.get(Organisation, principal.organisation_id)
    if org is None or org.kind != OrganisationKind.ministry:
        raise Forbidden("Action-plan measures are recorded by ministries.")
    return org


def ensure_owner(principal: Principal, organisation_id: uuid.UUID) -> None:
    if organisation_id != principal.organisation_id:
        raise NotFound("Measure not found.")
