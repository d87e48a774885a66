"""Account management rules, shared by users and API clients."""

import uuid

from sqlalchemy import Select
from sqlalchemy.orm import Session

from service.core.errors import Forbidden, NotFound, Unprocessable
from service.core.permissions import Permission, Role
from service.core.principal import Principal, require
from service.organisations.models import Organisation, OrganisationKind


def scope_accounts(principal: Principal, stmt: Select, org_column: object) -> Select:
    if principal.can(Permission.users_manage_any):
        return stmt
    require(principal, Permission.users_manage_own)
    return stmt.where(org_column == principal.organisation_id)


def ensure_visible(principal: Principal, organisation_id: uuid.UUID) -> None:
    """Another organisation's account is a 404, like every other object."""
    if principal.can(Permission.users_manage_any):
        return
    if not principal.can(Permission.users_manage_own) or organisation_id != principal.organisation_id:
        raise NotFound("Not found.")


def ensure_can_assign(session: Session, principal: Principal, organisation_id: uuid.UUID, role: Role) -> None:
    if not principal.can(Permission.users_manage_any):
        if organisation_id != principal.organisation_id:
            raise Forbidden("You can manage accounts of your own organisation only.")
        if role == Role.system_admin:
            raise Forbidden("Only a system administrator can grant system_admin.")
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise Unprocessable("Unknown organisation.", errors=[
            {"field": "organisation_id", "message": "no such organisation", "code": "unknown_reference"}])
    if role == Role.analyst and org.kind != OrganisationKind.ministry:
        raise Unprocessable("The analyst role belongs to ministry organisations.", errors=[
            {"field": "role", "message": "analyst requires a ministry organisation", "code": "role_not_allowed"}])
