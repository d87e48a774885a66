"""Action-plan measures: ministries record and edit their own, everyone with report access reads all."""

import uuid

import pytest
from sqlalchemy import func, select

from service.action_plan.models import ActionPlanMeasure, ActionPlanMeasureIndicator, ActionPlanMeasureRiskSetting
from service.audit.models import AuditEvent

SOCIAL = "Social- og Indenrigsministeriet"
HEALTH = "Sundheds- og Ældreministeriet"
MINISTRY_CODES = {SOCIAL: "social_affairs", HEALTH: "health"}  # which ministry each test organisation is
URL = "/api/v1/action-plan/measures"

VALID = {"title": "Evening transport to communities", "description": "Shuttle from shelters to activity centres.",
         "risk_settings": ["homelessness", "crisis_centre", "homelessness"], "status": "planned",
         "start_date": "2026-01-01", "end_date": "2026-12-31",
         "indicators": ["referrals_sent", "acceptance_rate", "referrals_sent"]}


def _counts(db) -> tuple[int, int, int]:
    return tuple(db.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
                 for m in (ActionPlanMeasure, ActionPlanMeasureRiskSetting, ActionPlanMeasureIndicator))


@pytest.fixture
def analyst_of(make_org, make_user):
    def _make(name: str):
        return make_user("analyst", make_org(kind="ministry", name=name, ministry_code=MINISTRY_CODES.get(name)))
    return _make


@pytest.fixture
def social(analyst_of):
    return analyst_of(SOCIAL)


def _create(client, actor, **changes):
    resp = client.post(URL, json={**VALID, **changes}, headers=actor.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_analyst_records_a_measure_for_its_ministry(client, social, db):
    resp = client.post(URL, json=VALID, headers=social.headers)
    assert resp.status_code == 201, resp.text
    m = resp.json()
    assert resp.headers["etag"] == '"1"' and m["version"] == 1
    assert m["risk_settings"] == ["crisis_centre", "homelessness"]
    assert m["indicators"] == ["acceptance_rate", "referrals_sent"]
    assert m["responsible_ministry"] == SOCIAL and m["organisation_id"] == str(social.organisation_id)
    assert m["created_by"] == str(social.id) and m["end_date"] == "2026-12-31"
    got = client.get(f"{URL}/{m['id']}", headers=social.headers)
    assert got.status_code == 200 and got.json() == m and got.headers["etag"] == '"1"'
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "action_plan_measure.create")).one()
    assert event.subject_id == m["id"] and event.purpose == "action_plan"
    other = _create(client, social, responsible_ministry=HEALTH, end_date=None, indicators=[])
    assert other["responsible_ministry"] == HEALTH and other["end_date"] is None and other["indicators"] == []


def test_who_may_read_and_who_may_record(client, social, analyst_of, make_user, make_org, db):
    m = _create(client, social)
    for reader in (analyst_of(HEALTH), make_user("org_admin")):
        assert client.get(f"{URL}/{m['id']}", headers=reader.headers).status_code == 200
        assert m["id"] in [x["id"] for x in client.get(URL, headers=reader.headers).json()["items"]]
    before = _counts(db)
    for role in ("caseworker", "coordinator", "org_admin", "system_admin"):
        actor = make_user(role)
        assert client.post(URL, json=VALID, headers=actor.headers).status_code == 403, role
    for role in ("caseworker", "coordinator", "system_admin"):
        actor = make_user(role)
        assert client.get(URL, headers=actor.headers).status_code == 403, role
        assert client.get(f"{URL}/{m['id']}", headers=actor.headers).status_code == 403, role
    # An analyst account outside a ministry organisation cannot record plans either.
    stray = make_user("analyst", make_org(kind="municipality"))
    assert client.post(URL, json=VALID, headers=stray.headers).status_code == 403
    assert client.post(URL, json=VALID).status_code == 401
    assert _counts(db) == before
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=social.headers).status_code == 404


def test_patch_needs_the_current_etag(client, social, db):
    m = _create(client, social)
    path = f"{URL}/{m['id']}"
    missing = client.patch(path, json={"status": "active"}, headers=social.headers)
    assert missing.status_code == 428 and missing.json()["status"] == 428
    ok = client.patch(path, json={"status": "active", "indicators": ["unmet_need"]},
                      headers={**social.headers, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "active" and ok.json()["indicators"] == ["unmet_need"]
    assert ok.json()["version"] == 2 and ok.headers["etag"] == '"2"'
    assert ok.json()["risk_settings"] == ["crisis_centre", "homelessness"]  # untouched
    stale = client.patch(path, json={"status": "done"}, headers={**social.headers, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.headers["etag"] == '"2"'
    garbage = client.patch(path, json={"status": "done"}, headers={**social.headers, "If-Match": "banana"})
    assert garbage.status_code == 412
    weak = client.patch(path, json={"risk_settings": ["imprisonment"], "end_date": None},
                        headers={**social.headers, "If-Match": 'W/"2"'})
    assert weak.status_code == 200 and weak.json()["risk_settings"] == ["imprisonment"]
    assert weak.json()["end_date"] is None and weak.json()["status"] == "active"
    row = db.get(ActionPlanMeasure, uuid.UUID(m["id"]))
    db.refresh(row)
    assert row.version == 3 and row.status == "active"
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "action_plan_measure.update")).all()
    assert [e.criterion["fields"] for e in events] == [["indicators", "status"], ["end_date", "risk_settings"]]


def test_only_the_owning_ministry_edits(client, social, analyst_of, make_user):
    m = _create(client, social)
    path = f"{URL}/{m['id']}"
    other = client.patch(path, json={"title": "Taken over"}, headers={**analyst_of(HEALTH).headers, "If-Match": '"1"'})
    assert other.status_code == 404
    worker = client.patch(path, json={"title": "Taken over"}, headers={**make_user("org_admin").headers,
                                                                        "If-Match": '"1"'})
    assert worker.status_code == 403
    assert client.get(path, headers=social.headers).json()["title"] == VALID["title"]
    colleague = make_user("analyst", None)  # another ministry organisation, same role
    resp = client.patch(path, json={"title": "Taken over"}, headers={**colleague.headers, "If-Match": '"1"'})
    assert resp.status_code == 404


def test_bad_input_on_create_writes_nothing(client, social, db):
    before = _counts(db)
    cases = [
        ({**VALID, "end_date": "2025-12-31"}, "end_date"),
        ({**VALID, "indicators": ["happiness"]}, "indicators.0"),
        ({**VALID, "risk_settings": ["space_station"]}, "risk_settings"),
        ({**VALID, "risk_settings": []}, "risk_settings"),
        ({**VALID, "status": "abandoned"}, "status"),
        ({**VALID, "start_date": "2026-02-30"}, "start_date"),
        ({**VALID, "responsible_ministry": "Ministry of Magic"}, "responsible_ministry"),
        ({**VALID, "organisation_id": str(uuid.uuid4())}, "organisation_id"),
        ({**VALID, "version": 7}, "version"),
        ({k: v for k, v in VALID.items() if k != "title"}, "title"),
    ]
    for body, field in cases:
        resp = client.post(URL, json=body, headers=social.headers)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        fields = [e["field"] for e in resp.json()["errors"]]
        assert field in fields, (field, fields)
    assert _counts(db) == before


def test_bad_input_on_update_changes_nothing(client, social, db):
    m = _create(client, social)
    path, headers = f"{URL}/{m['id']}", {**social.headers, "If-Match": '"1"'}
    cases = [
        {"end_date": "2025-06-30"},  # before the stored start date
        {"start_date": "2027-01-01"},  # after the stored end date
        {"indicators": ["happiness"]},
        {"risk_settings": ["space_station"]},
        {"title": None},
        {"status": None},
        {"colour": "blue"},
        {"responsible_ministry": "Ministry of Magic"},
    ]
    for body in cases:
        resp = client.patch(path, json=body, headers=headers)
        assert resp.status_code == 422, (body, resp.text)
    got = client.get(path, headers=social.headers)
    assert got.json() == m and got.headers["etag"] == '"1"'


def test_filters_and_pagination(client, social, analyst_of):
    health = analyst_of(HEALTH)
    a = _create(client, social, status="active", risk_settings=["homelessness"], indicators=["unmet_need"])
    b = _create(client, social, status="planned", risk_settings=["crisis_centre"], indicators=[])
    c = _create(client, health, status="active", risk_settings=["nursing_home", "homelessness"],
                indicators=["tils_change"])

    def ids(query: str) -> list[str]:
        resp = client.get(f"{URL}?limit=200{query}", headers=health.headers)
        assert resp.status_code == 200, resp.text
        return [x["id"] for x in resp.json()["items"]]

    assert set(ids("&status=active")) >= {a["id"], c["id"]} and b["id"] not in ids("&status=active")
    assert set(ids("&risk_setting=homelessness")) == {a["id"], c["id"]}
    assert ids("&indicator=tils_change") == [c["id"]]
    assert ids(f"&responsible_ministry={HEALTH}") == [c["id"]]
    for bad in ("status=abandoned", "indicator=happiness", "limit=0"):
        assert client.get(f"{URL}?{bad}", headers=health.headers).status_code == 422, bad
    seen, cursor = [], None
    while True:
        resp = client.get(f"{URL}?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=health.headers).json()
        seen += [x["id"] for x in resp["items"]]
        cursor = resp["next_cursor"]
        if not cursor:
            break
    assert seen == [a["id"], b["id"], c["id"]]


def test_listing_does_not_grow_statements_with_page_size(client, social, count_statements):
    for i in range(6):
        _create(client, social, title=f"Measure {i}")
    counter = count_statements()
    start = counter.count
    client.get(f"{URL}?limit=2", headers=social.headers)
    small = counter.count - start
    start = counter.count
    client.get(f"{URL}?limit=6", headers=social.headers)
    assert counter.count - start == small


def test_graphql_measures(gql, social, analyst_of, make_user, db):
    create = """mutation($input: ActionPlanMeasureCreateInput!) { createActionPlanMeasure(input: $input) {
        __typename
        ... on ActionPlanMeasure { id version riskSettings indicators state: status startDate endDate
                                    responsibleMinistry }
        ... on Problem { status errors { field code } } } }"""
    payload = {"title": "Phone friends for nursing homes", "description": "Volunteer phone contact.",
               "riskSettings": ["nursing_home"], "startDate": "2026-03-01", "endDate": "2026-09-30",
               "indicators": ["persons_severe_loneliness", "tils_change"], "status": "active"}
    made = gql(create, {"input": payload}, social)["data"]["createActionPlanMeasure"]
    assert made["__typename"] == "ActionPlanMeasure", made
    assert made["indicators"] == ["persons_severe_loneliness", "tils_change"] and made["version"] == 1
    assert made["state"] == "active" and made["responsibleMinistry"] == SOCIAL
    assert (made["startDate"], made["endDate"]) == ("2026-03-01", "2026-09-30")
    before = _counts(db)
    inverted = gql(create, {"input": {**payload, "endDate": "2026-01-01"}}, social)["data"]["createActionPlanMeasure"]
    assert inverted["__typename"] == "Problem" and inverted["status"] == 422
    unknown = gql(create, {"input": {**payload, "riskSettings": ["atlantis"]}}, social)["data"]
    assert unknown["createActionPlanMeasure"]["errors"] == [{"field": "risk_settings", "code": "unknown_code"}]
    denied = gql(create, {"input": payload}, make_user("caseworker"))["data"]["createActionPlanMeasure"]
    assert denied["__typename"] == "Problem" and denied["status"] == 403
    assert _counts(db) == before

    update = """mutation($id: UUID!, $version: Int!, $input: ActionPlanMeasureUpdateInput!) {
        updateActionPlanMeasure(id: $id, version: $version, input: $input) {
        __typename ... on ActionPlanMeasure { version state: status } ... on Problem { status } } }"""
    done = gql(update, {"id": made["id"], "version": 1, "input": {"status": "done"}}, social)
    assert done["data"]["updateActionPlanMeasure"] == {"__typename": "ActionPlanMeasure", "version": 2,
                                                       "state": "done"}
    stale = gql(update, {"id": made["id"], "version": 1, "input": {"status": "planned"}}, social)
    assert stale["data"]["updateActionPlanMeasure"] == {"__typename": "Problem", "status": 412}
    foreign = gql(update, {"id": made["id"], "version": 2, "input": {"status": "planned"}}, analyst_of(HEALTH))
    assert foreign["data"]["updateActionPlanMeasure"] == {"__typename": "Problem", "status": 404}

    read = """query($id: UUID!) { actionPlanMeasure(id: $id) { title version status riskSettings }
        actionPlanMeasures(filter: {indicator: tils_change}, first: 5) { items { id } nextCursor } }"""
    got = gql(read, {"id": made["id"]}, analyst_of(HEALTH))["data"]
    assert got["actionPlanMeasure"] == {"title": payload["title"], "version": 2, "status": "done",
                                        "riskSettings": ["nursing_home"]}
    assert [x["id"] for x in got["actionPlanMeasures"]["items"]] == [made["id"]]
    assert gql(read, {"id": str(uuid.uuid4())}, social)["data"]["actionPlanMeasure"] is None
    refused = gql(read, {"id": made["id"]}, make_user("caseworker"))
    assert refused["errors"][0]["extensions"]["status"] == 403
