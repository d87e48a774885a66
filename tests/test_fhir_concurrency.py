"""Concurrent Task writes through the real HTTP stack, on PostgreSQL and SQLite: of writers holding the same
version exactly one moves the loop; the others are told the Task changed (412), never a 5xx, never two
transitions."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from service.offers.models import Offer
from service.referrals.models import ReferralTransition
from tests.live_support import fire, patient_writers  # noqa: F401  (fixture)
from tests.referrals_support import arrange_committed

pytestmark = pytest.mark.usefixtures("patient_writers")
WRITERS = 12
ACCEPT = [{"op": "replace", "path": "/status", "value": "accepted"}]


def _patch(rid: uuid.UUID, headers: dict[str, str], if_match: str | None) -> Any:
    extra = {"Content-Type": "application/json-patch+json", **({"If-Match": if_match} if if_match else {})}
    return lambda http: http.patch(f"/fhir/R4/Task/{rid}", json=ACCEPT, headers={**headers, **extra})


def _transitions(committed: Any) -> int:
    committed.expire_all()
    return committed.scalar(select(func.count()).select_from(ReferralTransition).where(
        ReferralTransition.action == "accept")) or 0


def test_same_version_concurrent_patches_one_wins(live_server: str, committed: Any) -> None:
    headers, offer, [rid] = arrange_committed(committed, 1, 5)
    responses: list[httpx.Response] = fire(live_server, [_patch(rid, headers, 'W/"1"')] * WRITERS)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(412) == WRITERS - 1, codes
    assert all(r.headers["content-type"].startswith("application/fhir+json") for r in responses)
    assert _transitions(committed) == 1
    assert committed.scalar(select(Offer.seats_taken).where(Offer.id == offer.id)) == 1


def test_unversioned_concurrent_patches_accept_once(live_server: str, committed: Any) -> None:
    headers, offer, [rid] = arrange_committed(committed, 1, 5)
    responses = fire(live_server, [_patch(rid, headers, None)] * WRITERS)
    # the first moves the loop; the rest, serialised behind its row lock, patch a Task that is already accepted:
    # the same state again, harmless (200) — and still one transition, one place
    assert [r.status_code for r in responses] == [200] * WRITERS
    assert {r.json()["meta"]["versionId"] for r in responses} == {"2"}
    assert _transitions(committed) == 1
    assert committed.scalar(select(Offer.seats_taken).where(Offer.id == offer.id)) == 1
