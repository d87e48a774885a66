"""Whom an offer's change concerns: the provider, and every organisation with an open referral to it."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.events.types import OFFER_STATUSES, EventType, OfferChanged
from service.referrals.models import Referral
from service.referrals.workflow import OPEN_STATUSES

__all__ = ["OFFER_STATUSES", "offer_changed"]


def offer_changed(session: Session, event_type: EventType, offer: Any) -> OfferChanged:
    referrers = session.scalars(select(Referral.referring_organisation_id).distinct().where(
        col(Referral.offer_id) == offer.id, col(Referral.status).in_(OPEN_STATUSES)))
    organisations = tuple(dict.fromkeys([offer.organisation_id, *sorted(referrers)]))
    return OfferChanged(type=event_type, organisation_ids=organisations, offer_id=offer.id)
