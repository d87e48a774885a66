"""Webhook endpoints, their deliveries and the event feed belong to one organisation: only its own
(`webhooks:manage`, org_admin) reach them; another organisation's endpoint is a 404."""

from sqlalchemy import ColumnElement
from sqlmodel import col

from service.core.permissions import Permission
from service.core.principal import Principal, require
from service.events.models import OutboxEvent
from service.webhooks.models import WebhookEndpoint


def ensure_can_manage(principal: Principal) -> None:
    """Only the organisation's webhook managers (org_admin) work with its endpoints and feed; else 403."""
    require(principal, Permission.webhooks_manage)


def own_endpoints(principal: Principal) -> ColumnElement[bool]:
    return col(WebhookEndpoint.organisation_id) == principal.organisation_id


def own_events(principal: Principal) -> ColumnElement[bool]:
    return col(OutboxEvent.organisation_id) == principal.organisation_id
