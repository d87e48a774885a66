"""Who may change an organisation. Reading the directory needs only authentication."""

from service.core.errors import Forbidden, NotFound
from service.core.permissions import Permission
from service.core.principal import Principal
from service.organisations.models import Organisation

RESTRICTED_FIELDS = frozenset({"kind", "is_national"})


def ensure_can_update(principal: Principal, org: Organisation, changed: set[str]) -> None:
    if principal.can(Permission.organisations_update_any):
        return
    if principal.organisation_id != org.id:
        raise NotFound("Organisation not found.")
    if not principal.can(Permission.organisations_update_own):
        raise Forbidden("Your role does not allow editing the organisation.")
    if changed & RESTRICTED_FIELDS:
        raise Forbidden(f"Only a system administrator may change: {', '.join(sorted(changed & RESTRICTED_FIELDS))}.")
