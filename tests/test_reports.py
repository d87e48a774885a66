import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.reports.cellkey import possible_counts
from tests.report_data import PERIOD, build


@pytest.fixture
def data(db, make_org):
    return build(db, make_org)


@pytest.fixture
def national_analyst(make_user, make_org):
    return make_user("analyst", make_org(kind="ministry", name="Social- og Indenrigsministeriet", is_national=True,
                                         ministry_code="social_affairs"))


def _report(client, actor, **params):
    resp = client.get("/api/v1/reports/rec4", params={**PERIOD, **params}, headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _cell(doc, **key):
    for row in doc["cells"] + doc["margins"] + [doc["totals"]]:
        if {k: v for k, v in row["key"].items()} == {d: key.get(d) for d in doc["group_by"]}:
            return row["values"]
    raise AssertionError(key)


def _ok(v, true):
    """A cell-key-protected count: never 1..4, and one the p-table can publish for the true count."""
    assert v["suppressed"] is False and v["protection"] == "cell_key", v
    assert true in possible_counts(v["value"], 5), (v, true)
    assert not 0 < v["value"] < 5


def test_persons_by_risk_setting_are_cell_key_protected(client, data, national_analyst):
    doc = _report(client, national_analyst, group_by="risk_setting")
    assert doc["disclosure"]["threshold"] == 5 and doc["disclosure"]["method"] == "cell_key"
    homeless = _cell(doc, risk_setting="homelessness")
    _ok(homeless["persons_at_risk"], 20)
    _ok(homeless["persons_newly_registered"], 20)
    _ok(homeless["persons_severe_loneliness"], 7)
    _ok(homeless["unmet_need"], 14)  # 6 hold an accepted/started place
    _ok(_cell(doc, risk_setting="nursing_home")["persons_at_risk"], 3)
    _ok(_cell(doc, risk_setting="imprisonment")["persons_at_risk"], 6)
    assert _cell(doc, risk_setting="crisis_centre")["persons_at_risk"]["value"] == 0
    _ok(doc["totals"]["values"]["persons_at_risk"], 29)
    again = _report(client, national_analyst, group_by="risk_setting,quarter")
    assert _cell(again, risk_setting="homelessness")["persons_at_risk"] == homeless["persons_at_risk"]
    assert again["totals"]["values"]["persons_at_risk"] == doc["totals"]["values"]["persons_at_risk"]


def test_offers_places_and_supply_demand(client, data, national_analyst):
    doc = _report(client, national_analyst, group_by="risk_setting")
    homeless = _cell(doc, risk_setting="homelessness")
    # the nationwide phone-friend offer serves every setting; the shared meal targets homelessness
    assert homeless["offers_published"]["value"] == 2 and homeless["places"]["value"] == 30
    assert homeless["free_places"]["value"] == 24
    assert homeless["offers_published"]["protection"] == "none (public register)"
    shown = homeless["persons_at_risk"]["value"]
    assert homeless["supply_demand_ratio"]["value"] == round(30 / shown, 3)
    assert _cell(doc, risk_setting="nursing_home")["supply_demand_ratio"] == {
        "value": None, "suppressed": True, "protection": "withheld (base below threshold)"}
    assert doc["totals"]["values"]["offers_published"]["value"] == 2


def test_referral_outcomes_rates_and_median(client, data, national_analyst):
    totals = _report(client, national_analyst)["totals"]["values"]
    _ok(totals["referrals_sent"], 10)
    _ok(totals["referrals_accepted"], 6)
    _ok(totals["referrals_started"], 5)
    assert totals["acceptance_rate"]["value"] == round(totals["referrals_accepted"]["value"]
                                                       / totals["referrals_sent"]["value"], 3)
    if totals["referrals_started"]["value"] >= 5:
        assert totals["median_days_to_start"]["value"] == 6.0
    _ok(totals["referrals_declined"], 4)
    _ok(totals["referrals_declined_no_capacity"], 3)
    by_category = _report(client, national_analyst, group_by="offer_category")
    phone = _cell(by_category, offer_category="phone_friend")
    _ok(phone["referrals_sent"], 10)
    assert "persons_at_risk" in by_category["not_applicable"]
    assert "persons_at_risk" not in phone


def test_barriers_from_referrals_are_protected_like_persons(client, data, national_analyst):
    doc = _report(client, national_analyst)
    rows = {(r["barrier_type"], r["risk_setting"]): r["referrals"] for r in doc["barriers"]["from_referrals"]}
    _ok(rows[("capacity", "homelessness")], 3)
    _ok(rows[(None, None)], 4)


def test_ministry_scope_follows_the_reference_data(client, data, make_user, make_org):
    health = make_user("analyst", make_org(kind="ministry", name="Sundheds- og Ældreministeriet",
                                           ministry_code="health"))
    doc = _report(client, health, group_by="risk_setting")
    assert [r["key"]["risk_setting"] for r in doc["cells"]] == ["nursing_home", "relative_of_seriously_ill"]
    _ok(doc["totals"]["values"]["persons_at_risk"], 3)  # only the 3 in nursing homes
    denied = client.get("/api/v1/reports/rec4", params={**PERIOD, "risk_setting": "homelessness"},
                        headers=health.headers)
    assert denied.status_code == 403
    unknown = make_user("analyst", make_org(kind="ministry", name="Kulturministeriet"))
    assert client.get("/api/v1/reports/rec4", params=PERIOD, headers=unknown.headers).status_code == 403


def test_municipality_admin_sees_its_own_municipality(client, data, make_user):
    admin = make_user("org_admin", data["aarhus"])
    doc = _report(client, admin, group_by="municipality")
    assert [r["key"]["municipality"] for r in doc["cells"]] == ["0751"]
    _ok(doc["totals"]["values"]["persons_at_risk"], 8)
    other = client.get("/api/v1/reports/rec4", params={**PERIOD, "municipality": "0101"}, headers=admin.headers)
    assert other.status_code == 403


def test_only_analysts_and_municipality_admins(client, data, make_user, make_org):
    for actor in (make_user("caseworker", data["kbh"]), make_user("coordinator", data["ngo"]),
                  make_user("org_admin", data["ngo"])):
        assert client.get("/api/v1/reports/rec4", params=PERIOD, headers=actor.headers).status_code == 403
    assert client.get("/api/v1/reports/rec4", params=PERIOD).status_code == 401


def test_csv_and_xlsx_parse_back_to_the_same_numbers(client, data, national_analyst):
    doc = _report(client, national_analyst, group_by="risk_setting")
    resp = client.get("/api/v1/reports/rec4", params={**PERIOD, "group_by": "risk_setting"},
                      headers={**national_analyst.headers, "Accept": "text/csv"})
    assert resp.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(resp.text)))
    by_code = {r["risk_setting_code"]: r for r in table}
    for row in doc["cells"] + [doc["totals"]]:
        code = row["key"]["risk_setting"] or ""
        for measure, v in row["values"].items():
            assert by_code[code][measure] == ("" if v["value"] is None else str(v["value"])), (code, measure)
            assert by_code[code][f"{measure} (suppressed)"] == str(v["suppressed"])
            assert by_code[code][f"{measure} (protection)"] == v["protection"]
    xlsx = client.get("/api/v1/reports/rec4", params={**PERIOD, "group_by": "risk_setting", "format": "xlsx",
                                                      "lang": "da"}, headers=national_analyst.headers)
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["rapport", "barrierer", "om"]
    sheet = list(wb["rapport"].iter_rows(values_only=True))
    header = list(sheet[0])
    label = "personer i risiko i perioden (bestand)"
    assert "risikomiljø" in header and label in header
    rows = {r[header.index("risikomiljø_kode")] or "": r for r in sheet[1:]}
    col = header.index(label)
    assert rows["homelessness"][col] == _cell(doc, risk_setting="homelessness")["persons_at_risk"]["value"]
    assert rows["homelessness"][header.index("risikomiljø")] == "hjemløshed"
    assert rows["nursing_home"][col + 1] == "nej" and rows["nursing_home"][col + 2] == "cell_key"


def test_bad_parameters_are_4xx_problems(client, national_analyst):
    for params in ({**PERIOD, "group_by": "planet"}, {"period_from": "2026-06-01", "period_to": "2026-01-01"},
                   {**PERIOD, "group_by": "quarter,quarter"},
                   {**PERIOD, "group_by": "risk_setting,municipality,region,quarter"},
                   {**PERIOD, "quarter": "2026Q5"}, {"period_from": "2026-01-01"}, {**PERIOD, "format": "pdf"},
                   {**PERIOD, "risk_setting": "lighthouse"}, {**PERIOD, "municipality": "9999"},
                   {**PERIOD, "region": "1234"}):
        resp = client.get("/api/v1/reports/rec4", params=params, headers=national_analyst.headers)
        assert resp.status_code == 422, params
        assert resp.headers["content-type"].startswith("application/problem+json")
    unknown = client.get("/api/v1/reports/rec4", params={**PERIOD, "risk_setting": "homelessness,lighthouse"},
                         headers=national_analyst.headers).json()
    assert unknown["errors"] == [{"field": "risk_setting", "message": "unknown risk setting lighthouse",
                                  "code": "unknown_code"}]
    not_pdf = client.get("/api/v1/reports/rec4", params=PERIOD,
                         headers={**national_analyst.headers, "Accept": "application/pdf"})
    assert not_pdf.status_code == 406 and "text/csv" in not_pdf.json()["detail"]
    for accept, media in (("*/*", "application/json"), ("application/*", "application/json"), ("", "application/json"),
                          ("application/json, text/csv;q=0.5", "application/json"),
                          ("text/csv;q=0.9, application/json;q=0.4", "text/csv"),
                          ("text/html, */*;q=0.1", "application/json"), ("text/*", "text/csv")):
        resp = client.get("/api/v1/reports/rec4", params=PERIOD, headers={**national_analyst.headers, "Accept": accept})
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(media), accept


def test_every_pull_is_audited_with_its_parameters(client, db, data, national_analyst):
    _report(client, national_analyst, group_by="region", format="json")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "report.rec4")).one()
    assert event.actor_id == str(national_analyst.id) and event.criterion["group_by"] == ["region"]


def test_quarters_and_graphql(gql, data, national_analyst):
    result = gql("""query($input: Rec4ReportInput!) { rec4Report(input: $input) {
        __typename ... on Rec4Report { threshold groupBy cells { key { code } values { measure value suppressed } }
                                       totals { values { measure value } } freshness }
        ... on Problem { status detail } } }""",
                 {"input": {"periodFrom": "2026-01-01", "periodTo": "2026-06-30", "groupBy": ["quarter"]}},
                 national_analyst)["data"]["rec4Report"]
    assert result["__typename"] == "Rec4Report" and result["groupBy"] == ["quarter"]
    assert result["freshness"]["source"] == "live" and result["freshness"]["as_of"]
    assert [c["key"][0]["code"] for c in result["cells"]] == ["2026Q1", "2026Q2"]
    q1 = {v["measure"]: v for v in result["cells"][0]["values"]}
    assert 29 in possible_counts(int(q1["persons_at_risk"]["value"]), 5)
    assert 10 in possible_counts(int(q1["referrals_sent"]["value"]), 5)
    totals = {v["measure"]: v["value"] for v in result["totals"]["values"]}
    assert 29 in possible_counts(int(totals["persons_at_risk"]), 5)
    bad = gql("""query { rec4Report(input: {periodFrom: "2026-06-01", periodTo: "2026-01-01"}) {
        __typename ... on Problem { status } } }""", actor=national_analyst)
    assert bad["data"]["rec4Report"] == {"__typename": "Problem", "status": 422}


def test_median_of_an_even_count_averages_the_middle_two(client, db, data, national_analyst):
    from tests.report_data import referral

    referral(db, data["homeless_kbh"][10], data["phone"], data["kbh"].id, status="started", days_to_start=12)
    db.commit()
    totals = _report(client, national_analyst)["totals"]["values"]
    _ok(totals["referrals_started"], 6)
    assert totals["median_days_to_start"]["value"] == 7.0  # (6 + 8) / 2


def test_what_works_mean_tils_change_by_offer_category(client, db, data, national_analyst):
    from datetime import timedelta

    from sqlalchemy import select as sa_select

    from service.referrals.models import Referral
    from tests.report_data import REGISTERED, measurement

    started = db.scalars(sa_select(Referral).where(Referral.status == "started")).all()
    for i, r in enumerate(started):  # intake 8 → follow-up 8 − (i + 1): changes −1 … −5, mean −3
        person = next(p for p in data["homeless_kbh"] if p.id == r.person_id)
        measurement(db, person, 8, "intake", REGISTERED)
        measurement(db, person, 8 - (i + 1), "follow_up", REGISTERED + timedelta(days=90), referral_id=r.id)
    db.commit()
    doc = _report(client, national_analyst, group_by="offer_category")
    phone = _cell(doc, offer_category="phone_friend")
    _ok(phone["persons_followed_up"], 5)
    if phone["persons_followed_up"]["value"] >= 5:
        assert phone["tils_change"]["value"] == -3.0
    assert _cell(doc, offer_category="shared_meal")["tils_change"]["value"] is None


def test_offers_by_region_count_each_offer_once(client, db, data, national_analyst):
    from tests.report_data import offer

    offer(db, data["ngo"].id, category="culture", capacity=8, municipalities=("0101", "0147"))  # both Hovedstaden
    db.commit()
    by_region = _report(client, national_analyst, group_by="region")
    capital = _cell(by_region, region="1084")
    assert capital["offers_published"]["value"] == 2 and capital["places"]["value"] == 18  # phone (10) + culture
    both = _report(client, national_analyst, group_by="region,municipality")
    assert _cell(both, region="1084", municipality="0147")["offers_published"]["value"] == 2
    assert _cell(both, region="1082", municipality="0147")["offers_published"]["value"] == 0  # no cross product
    assert _cell(both, region="1084")["offers_published"]["value"] == 2


def test_action_plan_measures_carry_their_indicators_per_quarter(client, data, national_analyst):
    created = client.post("/api/v1/action-plan/measures", headers=national_analyst.headers, json={
        "title": "Flere telefonvenner", "description": "Opskalering af telefonvenner", "risk_settings":
        ["homelessness"], "start_date": "2026-01-01", "indicators": ["persons_registered", "referrals_sent",
                                                                     "offers_published"]})
    assert created.status_code == 201, created.text
    doc = _report(client, national_analyst, period_from="2026-01-01", period_to="2026-06-30",
                  include_action_plan="true")
    [measure] = doc["action_plan"]
    assert measure["title"] == "Flere telefonvenner" and measure["risk_settings"] == ["homelessness"]
    q1, q2 = measure["quarters"]
    assert q1["quarter"] == "2026Q1" and q2["quarter"] == "2026Q2"
    _ok(q1["indicators"]["persons_registered"], 20)  # homelessness only; registered in the quarter (flow)
    _ok(q1["indicators"]["referrals_sent"], 10)
    assert q2["indicators"]["persons_registered"]["value"] == 0
    assert q2["indicators"]["offers_published"]["value"] == 2  # still published in Q2
    assert _report(client, national_analyst)["action_plan"] == []  # only on request


def test_danish_csv_and_xlsx_with_the_action_plan(client, data, national_analyst):
    created = client.post("/api/v1/action-plan/measures", headers=national_analyst.headers, json={
        "title": "Flere telefonvenner", "description": "Opskalering", "risk_settings": ["homelessness"],
        "start_date": "2026-01-01", "indicators": ["referrals_sent", "acceptance_rate"]})
    assert created.status_code == 201, created.text
    params = {**PERIOD, "lang": "da", "include_action_plan": "true"}
    resp = client.get("/api/v1/reports/rec4", params={**params, "format": "csv"}, headers=national_analyst.headers)
    lines = resp.text.splitlines()
    header = lines[0].split(";")
    assert "henvisninger afvist: ingen kapacitet" in header and "acceptrate" in header
    assert not [h for h in header if h.startswith("referrals_")]
    table = list(csv.DictReader(io.StringIO(resp.text), delimiter=";"))
    rate = table[-1]["acceptrate"]
    assert rate == "" or ("," in rate and "." not in rate)  # a decimal comma
    assert table[-1]["række"] == "total" and table[-1]["henvisninger sendt (undertrykt)"] == "nej"
    xlsx = client.get("/api/v1/reports/rec4", params={**params, "format": "xlsx"}, headers=national_analyst.headers)
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["rapport", "barrierer", "handlingsplan", "om"]
    plan = list(wb["handlingsplan"].iter_rows(values_only=True))
    assert plan[0][:3] == ("id", "titel", "status")
    assert {r[5] for r in plan[1:]} == {"henvisninger sendt", "acceptrate"}
    assert {r[4] for r in plan[1:]} == {"2026Q1", "2026Q2", "2026Q3", "2026Q4"}
