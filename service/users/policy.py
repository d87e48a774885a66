"""Account management rules, shared by users and API clients.

- Managing accounts needs `users:manage_any` (system_admin) or `users:manage_own` (org_admin, its own
  organisation only). API clients never hold these (`permissions_for`).
- Nobody grants beyond their own reach (`ASSIGNABLE_ROLES`): an org_admin cannot create, promote to or
  change a system_admin; the target account's current role must be within reach too, so an org_admin
  cannot reset a system administrator's password either.
- The analyst role belongs to ministry organisations.
"""

import uuid

from sqlalchemy import Select
from sqlalchemy.orm import Session

from service.core.errors import Forbidden, NotFound, Unprocessable
from service.core.permissions import Permission, Role, assignable_roles
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


def _require_manager(principal: Principal) -> None:
    if not (principal.can(Permission.users_manage_any) or principal.can(Permission.users_manage_own)):
        raise Forbidden("Your role does not allow managing accounts.")


def _require_reach(principal: Principal, role: Role | str) -> None:
    if Role(role) not in assignable_roles(principal.role):
        raise Forbidden(f"Your role cannot grant or change the {Role(role).value} role.")


def ensure_can_change(principal: Principal, current_role: str) -> None:
    """Before any change to an existing (visible) account: its current role must be within reach."""
    _require_manager(principal)
    _require_reach(principal, current_role)


def ensure_can_assign(session: Session, principal: Principal, organisation_id: uuid.UUID, role: Role) -> None:
    _require_manager(principal)
    if not principal.can(Permission.users_manage_any) and organisation_id != principal.organisation_id:
        raise Forbidden("You can manage accounts of your own organisation only.")
    _require_reach(principal, role)
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise Unprocessable("Unknown organisation.", errors=[
            {"field": "organisation_id", "message": "no such organisation", "code": "unknown_reference"}])
    if role == Role.analyst and org.kind != OrganisationKind.ministry:
        raise Unprocessable("The analyst role belongs to ministry organisations.", errors=[
            {"field": "role", "message": "analyst requires a ministry organisation", "code": "role_not_allowed"}])
