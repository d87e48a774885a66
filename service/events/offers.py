"""Whom an offer's change concerns: the provider, and every organisation an audience registered by
`service.wiring.wire()` names (referrals: each organisation with an open referral to the offer). The audience
is registered, not imported, because referrals sits above events."""

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from service.events.types import OFFER_STATUSES, EventType, OfferChanged

__all__ = ["OFFER_STATUSES", "OfferAudience", "offer_changed", "register_offer_audience"]

OfferAudience = Callable[[Session, uuid.UUID], Iterable[uuid.UUID]]
_AUDIENCES: list[OfferAudience] = []


def register_offer_audience(audience: OfferAudience) -> OfferAudience:
    """Add a source of organisations concerned by an offer's change (called by `service.wiring.wire()`, never
    at import time)."""
    if audience not in _AUDIENCES:
        _AUDIENCES.append(audience)
    return audience


def offer_changed(session: Session, event_type: EventType, offer: Any) -> OfferChanged:
    concerned = {organisation for audience in _AUDIENCES for organisation in audience(session, offer.id)}
    organisations = tuple(dict.fromkeys([offer.organisation_id, *sorted(concerned)]))
    return OfferChanged(type=event_type, organisation_ids=organisations, offer_id=offer.id)
