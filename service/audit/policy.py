"""Who reads which audit events: a system administrator (`audit:read_any`) every event; an org_admin
(`audit:read_own`) the events of its own organisation; anyone else nothing (403)."""

from sqlalchemy import ColumnElement, true
from sqlmodel import col

from service.audit.models import AuditEvent
from service.core.errors import Forbidden
from service.core.permissions import Permission
from service.core.principal import Principal


def readable_events(principal: Principal) -> ColumnElement[bool]:
    """SQL on `audit_event` rows the principal may read; a role with neither permission is refused."""
    if principal.can(Permission.audit_read_any):
        return true()
    if principal.can(Permission.audit_read_own):
        return col(AuditEvent.organisation_id) == principal.organisation_id
    raise Forbidden("Your role does not allow this action.")
