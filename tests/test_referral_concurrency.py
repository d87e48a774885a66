"""No overbooking, ever: concurrent acceptances through the real HTTP stack, on PostgreSQL and SQLite.

Each request runs in its own connection and transaction (the `live_server` fixture), so the only thing between
the requests and an overbooked offer is the conditional UPDATE (and the CHECK constraint behind it). On SQLite
the writers queue for the database's write lock (WAL, BEGIN IMMEDIATE, a busy timeout) instead of failing.
"""

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from service.offers.models import Offer
from service.referrals.models import Referral, ReferralTransition
from tests.live_support import fire, patient_writers  # noqa: F401  (fixture)
from tests.referrals_support import arrange_committed

pytestmark = pytest.mark.usefixtures("patient_writers")
ACCEPTANCES = 55
CAPACITY = 5


def _fire(base_url: str, headers: dict[str, str], referral_ids: list[uuid.UUID]) -> list[httpx.Response]:
    def accept(rid: uuid.UUID):  # type: ignore[no-untyped-def]
        return lambda http: http.post(f"/api/v1/referrals/{rid}/transitions", json={"action": "accept"},
                                      headers=headers)

    return fire(base_url, [accept(rid) for rid in referral_ids])


def test_fifty_five_concurrent_acceptances_fill_exactly_five_places(live_server, committed):
    headers, offer, ids = arrange_committed(committed, ACCEPTANCES, CAPACITY)
    responses = _fire(live_server, headers, ids)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == CAPACITY, codes
    assert codes.count(409) == ACCEPTANCES - CAPACITY, codes
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"no_capacity"}
    committed.expire_all()
    assert committed.scalar(select(Offer.seats_taken).where(Offer.id == offer.id)) == CAPACITY
    accepted = committed.scalar(select(func.count()).select_from(Referral).where(
        Referral.offer_id == offer.id, Referral.status == "accepted", Referral.holds_seat.is_(True)))
    assert accepted == CAPACITY
    assert committed.scalar(select(func.count()).select_from(ReferralTransition).where(
        ReferralTransition.action == "accept")) == CAPACITY
    assert committed.scalar(select(func.count()).select_from(Referral).where(
        Referral.offer_id == offer.id, Referral.status == "sent")) == ACCEPTANCES - CAPACITY


def test_one_referral_accepted_concurrently_takes_one_place(live_server, committed):
    headers, offer, ids = arrange_committed(committed, 1, CAPACITY)
    responses = _fire(live_server, headers, ids * 12)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(409) == 11, codes
    committed.expire_all()
    assert committed.scalar(select(Offer.seats_taken).where(Offer.id == offer.id)) == 1
    assert committed.scalar(select(func.count()).select_from(ReferralTransition).where(
        ReferralTransition.action == "accept")) == 1
