"""Defect 4 (issue 10): scope cannot be widened by self-edit, and ministry responsibility keys on a stable
code, not a display name. Reports, mapping and the action plan are tried after each attempt."""

from typing import Any

import pytest

from service.organisations.models import Organisation
from tests.report_data import PERIOD, build

SOCIAL, HEALTH = "Social- og Indenrigsministeriet", "Sundheds- og Ældreministeriet"
UPDATE_ORG = """mutation($id: UUID!, $input: OrganisationUpdateInput!) { updateOrganisation(id: $id, input: $input) {
    __typename ... on Problem { status } ... on Organisation { name ministryCode } } }"""


@pytest.fixture
def data(db, make_org):
    return build(db, make_org)


def _scope(client: Any, actor: Any, **params: Any) -> tuple[int, Any]:
    resp = client.get("/api/v1/reports/rec4", params={**PERIOD, "group_by": "risk_setting", **params},
                      headers=actor.headers)
    if resp.status_code != 200:
        return resp.status_code, None
    doc = resp.json()
    return 200, (doc["scope"], sorted(c["key"]["risk_setting"] for c in doc["cells"]))


def _org(db: Any, org_id: Any) -> dict[str, Any]:
    db.expire_all()
    org = db.get(Organisation, org_id)
    return {f: getattr(org, f) for f in ("name", "kind", "municipality_code", "is_national", "ministry_code")}


@pytest.mark.parametrize("change", [{"municipality_code": "0751"}, {"kind": "ministry"}, {"is_national": True},
                                    {"kind": "ministry", "ministry_code": "social_affairs"}])
def test_municipality_admin_cannot_widen_its_scope(client, db, gql, data, make_user, change):
    admin = make_user("org_admin", data["kbh"])
    before, scope = _org(db, admin.organisation_id), _scope(client, admin)
    assert scope[0] == 200 and scope[1][0] == "municipality 0101"
    resp = client.patch(f"/api/v1/organisations/{admin.organisation_id}", json=change, headers=admin.headers)
    assert resp.status_code == 403 and "system administrator" in resp.json()["detail"]
    camel = {"municipality_code": "municipalityCode", "is_national": "isNational", "ministry_code": "ministryCode"}
    result = gql(UPDATE_ORG, {"id": str(admin.organisation_id),
                              "input": {camel.get(k, k): v for k, v in change.items()}}, admin)
    assert result["data"]["updateOrganisation"] == {"__typename": "Problem", "status": 403}
    assert _org(db, admin.organisation_id) == before and _scope(client, admin) == scope
    assert client.get("/api/v1/reports/rec4", params={**PERIOD, "municipality": "0751"},
                      headers=admin.headers).status_code == 403


def test_org_admin_still_edits_its_contact_details_and_may_resend_unchanged_scope(client, db, data, make_user):
    admin = make_user("org_admin", data["kbh"])
    resp = client.patch(f"/api/v1/organisations/{admin.organisation_id}", headers=admin.headers,
                        json={"city": "København", "municipality_code": "0101", "kind": "municipality",
                              "is_national": False, "ministry_code": None})
    assert resp.status_code == 200, resp.text
    assert resp.json()["city"] == "København" and _scope(client, admin)[1][0] == "municipality 0101"


def test_renaming_a_ministry_to_anothers_name_opens_nothing(client, db, gql, data, make_user, make_org):
    health = make_org(kind="ministry", name=HEALTH, ministry_code="health")
    health_admin, health_analyst = make_user("org_admin", health), make_user("analyst", health)
    social_analyst = make_user("analyst", make_org(kind="ministry", name=SOCIAL, ministry_code="social_affairs"))
    worker = make_user("caseworker", data["kbh"])
    entries = {}
    for setting in ("homelessness", "nursing_home", "imprisonment"):
        resp = client.post("/api/v1/mapping-entries", headers=worker.headers, json={
            "risk_setting": setting, "municipality_code": "0101", "barrier_type": "capacity",
            "description": "Too few places", "proposed_change": "More places"})
        assert resp.status_code == 201, resp.text
        entries[setting] = resp.json()["id"]

    def seen() -> tuple[Any, ...]:
        mapping = client.get("/api/v1/mapping-entries", headers=health_analyst.headers).json()["items"]
        return _scope(client, health_analyst), sorted(e["id"] for e in mapping)

    before = seen()
    assert before[0] == (200, ("risk settings of " + HEALTH, ["nursing_home", "relative_of_seriously_ill"]))
    assert before[1] == [entries["nursing_home"]]
    # The ministry's own admin renames it to the social ministry's name (REST), then GraphQL; names are
    # display data only, so this is allowed — and opens nothing.
    renamed = client.patch(f"/api/v1/organisations/{health.id}", json={"name": SOCIAL}, headers=health_admin.headers)
    assert renamed.status_code == 200
    assert gql(UPDATE_ORG, {"id": str(health.id), "input": {"name": SOCIAL}},
               health_admin)["data"]["updateOrganisation"]["name"] == SOCIAL
    assert seen() == before
    assert client.get("/api/v1/reports/rec4", params={**PERIOD, "risk_setting": "homelessness"},
                      headers=health_analyst.headers).status_code == 403
    measure = client.post("/api/v1/action-plan/measures", headers=health_analyst.headers, json={
        "title": "Flere pladser", "description": "Plejehjem", "risk_settings": ["nursing_home"],
        "start_date": "2026-01-01"}).json()
    assert (measure["responsible_ministry_code"], measure["responsible_ministry"]) == ("health", HEALTH)
    # ... and it cannot re-point itself at another ministry either.
    relink = client.patch(f"/api/v1/organisations/{health.id}", json={"ministry_code": "social_affairs"},
                          headers=health_admin.headers)
    assert relink.status_code == 403 and seen() == before
    social_cells = _scope(client, social_analyst)[1][1]
    assert "homelessness" in social_cells and "nursing_home" not in social_cells


def test_only_a_system_administrator_links_an_organisation_to_a_ministry(client, db, data, make_user, make_org):
    operator = make_user("system_admin")
    ministry = make_org(kind="ministry", name="Nyt ministerium")
    analyst = make_user("analyst", ministry)
    assert _scope(client, analyst) == (403, None)  # not linked: responsible for nothing
    assert client.get("/api/v1/mapping-entries", headers=analyst.headers).json()["items"] == []
    for bad, field in (({"ministry_code": "magic"}, "ministry_code"),
                       ({"ministry_code": "justice", "kind": "school"}, "ministry_code")):
        resp = client.patch(f"/api/v1/organisations/{ministry.id}", json=bad, headers=operator.headers)
        assert resp.status_code == 422 and [e["field"] for e in resp.json()["errors"]] == [field], bad
    school = client.patch(f"/api/v1/organisations/{data['kbh'].id}", json={"ministry_code": "justice"},
                          headers=operator.headers)
    assert school.status_code == 422
    ok = client.patch(f"/api/v1/organisations/{ministry.id}", json={"ministry_code": "justice"},
                      headers=operator.headers)
    assert ok.status_code == 200 and ok.json()["ministry_code"] == "justice"
    assert _scope(client, analyst)[1][1] == ["imprisonment"]
    created = client.post("/api/v1/organisations", headers=operator.headers, json={
        "name": "Andet ministerium", "kind": "ministry", "municipality_code": "0101", "ministry_code": "health"})
    assert created.status_code == 201 and created.json()["ministry_code"] == "health"


def test_ministry_is_named_by_code_or_by_reference_name(client, make_user, make_org):
    worker = make_user("caseworker")
    body = {"risk_setting": "homelessness", "municipality_code": "0101", "barrier_type": "transport",
            "description": "No bus", "proposed_change": "A bus"}

    def post(**extra: Any) -> Any:
        return client.post("/api/v1/mapping-entries", headers=worker.headers, json={**body, **extra})

    by_code = post(responsible_ministry_code="justice").json()
    assert (by_code["responsible_ministry_code"], by_code["responsible_ministry"]) == ("justice", "Justitsministeriet")
    by_name = post(responsible_ministry=HEALTH).json()
    assert by_name["responsible_ministry_code"] == "health"
    # An organisation's name is not a ministry: only the reference data names ministries.
    make_org(kind="ministry", name="Kulturministeriet")
    assert post(responsible_ministry="Kulturministeriet").status_code == 422
    mismatch = post(responsible_ministry=HEALTH, responsible_ministry_code="justice")
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["code"] == "ministry_mismatch"
    assert post(responsible_ministry_code="Justice!").status_code == 422
