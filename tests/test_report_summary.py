"""The report's fast path (issue #13, defect 7): facts served from `report_summary` equal the live computation on
random data, staleness is bounded by the setting and stated in the response, and scope is part of the key."""

import json
import math
import uuid
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from service.core.settings import get_settings
from service.organisations.models import Organisation
from service.reports import cellkey, refresh, summary
from service.reports import service as reports
from service.reports.dimensions import load_categories
from service.reports.dto import Rec4Params
from service.reports.models import ReportSummary
from service.reports.policy import ReportScope
from service.reports.what_works import what_works
from tests import report_data
from tests.report_data import PERIOD, build

NATIONAL = ReportScope(None, None, "national")
MUNIS = ("0101", "0751", "0461")
RISKS = ("homelessness", "nursing_home", "imprisonment")
CATEGORIES = ("phone_friend", "shared_meal", "culture")
DIMS = ("risk_setting", "municipality", "region", "age_group", "offer_category", "quarter")
FILTERS = {"risk_setting": ["homelessness"], "municipality": ["0751"], "age_group": ["65-79"],
           "offer_category": ["phone_friend"], "quarter": ["2026Q2"]}
STATUSES = ("sent", "declined", "accepted", "started", "completed", "ended_early", "withdrawn")
DAY0 = datetime(2025, 1, 1, 9, tzinfo=UTC)


def _everything(db, q, cats, reader):
    """Every fact family the report reads, through one reader, as plain comparable values."""
    counts, keys, offers, stats = reports.raw_measures(db, q, cats, reader)
    barriers = summary.barriers(reader or summary.Reader(db, None), q)
    works = what_works(db, q, cats.values["offer_category"], 5, reader)
    return counts, keys, offers, stats, barriers, works


def _random_world(db, draw):
    org = Organisation(name=f"Org {uuid.uuid4().hex[:8]}", kind="municipality", municipality_code="0101")
    db.add(org)  # not make_org: its commit would end the example's savepoint
    db.flush()
    people = []
    for _ in range(draw(st.integers(0, 10))):
        settings_ = draw(st.sets(st.sampled_from(RISKS), min_size=1, max_size=2))
        created = DAY0 + timedelta(days=draw(st.integers(0, 700)))
        people.append(report_data.person(db, org.id, settings=sorted(settings_), municipality=draw(st.sampled_from(
            MUNIS)), birth_year=draw(st.integers(1930, 2012)), latest=draw(st.none() | st.integers(3, 9)),
            created=created))
    offers = []
    for _ in range(draw(st.integers(0, 3))):
        nationwide = draw(st.booleans())
        offers.append(report_data.offer(
            db, org.id, category=draw(st.sampled_from(CATEGORIES)), capacity=draw(st.none() | st.integers(0, 9)),
            nationwide=nationwide, municipalities=() if nationwide else tuple(draw(st.sets(st.sampled_from(MUNIS)))),
            settings=tuple(draw(st.sets(st.sampled_from(RISKS), max_size=2)))))
    db.flush()
    if people and offers:
        for _ in range(draw(st.integers(0, 12))):
            p, o = draw(st.sampled_from(people)), draw(st.sampled_from(offers))
            status = draw(st.sampled_from(STATUSES))
            r = report_data.referral(db, p, o, org.id, status=status,
                                     days_to_start=draw(st.integers(1, 30)) if status in ("started", "completed")
                                     else None, reason="no_capacity" if status == "declined" else None)
            r.sent_at = DAY0 + timedelta(days=draw(st.integers(0, 700)))
            if status in ("completed", "ended_early", "declined", "withdrawn"):
                r.closed_at = r.sent_at + timedelta(days=draw(st.integers(1, 200)))
            db.flush()
            if status == "completed":
                report_data.measurement(db, p, draw(st.integers(3, 9)), "intake", r.sent_at - timedelta(days=1))
                report_data.measurement(db, p, draw(st.integers(3, 9)), "follow_up", r.sent_at + timedelta(days=60),
                                        referral_id=r.id)
    db.flush()
    return org


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fast_path_equals_the_live_computation_on_random_data(db, data):
    savepoint = db.begin_nested()
    try:
        org = _random_world(db, data.draw)
        group_by = data.draw(st.lists(st.sampled_from(DIMS), max_size=2, unique=True))
        filters = {f: FILTERS[f] for f in data.draw(st.sets(st.sampled_from(sorted(FILTERS)), max_size=1))}
        period_from = data.draw(st.sampled_from([date(2025, 1, 1), date(2025, 7, 1), date(2026, 1, 1)]))
        period_to = data.draw(st.sampled_from([date(2026, 6, 30), date(2026, 12, 31)]))
        scope = data.draw(st.sampled_from([NATIONAL, ReportScope(None, ("0751",), "municipality")]))
        params = Rec4Params(period_from=period_from, period_to=period_to, group_by=group_by, **filters)
        q = reports._effective_query(db, params, scope)
        cats = load_categories(db, period_from, period_to)
        live = _everything(db, q, cats, None)
        bound = timedelta(minutes=15)
        first = summary.Reader(db, bound)
        assert _everything(db, q, cats, first) == live
        assert first.sources == {"live"}  # nothing stored yet for this query: computed and stored
        second = summary.Reader(db, bound, now=first.now + timedelta(minutes=5))
        assert _everything(db, q, cats, second) == live
        assert second.sources == {"summary"} and second.as_of == first.now
        # the same cells get the same published noise whichever path produced their facts
        published = [reports.compute(db, q, cats, 5, r)[0].measures for r in (None, second)]
        assert published[0] == published[1]

        # a change within the bound is not seen yet (and the response says how old the facts are) ...
        report_data.person(db, org.id, settings=["homelessness"], municipality="0751", birth_year=1950,
                           created=datetime(2026, 5, 1, tzinfo=UTC))
        db.flush()
        changed = _everything(db, q, cats, None)
        stale = summary.Reader(db, bound, now=first.now + bound)
        assert _everything(db, q, cats, stale) == live and stale.as_of == first.now
        # ... and is seen as soon as the bound has passed
        later = summary.Reader(db, bound, now=first.now + bound + timedelta(seconds=1))
        assert _everything(db, q, cats, later) == changed
        assert later.sources == {"live"}
    finally:
        savepoint.rollback()


def test_scope_is_part_of_the_key(db, make_org):
    """A municipality's administrator is never served facts computed for the country or another municipality."""
    build(db, make_org)
    params = Rec4Params(**PERIOD, group_by=["risk_setting"])
    cats = load_categories(db, params.period_from, params.period_to)
    keys = set()
    for scope in (NATIONAL, ReportScope(None, ("0101",), "m"), ReportScope(None, ("0751",), "m"),
                  ReportScope(("homelessness",), None, "ministry")):
        q = reports._effective_query(db, params, scope)
        reader = summary.Reader(db, timedelta(minutes=15))
        counts = reports.raw_measures(db, q, cats, reader)[0]
        assert reader.sources == {"live"}
        assert counts == reports.raw_measures(db, q, cats)[0]
        keys.add(summary.summary_key("persons", q))
    assert len(keys) == 4
    # filter order does not change the facts, so it does not change the key; grouping order does
    q1 = reports._effective_query(db, Rec4Params(**PERIOD, municipality=["0101", "0751"]), NATIONAL)
    q2 = reports._effective_query(db, Rec4Params(**PERIOD, municipality=["0751", "0101"]), NATIONAL)
    assert summary.summary_key("persons", q1) == summary.summary_key("persons", q2)
    g1 = reports._effective_query(db, Rec4Params(**PERIOD, group_by=["quarter", "age_group"]), NATIONAL)
    g2 = reports._effective_query(db, Rec4Params(**PERIOD, group_by=["age_group", "quarter"]), NATIONAL)
    assert summary.summary_key("persons", g1) != summary.summary_key("persons", g2)


def test_prune_deletes_only_expired_facts(db, make_org):
    build(db, make_org)
    q = reports._effective_query(db, Rec4Params(**PERIOD), NATIONAL)
    cats = load_categories(db, q.period_from, q.period_to)
    old = summary.Reader(db, timedelta(minutes=15), now=datetime.now(UTC) - timedelta(days=2))
    reports.raw_measures(db, q, cats, old)
    q2 = reports._effective_query(db, Rec4Params(**PERIOD, group_by=["quarter"]), NATIONAL)
    reports.raw_measures(db, q2, cats, summary.Reader(db, timedelta(minutes=15)))
    before = db.scalar(select(func.count()).select_from(ReportSummary))
    assert summary.prune(db, datetime.now(UTC) - timedelta(days=1)) == 4  # persons, referrals, tils, offers
    assert db.scalar(select(func.count()).select_from(ReportSummary)) == before - 4


def test_the_response_states_how_fresh_its_facts_are(client, db, make_org, make_user, monkeypatch):
    """Through the API: the first request computes live, the second is served from the summary with the first
    one's time; with the bound at 0 every request is live."""
    ministry = make_org(kind="ministry", name=f"Ministeriet {uuid.uuid4().hex[:6]}", is_national=True)
    headers = make_user("analyst", ministry).headers
    build(db, make_org)
    url = "/api/v1/reports/rec4?period_from=2026-01-01&period_to=2026-12-31&group_by=risk_setting"
    one = client.get(url, headers=headers).json()
    two = client.get(url, headers=headers).json()
    assert one["freshness"]["source"] == "live" and two["freshness"]["source"] == "summary"
    assert two["freshness"]["as_of"] == one["freshness"]["as_of"]
    assert two["freshness"]["max_staleness_seconds"] == get_settings().report_summary_max_age_seconds
    assert one["cells"] == two["cells"] and one["totals"] == two["totals"]
    monkeypatch.setenv("TVAERS_REPORT_SUMMARY_MAX_AGE_SECONDS", "0")
    get_settings.cache_clear()
    try:
        three = client.get(url, headers=headers).json()
    finally:
        monkeypatch.delenv("TVAERS_REPORT_SUMMARY_MAX_AGE_SECONDS")
        get_settings.cache_clear()
    assert three["freshness"] == {"source": "live", "as_of": three["freshness"]["as_of"],
                                  "max_staleness_seconds": None}
    assert three["cells"] == one["cells"]


def test_refresh_warms_the_national_tables(db, make_org):
    """After `refresh`, a national request of a refreshed grouping is served from the summary; an org_admin's
    request of the same grouping is not (its scope is another query)."""
    build(db, make_org)
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    refresh.refresh(db, start, end, refresh.groupings(1))
    cats = load_categories(db, start, end)
    for group_by, scope, source in ((["risk_setting"], NATIONAL, {"summary"}), ([], NATIONAL, {"summary"}),
                                    (["risk_setting"], ReportScope(None, ("0101",), "m"), {"live"})):
        q = reports._effective_query(db, Rec4Params(period_from=start, period_to=end, group_by=group_by), scope)
        reader = summary.Reader(db, timedelta(minutes=15))
        assert reports.raw_measures(db, q, cats, reader)[0] == reports.raw_measures(db, q, cats)[0]
        assert reader.sources == source


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 10**7), cell_key=st.integers(0, 10**9), threshold=st.integers(2, 100))
def test_perturb_equals_the_p_table_inverse_cdf(n, cell_key, threshold):
    """perturb shares one cached noise row for every count ≥ threshold + D (the fast path publishes thousands of
    distinct counts per report); it must still be exactly the p-table row's inverse CDF at cell_key / MODULUS."""
    u = Fraction(cell_key % cellkey.MODULUS, cellkey.MODULUS)
    acc, expected = Fraction(0), None
    for value, p in cellkey.ptable_row(n, threshold):
        acc += p
        if u < Fraction(math.ceil(acc * cellkey.MODULUS), cellkey.MODULUS):
            expected = value
            break
    assert cellkey.perturb(n, cell_key, threshold) == expected


def test_a_served_report_reads_the_summary_in_one_statement(client, db, engine, make_org, make_user):
    """The fast path is one indexed summary read (every family the report needs: counts, offers, barriers and the
    pooled "what works" table, key IN (...)), not one read per family; nothing recomputes a family."""
    ministry = make_org(kind="ministry", name=f"Ministeriet {uuid.uuid4().hex[:6]}", is_national=True)
    headers = make_user("analyst", ministry).headers
    build(db, make_org)
    url = "/api/v1/reports/rec4?period_from=2026-01-01&period_to=2026-12-31&group_by=risk_setting,quarter"
    assert client.get(url, headers=headers).json()["freshness"]["source"] == "live"
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", capture)
    try:
        doc = client.get(url, headers=headers).json()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert doc["freshness"]["source"] == "summary"
    summary_reads = [s for s in seen if s.startswith("select") and "from report_summary" in s]
    assert len(summary_reads) == 1, summary_reads
    assert not [s for s in seen if "from person" in s or "from referral" in s or "report_summary (" in s]
    assert len(seen) <= 12, seen  # auth + scope, categories, one summary read, mapping barriers, audit


_cells = st.tuples(st.sampled_from(["a", "b", None]), st.sampled_from(["0101", "0751", None]))
_values = st.none() | st.integers(-10**15, 10**15) | st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["referrals_sent", "ck_referrals_sent", "median", "places"]),
                       st.dictionaries(_cells, _values, max_size=9), max_size=4))
def test_stored_facts_read_back_exactly_as_computed(tables):
    """The summary's stored form (keys once, values aligned or as pairs) gives back every table, key and value —
    None, zero, large cell keys, floats — through a JSON round trip."""
    import orjson

    stored = orjson.loads(json.dumps(summary._encode(tables)))
    assert summary._decode(stored) == tables
