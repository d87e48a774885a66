"""`emit`: the outbox rows in the caller's transaction, then the subscribed handlers (same transaction)."""

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from service.core.types import utcnow
from service.events.models import OutboxEvent
from service.events.types import DomainEvent

Handler = Callable[[Session, list[OutboxEvent]], None]
_handlers: list[Handler] = []


def subscribe(handler: Handler) -> None:
    """Called by `service.wiring.wire()` only: nothing subscribes at import time."""
    if handler not in _handlers:
        _handlers.append(handler)


def subscribed() -> tuple[Handler, ...]:
    return tuple(_handlers)


def emit(session: Session, event: DomainEvent) -> list[OutboxEvent]:
    """Write the event for every organisation it concerns; never commits."""
    now = utcnow()
    rows = []
    for organisation_id in event.organisation_ids:
        message_id = uuid.uuid4()
        rows.append(OutboxEvent(id=message_id, type=str(event.type), organisation_id=organisation_id,
                                subject=event.subject, occurred_at=now, payload={
                                    "id": str(message_id), "type": str(event.type),
                                    "timestamp": now.isoformat().replace("+00:00", "Z"),
                                    "organisation_id": str(organisation_id),
                                    "data": event.data(organisation_id)}))
    session.add_all(rows)
    session.flush()
    for handler in _handlers:
        handler(session, rows)
    return rows
