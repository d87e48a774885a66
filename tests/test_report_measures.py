"""Issue #13, defects 2 and 3: the measures match their documented formulas (README "Measures"), checked on the
true figures (before disclosure control) against a hand count of a small, crafted dataset."""

import uuid
from datetime import UTC, datetime

from service.offers.models import OfferAccessibility
from service.referrals.models import Referral
from service.reports import service as reports
from service.reports import sql
from service.reports.dimensions import load_categories
from service.reports.dto import Rec4Params
from service.reports.policy import ReportScope
from tests.report_data import measurement, offer, person

PERIOD = {"period_from": "2026-01-01", "period_to": "2026-12-31"}


def _at(year: int, month: int) -> datetime:
    return datetime(year, month, 15, 12, tzinfo=UTC)


def _referral(db, p, o, org, *, status, accepted=None, closed=None, sent=None) -> Referral:
    r = Referral(person_id=p.id, offer_id=o.id, referring_organisation_id=org,
                 provider_organisation_id=o.organisation_id,
                 created_by=uuid.uuid4(), status=status, sent_at=sent or accepted or _at(2026, 2), accepted_at=accepted,
                 closed_at=closed)
    db.add(r)
    db.flush()
    return r


def _raw(db, **params):
    p = Rec4Params(**PERIOD, **params)
    q = reports._effective_query(db, p, ReportScope(None, None, "national"))
    counts, _, _, stats = reports.raw_measures(db, q, load_categories(db, p.period_from, p.period_to))
    return counts, stats


def test_stock_flow_unmet_need_and_its_split(db, make_org):
    aarhus = make_org(kind="municipality", municipality_code="0751")
    ngo = make_org(kind="civil_society", municipality_code="0751")
    meal = offer(db, ngo.id, category="shared_meal", capacity=10, municipalities=("0751",), settings=("homelessness",))
    meal.min_age, meal.max_age = 18, 64
    db.add(OfferAccessibility(offer_id=meal.id, feature="wheelchair"))

    def who(created, *, muni="0751", setting="homelessness", born=1990, needs=None):
        p = person(db, aarhus.id, settings=[setting], municipality=muni, birth_year=born, created=created)
        p.accessibility_needs = needs
        return p

    who(_at(2025, 6))  # a: stock, not flow; no referral: unmet, a suitable offer exists
    b = who(_at(2026, 3))  # completed in the period: met
    c = who(_at(2025, 1))  # accepted and completed in 2025: unmet in 2026
    who(_at(2027, 2))  # registered after the period: neither stock nor flow
    e = who(_at(2026, 4))  # declined only: unmet, an offer exists
    who(_at(2026, 4), born=1940)  # 86 in 2026: the offer is for 18-64 → no suitable offer
    who(_at(2026, 4), needs=["step_free"])  # the offer lacks step-free access → no suitable offer
    who(_at(2026, 4), needs=["wheelchair"])  # the offer has it → an offer exists
    who(_at(2026, 4), muni="0101")  # the offer is not in København → no suitable offer
    who(_at(2026, 4), setting="nursing_home")  # the offer targets homelessness only → no suitable offer
    k = who(_at(2025, 3))  # accepted in 2025, still running in 2026 (holds a place): met
    _referral(db, b, meal, aarhus.id, status="completed", accepted=_at(2026, 3), closed=_at(2026, 5))
    _referral(db, c, meal, aarhus.id, status="completed", accepted=_at(2025, 2), closed=_at(2025, 6))
    _referral(db, e, meal, aarhus.id, status="declined", closed=_at(2026, 5))
    _referral(db, k, meal, aarhus.id, status="started", accepted=_at(2025, 4))
    db.commit()
    counts, _ = _raw(db)
    total = {name: table[()] for name, table in counts.items()}
    assert total["persons_at_risk"] == 10  # everyone but the 2027 registration
    assert total["persons_newly_registered"] == 7  # b (March) and the six registered in April 2026
    assert total["unmet_need"] == 8  # all at risk but b and k
    assert total["unmet_need_no_suitable_offer"] == 4
    assert total["unmet_need_offer_exists"] == 4  # a, c, e and the wheelchair user
    assert total["unmet_need"] == total["unmet_need_no_suitable_offer"] + total["unmet_need_offer_exists"]
    by_quarter, _ = _raw(db, group_by=["quarter"])
    # stock by quarter of registration: the quarter a person entered the stock (earlier ones fall outside)
    assert by_quarter["persons_newly_registered"][("2026Q2",)] == 6


def test_tils_change_is_stored_and_averaged_over_follow_ups(db, make_org):
    kbh = make_org(kind="municipality", municipality_code="0101")
    ngo = make_org(kind="civil_society", municipality_code="0101")
    phone = offer(db, ngo.id, category="phone_friend", capacity=10, nationwide=True)
    changes = []
    for i in range(6):
        p = person(db, kbh.id, settings=["homelessness"], created=_at(2026, 1))
        r = _referral(db, p, phone, kbh.id, status="completed", accepted=_at(2026, 2), closed=_at(2026, 6))
        measurement(db, p, 6, "intake", _at(2025, 12))
        measurement(db, p, 8, "intake", _at(2026, 1))  # the latest intake before the follow-up counts
        measurement(db, p, 8 - i, "follow_up", _at(2026, 6), referral_id=r.id)
        changes.append(-i)
    db.commit()
    counts, stats = _raw(db, group_by=["offer_category"])
    key = ("phone_friend",)
    assert counts["persons_followed_up"][key] == 6
    assert stats["tils_change_sum"][key] == sum(changes)


def test_what_works_pools_a_window_of_years_with_a_95_percent_interval(db, make_org):
    import statistics

    from scipy.stats import t

    from service.reports.what_works import interval, what_works

    kbh = make_org(kind="municipality", municipality_code="0101")
    ngo = make_org(kind="civil_society", municipality_code="0101")
    phone = offer(db, ngo.id, category="phone_friend", capacity=10, nationwide=True)
    changes = [-3, -1, 0, -2, -4, 1, -2]
    for i, change in enumerate(changes):  # spread over 2024..2026: one period alone would have too few
        year = 2024 + i % 3
        p = person(db, kbh.id, settings=["homelessness"], created=_at(year, 1))
        r = _referral(db, p, phone, kbh.id, status="completed", accepted=_at(year, 2), closed=_at(year, 6))
        measurement(db, p, 8, "intake", _at(year, 1))
        measurement(db, p, 8 + change, "follow_up", _at(year, 6), referral_id=r.id)
    db.commit()
    params = Rec4Params(**PERIOD)
    q = reports._effective_query(db, params, ReportScope(None, None, "national"))
    out = what_works(db, q, ("phone_friend", "culture"), 5)
    assert out["window"] == {"from": "2024-01-01", "to": "2026-12-31", "years": 3}
    phone_row, culture = out["categories"]
    mean, sd, n = statistics.mean(changes), statistics.stdev(changes), len(changes)
    half = t.ppf(0.975, n - 1) * sd / n ** 0.5
    assert phone_row["tils_change"]["value"] == round(mean, 2)
    assert phone_row["tils_change"]["ci95"] == [round(mean - half, 2), round(mean + half, 2)]
    assert culture["tils_change"]["value"] is None and culture["persons_followed_up"]["value"] == 0
    for k in (5, 12, 29):
        sample = list(range(k))
        m, low, high = interval(k, sum(sample), sum(x * x for x in sample))
        ref = t.ppf(0.975, k - 1) * statistics.stdev(sample) / k ** 0.5
        assert abs(m - statistics.mean(sample)) < 1e-9 and abs((high - m) - ref) < 1e-3 and abs((m - low) - ref) < 1e-3


def _model_fits(p: dict, o: dict, reference_year: int) -> bool:
    """The documented rule, in Python: published before the period ends, serves the person's municipality or is
    nationwide, targets one of the person's risk settings or none, the age, and every accessibility need."""
    age = reference_year - p["born"]
    return (o["published"] and not o["late"] and (o["nationwide"] or p["muni"] in o["munis"])
            and (not o["settings"] or bool(o["settings"] & p["settings"]))
            and (o["min_age"] is None or o["min_age"] <= age) and (o["max_age"] is None or o["max_age"] >= age)
            and set(p["needs"] or []) <= o["features"])


def test_suitable_offer_split_matches_a_reference_model_on_random_data(db, make_org):
    """`unmet_need_offer_exists` / `_no_suitable_offer` against the rule in Python, over generated persons and
    offers (municipalities, nationwide, risk settings, age bounds, accessibility features and needs)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from service.organisations.models import Organisation

    munis, risks, features = ("0101", "0751", "0461"), ("homelessness", "nursing_home"), ("wheelchair", "step_free")
    person_st = st.fixed_dictionaries({
        "muni": st.sampled_from(munis), "born": st.integers(1930, 2010),
        "settings": st.sets(st.sampled_from(risks), min_size=1), "needs": st.none() | st.lists(
            st.sampled_from(features), unique=True, max_size=2)})
    offer_st = st.fixed_dictionaries({
        "nationwide": st.booleans(), "munis": st.sets(st.sampled_from(munis)),
        "settings": st.sets(st.sampled_from(risks)), "min_age": st.none() | st.integers(10, 40),
        "max_age": st.none() | st.integers(40, 100), "features": st.sets(st.sampled_from(features)),
        "published": st.booleans(), "late": st.booleans()})

    @settings(max_examples=20, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(people=st.lists(person_st, max_size=6), offers=st.lists(offer_st, max_size=4))
    def check(people, offers):
        nested = db.begin_nested()
        try:
            org = Organisation(name=f"Org {uuid.uuid4().hex[:8]}", kind="municipality", municipality_code="0101")
            db.add(org)
            db.flush()
            for o in offers:
                row = offer(db, org.id, category="shared_meal", capacity=5, nationwide=o["nationwide"],
                            municipalities=() if o["nationwide"] else tuple(o["munis"]),
                            settings=tuple(o["settings"]))
                row.min_age, row.max_age = o["min_age"], o["max_age"]
                if not o["published"]:
                    row.status = "draft"
                elif o["late"]:  # published only after the period
                    row.published_at = _at(2027, 2)
                db.add_all([OfferAccessibility(offer_id=row.id, feature=f) for f in o["features"]])
            for p in people:
                person(db, org.id, settings=sorted(p["settings"]), municipality=p["muni"], birth_year=p["born"],
                       created=_at(2026, 3)).accessibility_needs = p["needs"]
            db.flush()
            q = reports._effective_query(db, Rec4Params(**PERIOD), ReportScope(None, None, "national"))
            total = sql.persons_measures(db, q)
            expected = sum(any(_model_fits(p, {**o, "munis": set() if o["nationwide"] else o["munis"]}, 2026)
                               for o in offers) for p in people)
            got = {k: v.get((), 0) for k, v in total.items()}
            assert got["unmet_need_offer_exists"] == expected
            assert got["unmet_need_no_suitable_offer"] == len(people) - expected
        finally:
            nested.rollback()

    check()
