"""Who may change an organisation. Reading the directory needs only authentication.

The attributes that define what an organisation's people may see — its kind, municipality (a
municipality's reports), national flag and which ministry it is (a ministry's reports, mapping and action
plan) — are set by a system administrator only. An org_admin editing its own organisation changes its
contact details and name; its name decides nothing.
"""

from typing import Any

from sqlalchemy import ColumnElement, false, true

from service.core.errors import Forbidden, NotFound, Unprocessable
from service.core.permissions import Permission
from service.core.principal import Principal
from service.organisations.models import Organisation, OrganisationKind

SCOPE_FIELDS = frozenset({"kind", "municipality_code", "is_national", "ministry_code"})


def readable_clause(principal: Principal | None) -> ColumnElement[bool]:
    """The read rule: the directory is every organisation, for any authenticated principal; nothing for an
    anonymous caller (an offer's public provider name goes through the offer read rule instead)."""
    return true() if principal is not None else false()


def ensure_can_create(principal: Principal) -> None:
    if not principal.can(Permission.organisations_create):
        raise Forbidden("Your role does not allow this action.")


def ensure_can_update(principal: Principal, org: Organisation, changes: dict[str, Any]) -> None:
    if principal.can(Permission.organisations_update_any):
        return
    if principal.organisation_id != org.id:
        raise NotFound("Organisation not found.")
    if not principal.can(Permission.organisations_update_own):
        raise Forbidden("Your role does not allow editing the organisation.")
    # Sending the current value back (a front-end saving the whole form) changes nothing and is allowed.
    widened = sorted(f for f in SCOPE_FIELDS & set(changes) if changes[f] != getattr(org, f))
    if widened:
        raise Forbidden(f"Only a system administrator may change: {', '.join(widened)}.")


def check_ministry_link(kind: str, ministry_code: str | None) -> None:
    """Only a ministry organisation is a ministry."""
    if ministry_code is not None and kind != OrganisationKind.ministry:
        raise Unprocessable("Only a ministry organisation can be linked to a ministry.", errors=[
            {"field": "ministry_code", "message": "requires kind ministry", "code": "ministry_code_not_allowed"}])
