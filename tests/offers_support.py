"""Arranging offers for tests: valid bodies and a fixture that inserts offers through the domain service."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.types import utcnow
from service.offers.dto import OfferCreate
from service.offers.models import Offer
from service.offers.service import add_offer
from service.organisations.models import Organisation

VALID: dict[str, Any] = {
    "title": "Fællesspisning på Nørrebro",
    "description": "Vi laver mad sammen og spiser ved langbordet.",
    "category": "shared_meal",
    "mode": "in_person",
    "municipality_codes": ["0101"],
    "address": "Blågårdsgade 12",
    "postcode": "2200",
    "city": "København",
    "risk_settings": ["homelessness"],
    "min_age": 18,
    "languages": ["da"],
    "accessibility": ["wheelchair_access"],
    "capacity": 30,
    "schedule": {"freq": "weekly", "weekdays": ["TH"], "start_time": "17:30", "end_time": "19:30"},
}

SECRET_ADDRESS = "Skjultvej 7"
SECRET_POSTCODE = "2450"
CONFIDENTIAL: dict[str, Any] = {
    **VALID, "title": "Samtalegruppe på krisecentret", "category": "peer_support_group",
    "address": SECRET_ADDRESS, "postcode": SECRET_POSTCODE, "city": "København", "latitude": 55.6553,
    "longitude": 12.5357, "confidential_location": True, "risk_settings": ["crisis_centre"],
    "status": "published",
}


def count_offers(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Offer)) or 0


@pytest.fixture
def make_offer(db: Session) -> Callable[..., Offer]:
    def _make(org: Organisation, status: str = "published", **fields: Any) -> Offer:
        data = OfferCreate.model_validate({**VALID, **fields})
        offer = add_offer(db, org.id, data)
        offer.status = status
        offer.published_at = utcnow() if status == "published" else None
        db.add(offer)
        db.commit()
        return offer

    return _make
