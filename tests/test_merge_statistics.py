"""A merged duplicate is one person in the Rec-4 facts: after register → mark duplicate → merge, the national and
municipal person counts drop by one, live and through the fast path (`report_summary`) alike, and the moved
referral is counted once."""

import uuid
from datetime import timedelta
from typing import Any

from service.reports import service as reports
from service.reports import summary
from service.reports.dimensions import load_categories
from service.reports.dto import Rec4Params
from service.reports.policy import ReportScope
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401

PERIOD = {"period_from": "2026-01-01", "period_to": "2026-12-31"}


def _counts(db: Any, scope: ReportScope, reader: Any = None, **params: Any) -> dict[str, int]:
    p = Rec4Params(**PERIOD, **params)
    q = reports._effective_query(db, p, scope)
    counts, _, _, _ = reports.raw_measures(db, q, load_categories(db, p.period_from, p.period_to), reader)
    return {name: sum(cells.values()) for name, cells in counts.items()
            if name in ("persons_at_risk", "persons_newly_registered", "referrals_sent")}


def test_merging_a_duplicate_drops_the_person_counts_by_one(world: World):
    w = world
    kept = w.person(given_name="Åse", family_name="Sørensen", municipality_code="0101")
    twin = w.person(given_name="Aase", family_name="Soerensen", municipality_code="0101", confirm_not_duplicate=True)
    w.refer(twin)
    national, municipal = ReportScope(None, None, "national"), ReportScope(None, ("0101",), "municipality")
    w.db.expire_all()
    before = {s.description: _counts(w.db, s) for s in (national, municipal)}
    assert before["national"]["persons_at_risk"] == 2 and before["national"]["referrals_sent"] == 1
    linked = w.client.post(f"/api/v1/persons/{kept['id']}/links", headers=w.caseworker.headers,
                           json={"other_person_id": twin["id"]})
    assert linked.status_code == 201, linked.text
    merged = w.client.post(f"/api/v1/persons/{kept['id']}/merge", headers=w.caseworker.headers,
                           json={"duplicate_person_id": twin["id"]})
    assert merged.status_code == 200, merged.text
    w.db.expire_all()
    for scope in (national, municipal):
        after = _counts(w.db, scope)
        assert after["persons_at_risk"] == before[scope.description]["persons_at_risk"] - 1, scope
        assert after["persons_newly_registered"] == before[scope.description]["persons_newly_registered"] - 1, scope
        assert after["referrals_sent"] == before[scope.description]["referrals_sent"], scope  # moved, counted once
        # the fast path computes from the same SQL: a fresh summary agrees
        fast = _counts(w.db, scope, summary.Reader(w.db, timedelta(hours=1)))
        assert fast == after, scope
    assert uuid.UUID(merged.json()["merged_person_id"]) == uuid.UUID(twin["id"])
