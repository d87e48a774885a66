"""Mapping entries: submitting, ministry and organisation scope, filters, bad input, the barrier count."""

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.mapping.models import MappingEntry
from service.mapping.service import BarrierFilters, count_barriers
from service.reports.disclosure import margins_from_leaves, suppress

SOCIAL = "Social- og Indenrigsministeriet"
HEALTH = "Sundheds- og Ældreministeriet"
JUSTICE = "Justitsministeriet"
MINISTRY_CODES = {SOCIAL: "social_affairs", HEALTH: "health", JUSTICE: "justice"}

VALID = {"risk_setting": "homelessness", "municipality_code": "0751", "barrier_type": "transport",
         "description": "No bus connection to the activity centre after 17:00.",
         "proposed_change": "Fund an evening shuttle from the shelter twice a week."}


def _count(db) -> int:
    return db.scalar(select(func.count()).select_from(MappingEntry))


def _post(client, actor, **changes):
    return client.post("/api/v1/mapping-entries", json={**VALID, **changes}, headers=actor.headers)


def _ids(client, actor, query: str = "") -> set[str]:
    resp = client.get(f"/api/v1/mapping-entries?limit=200{query}", headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return {e["id"] for e in resp.json()["items"]}


@pytest.fixture
def analyst_of(make_org, make_user):
    def _make(name: str, is_national: bool = False):
        return make_user("analyst", make_org(kind="ministry", name=name, is_national=is_national,
                                             ministry_code=MINISTRY_CODES.get(name)))
    return _make


def test_caseworker_submits_with_the_settings_ministry_by_default(client, make_user, db):
    worker = make_user("caseworker")
    resp = _post(client, worker, risk_setting="nursing_home", barrier_type="digital")
    assert resp.status_code == 201, resp.text
    entry = resp.json()
    assert entry["responsible_ministry"] == HEALTH
    assert entry["organisation_id"] == str(worker.organisation_id)
    assert entry["submitted_by"] == str(worker.id)
    assert entry["barrier_type"] == "digital" and entry["municipality_code"] == "0751"
    explicit = _post(client, worker, responsible_ministry=JUSTICE)
    assert explicit.status_code == 201 and explicit.json()["responsible_ministry"] == JUSTICE
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "mapping_entry.create")).all()
    assert {e.subject_id for e in events} == {entry["id"], explicit.json()["id"]}
    assert {e.purpose for e in events} == {"rec4_mapping"}


def test_submitting_roles(client, make_user, db):
    for role in ("org_admin", "coordinator"):
        assert _post(client, make_user(role)).status_code == 201, role
    before = _count(db)
    for role in ("analyst", "system_admin"):
        resp = _post(client, make_user(role))
        assert resp.status_code == 403, role
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert client.post("/api/v1/mapping-entries", json=VALID).status_code == 401
    assert _count(db) == before


def test_analysts_see_the_settings_their_ministry_is_responsible_for(client, make_user, analyst_of):
    worker = make_user("coordinator")
    homeless = _post(client, worker, risk_setting="homelessness").json()["id"]
    nursing = _post(client, worker, risk_setting="nursing_home").json()["id"]
    prison = _post(client, worker, risk_setting="imprisonment").json()["id"]
    # A nursing-home barrier whose proposed change the submitter addresses to the social ministry.
    addressed = _post(client, worker, risk_setting="nursing_home", responsible_ministry=SOCIAL).json()["id"]

    assert _ids(client, analyst_of(SOCIAL)) == {homeless, addressed}
    assert _ids(client, analyst_of(HEALTH)) == {nursing, addressed}
    assert _ids(client, analyst_of(JUSTICE)) == {prison}
    assert _ids(client, analyst_of("Kulturministeriet")) == set()
    national = analyst_of("Finansministeriet", is_national=True)
    assert {homeless, nursing, prison, addressed} <= _ids(client, national)
    assert _ids(client, analyst_of(HEALTH), "&risk_setting=homelessness") == set()


def test_everyone_else_sees_their_own_organisations_entries(client, make_user, make_org):
    org_a, org_b = make_org(), make_org(municipality_code="0461")
    worker_a, admin_a = make_user("caseworker", org_a), make_user("org_admin", org_a)
    worker_b = make_user("coordinator", org_b)
    a1 = _post(client, worker_a).json()["id"]
    a2 = _post(client, admin_a, barrier_type="stigma").json()["id"]
    b1 = _post(client, worker_b, municipality_code="0461").json()["id"]
    assert _ids(client, admin_a) == {a1, a2}
    assert _ids(client, worker_a) == {a1, a2}
    assert _ids(client, worker_b) == {b1}
    assert client.get("/api/v1/mapping-entries", headers=make_user("system_admin").headers).status_code == 403
    assert client.get("/api/v1/mapping-entries").status_code == 401


def test_filters_and_cursor_pagination(client, make_user):
    worker = make_user("caseworker")
    made = [_post(client, worker, barrier_type=bt, municipality_code=m, risk_setting=rs).json()["id"]
            for bt, m, rs in [("transport", "0751", "homelessness"), ("digital", "0751", "homelessness"),
                              ("transport", "0461", "crisis_centre"), ("transport", "0751", "crisis_centre"),
                              ("economy", "0101", "homelessness")]]
    seen, cursor = [], None
    while True:
        resp = client.get("/api/v1/mapping-entries?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=worker.headers).json()
        seen += [e["id"] for e in resp["items"]]
        cursor = resp["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert _ids(client, worker, "&barrier_type=transport") == {made[0], made[2], made[3]}
    assert _ids(client, worker, "&barrier_type=transport&municipality_code=0751") == {made[0], made[3]}
    assert _ids(client, worker, "&risk_setting=crisis_centre") == {made[2], made[3]}
    for bad in ("barrier_type=weather", "municipality_code=abc", "limit=0", "limit=201"):
        assert client.get(f"/api/v1/mapping-entries?{bad}", headers=worker.headers).status_code == 422, bad
    assert client.get("/api/v1/mapping-entries?cursor=%%%", headers=worker.headers).status_code == 400


def test_bad_input_is_a_4xx_problem_and_writes_nothing(client, make_user, db):
    worker = make_user("caseworker")
    before = _count(db)
    without = {k: v for k, v in VALID.items() if k != "description"}
    cases = [
        ({**VALID, "barrier_type": "weather"}, "barrier_type"),
        ({**VALID, "risk_setting": "space_station"}, "risk_setting"),
        ({**VALID, "municipality_code": "9999"}, "municipality_code"),
        ({**VALID, "municipality_code": "0411"}, "municipality_code"),
        ({**VALID, "municipality_code": "12"}, "municipality_code"),
        ({**VALID, "responsible_ministry": "Ministry of Silly Walks"}, "responsible_ministry"),
        ({**VALID, "description": "x"}, "description"),
        ({**VALID, "surprise": 1}, "surprise"),
        ({**VALID, "organisation_id": str(uuid.uuid4())}, "organisation_id"),
        (without, "description"),
    ]
    for body, field in cases:
        resp = client.post("/api/v1/mapping-entries", json=body, headers=worker.headers)
        assert resp.status_code == 422, (field, resp.text)
        problem = resp.json()
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in problem["errors"]], problem
    assert _count(db) == before


def test_count_barriers_groups_in_sql_and_feeds_disclosure_control(client, make_user, db, count_statements):
    worker = make_user("caseworker")
    org = worker.organisation_id
    rows = [("transport", "homelessness", "0751", date(2026, 1, 10))] * 6 + [
        ("transport", "crisis_centre", "0751", date(2026, 2, 1)),
        ("digital", "homelessness", "0101", date(2026, 3, 5)),
        ("digital", "homelessness", "0461", date(2026, 3, 31)),
        ("stigma", "imprisonment", "0101", date(2026, 4, 1)),
    ]
    for barrier, setting, municipality, day in rows:
        db.add(MappingEntry(risk_setting=setting, municipality_code=municipality, barrier_type=barrier,
                            description="d" * 5, proposed_change="p" * 5, responsible_ministry=SOCIAL,
                            responsible_ministry_code="social_affairs",
                            organisation_id=org, submitted_by=worker.id,
                            created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)))
    db.commit()
    db.scalar(select(1))  # open the session's transaction (savepoint) before counting
    before = count_statements().count
    counts = count_barriers(db)
    assert count_statements().count == before + 1
    assert counts == {("transport", "homelessness"): 6, ("transport", "crisis_centre"): 1,
                      ("digital", "homelessness"): 2, ("stigma", "imprisonment"): 1}
    q1 = BarrierFilters(period_from=date(2026, 1, 1), period_to=date(2026, 3, 31))
    assert count_barriers(db, q1) == {("transport", "homelessness"): 6, ("transport", "crisis_centre"): 1,
                                      ("digital", "homelessness"): 2}
    assert count_barriers(db, BarrierFilters(municipality_codes=["0101"])) == {
        ("digital", "homelessness"): 1, ("stigma", "imprisonment"): 1}
    # 0101 København is in Region Hovedstaden (1084); 0751 Aarhus and 0461 Odense are not.
    assert count_barriers(db, BarrierFilters(region_codes=["1084"])) == {
        ("digital", "homelessness"): 1, ("stigma", "imprisonment"): 1}
    assert count_barriers(db, BarrierFilters(risk_settings=["crisis_centre"], barrier_types=["transport"])) == {
        ("transport", "crisis_centre"): 1}
    assert count_barriers(db, BarrierFilters(risk_settings=[])) == {}

    dims = ("barrier_type", "risk_setting")
    protected = suppress(dims, margins_from_leaves(dims, counts))
    assert protected.published()[("transport", "homelessness")] is None  # secondary: its row holds a 1
    assert ("transport", "crisis_centre") in protected.primary
    assert protected.published()[(None, None)] == 10


def test_graphql_mapping_entries(gql, make_user, analyst_of, db):
    worker = make_user("caseworker")
    mutation = """mutation($input: MappingEntryCreateInput!) { createMappingEntry(input: $input) {
        __typename
        ... on MappingEntry { id riskSetting barrierType responsibleMinistry municipalityCode }
        ... on Problem { status errors { field code } } } }"""
    payload = {"riskSetting": "crisis_centre", "municipalityCode": "0751", "barrierType": "staff_competences",
               "description": "Staff lack training in talking about loneliness.",
               "proposedChange": "Course for shelter staff."}
    ok = gql(mutation, {"input": payload}, worker)["data"]["createMappingEntry"]
    assert ok["__typename"] == "MappingEntry" and ok["barrierType"] == "staff_competences"
    assert ok["responsibleMinistry"] == SOCIAL
    before = _count(db)
    bad = gql(mutation, {"input": {**payload, "riskSetting": "moon_base"}}, worker)["data"]["createMappingEntry"]
    assert bad == {"__typename": "Problem", "status": 422, "errors": [{"field": "risk_setting",
                                                                        "code": "unknown_code"}]}
    social = analyst_of(SOCIAL)
    denied = gql(mutation, {"input": payload}, social)["data"]["createMappingEntry"]
    assert denied["__typename"] == "Problem" and denied["status"] == 403
    assert _count(db) == before

    query = """query($f: MappingEntryFilter) { mappingEntries(filter: $f, first: 10) {
        items { id barrierType } nextCursor } }"""
    seen = gql(query, {"f": {"barrierType": "staff_competences"}}, social)["data"]["mappingEntries"]
    assert [e["id"] for e in seen["items"]] == [ok["id"]] and seen["nextCursor"] is None
    assert gql(query, {}, analyst_of(JUSTICE))["data"]["mappingEntries"]["items"] == []
    assert gql(query, {}, make_user("caseworker"))["data"]["mappingEntries"]["items"] == []
    anonymous = gql(query, {})
    assert anonymous["errors"][0]["extensions"]["status"] == 401
