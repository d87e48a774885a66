"""Domain events as explicit objects, written to the outbox in the transaction of the change.

A domain service says what happened — `emit(session, ReferralChanged(...))` — and nothing more. `emit` writes
one outbox row per organisation the event concerns, in the caller's transaction (a rolled-back change sends
nothing, a committed one is never lost), then runs the handlers `service.wiring.wire()` subscribed (webhooks
fan the row out to the organisation's endpoints). Payloads are thin: ids, type, time, organisation — the
receiver fetches details with its own token, so consent is evaluated when it reads.
"""

from service.events.bus import emit, subscribe, subscribed
from service.events.types import (
    ActionPlanMeasureChanged,
    ConsentEnded,
    ContactAlert,
    DomainEvent,
    EndpointDisabled,
    EventType,
    MissedContacts,
    OfferChanged,
    ReferralChanged,
)

__all__ = ["ActionPlanMeasureChanged", "ConsentEnded", "ContactAlert", "DomainEvent", "EndpointDisabled",
           "EventType", "MissedContacts", "OfferChanged", "ReferralChanged", "emit", "subscribe", "subscribed"]
