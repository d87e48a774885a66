"""No overbooking, ever: concurrent acceptances through the real HTTP stack against PostgreSQL.

Each request runs in its own connection and transaction (the `live_server` fixture), so the only thing between
the requests and an overbooked offer is the conditional UPDATE (and the CHECK constraint behind it).
"""

import threading
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from service.offers.models import Offer
from service.referrals.models import Referral, ReferralTransition
from tests.conftest import postgres_only
from tests.referrals_support import arrange_committed

ACCEPTANCES = 55
CAPACITY = 5


def _fire(base_url: str, headers: dict[str, str], referral_ids: list[uuid.UUID]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(referral_ids))
    results: list[Any] = [None] * len(referral_ids)

    def accept(i: int, rid: uuid.UUID) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            barrier.wait()
            try:
                results[i] = http.post(f"/api/v1/referrals/{rid}/transitions", json={"action": "accept"})
            except httpx.HTTPError as exc:  # recorded, and the assertions below will show it
                results[i] = exc

    threads = [threading.Thread(target=accept, args=(i, rid)) for i, rid in enumerate(referral_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    failures = [r for r in results if not isinstance(r, httpx.Response)]
    assert not failures, failures
    return results


@postgres_only
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


@postgres_only
def test_one_referral_accepted_concurrently_takes_one_place(live_server, committed):
    headers, offer, ids = arrange_committed(committed, 1, CAPACITY)
    responses = _fire(live_server, headers, ids * 12)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(409) == 11, codes
    committed.expire_all()
    assert committed.scalar(select(Offer.seats_taken).where(Offer.id == offer.id)) == 1
    assert committed.scalar(select(func.count()).select_from(ReferralTransition).where(
        ReferralTransition.action == "accept")) == 1
