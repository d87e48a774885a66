"""Webhook endpoints, their deliveries and the event feed belong to one organisation: only its own
(`webhooks:manage`, org_admin) reach them; another organisation's endpoint is a 404."""

from sqlalchemy import ColumnElement
from sqlmodel import col

from service.core.principal import Principal
from service.events.models import OutboxEvent
from service.webhooks.models import WebhookEndpoint


def own_endpoints(principal: Principal) -> ColumnElement[bool]:
    return col(WebhookEndpoint.organisation_id) == principal.organisation_id


def own_events(principal: Principal) -> ColumnElement[bool]:
    return col(OutboxEvent.organisation_id) == principal.organisation_id
