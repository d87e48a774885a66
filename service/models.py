"""Imports every table model so the metadata (Alembic, tests) sees the whole schema."""

from service.audit.models import AuditEvent
from service.organisations.models import Organisation
from service.reference.models import Municipality, RiskSetting
from service.users.models import ApiClient, User

__all__ = ["ApiClient", "AuditEvent", "Municipality", "Organisation", "RiskSetting", "User"]
