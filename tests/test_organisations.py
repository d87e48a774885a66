from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.organisations.models import Organisation

VALID = {"name": "Frivilligcenter Vejle", "kind": "civil_society", "cvr": "29000077", "municipality_code": "0630",
         "email": "kontakt@example.dk", "phone": "+45 12 34 56 78"}


def _count(db) -> int:
    return db.scalar(select(func.count()).select_from(Organisation))


def test_system_admin_creates_and_everyone_reads(client, make_user, db):
    admin = make_user("system_admin")
    resp = client.post("/api/v1/organisations", json=VALID, headers=admin.headers)
    assert resp.status_code == 201, resp.text
    org = resp.json()
    assert org["cvr"] == "29000077" and org["kind"] == "civil_society"
    reader = make_user("coordinator")
    got = client.get(f"/api/v1/organisations/{org['id']}", headers=reader.headers)
    assert got.status_code == 200 and got.json()["name"] == VALID["name"]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.create")).all()
    assert [e.subject_id for e in events] == [org["id"]]


def test_only_system_admin_creates(client, make_user, db):
    before = _count(db)
    for role in ("org_admin", "caseworker", "coordinator", "analyst"):
        resp = client.post("/api/v1/organisations", json=VALID, headers=make_user(role).headers)
        assert resp.status_code == 403, role
    assert _count(db) == before + 4  # only the four actors' own organisations


def test_org_admin_edits_own_but_not_others(client, make_user, make_org):
    admin = make_user("org_admin")
    own = client.patch(f"/api/v1/organisations/{admin.organisation_id}", json={"city": "Vejle"},
                       headers=admin.headers)
    assert own.status_code == 200 and own.json()["city"] == "Vejle"
    other = make_org()
    resp = client.patch(f"/api/v1/organisations/{other.id}", json={"city": "Vejle"}, headers=admin.headers)
    assert resp.status_code == 404
    restricted = client.patch(f"/api/v1/organisations/{admin.organisation_id}", json={"is_national": True},
                              headers=admin.headers)
    assert restricted.status_code == 403
    caseworker = make_user("caseworker")
    resp = client.patch(f"/api/v1/organisations/{caseworker.organisation_id}", json={"city": "X"},
                        headers=caseworker.headers)
    assert resp.status_code == 403


def test_bad_input_is_a_clear_4xx_problem_and_writes_nothing(client, make_user, db):
    admin = make_user("system_admin")
    before = _count(db)
    cases = [
        ({**VALID, "cvr": "29000019"}, 422, "cvr"),
        ({**VALID, "cvr": "1234"}, 422, "cvr"),
        ({**VALID, "municipality_code": "0411"}, 422, "municipality_code"),
        ({**VALID, "municipality_code": "abc"}, 422, "municipality_code"),
        ({**VALID, "kind": "pub"}, 422, "kind"),
        ({**VALID, "surprise": True}, 422, "surprise"),
        ({**VALID, "name": 42}, 422, "name"),
        ({k: v for k, v in VALID.items() if k != "name"}, 422, "name"),
    ]
    for body, status, field in cases:
        resp = client.post("/api/v1/organisations", json=body, headers=admin.headers)
        assert resp.status_code == status, (body, resp.text)
        problem = resp.json()
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert {"type", "title", "status", "detail"} <= problem.keys()
        assert field in [e["field"] for e in problem["errors"]], problem
    malformed = client.post("/api/v1/organisations", content=b'{"name": ', headers={
        **admin.headers, "content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["title"] == "Bad request"
    assert client.get("/api/v1/organisations/not-a-uuid", headers=admin.headers).status_code == 422
    assert client.get("/api/v1/organisations?limit=201", headers=admin.headers).status_code == 422
    assert client.get("/api/v1/organisations?limit=0", headers=admin.headers).status_code == 422
    assert client.get("/api/v1/organisations?cursor=%%%", headers=admin.headers).status_code == 400
    assert _count(db) == before


def test_duplicate_cvr_is_a_conflict(client, make_user):
    admin = make_user("system_admin")
    assert client.post("/api/v1/organisations", json=VALID, headers=admin.headers).status_code == 201
    resp = client.post("/api/v1/organisations", json={**VALID, "name": "Another"}, headers=admin.headers)
    assert resp.status_code == 409 and resp.json()["existing_id"]


def test_cursor_pagination_walks_every_row_once_and_filters(client, make_user, make_org):
    reader = make_user("caseworker")
    for i in range(7):
        make_org(kind="school", municipality_code="0751", name=f"Skole {i:02d}")
    make_org(kind="care_home", municipality_code="0751", name="Skole plejehjem")
    seen, cursor = [], None
    while True:
        url = "/api/v1/organisations?kind=school&municipality_code=0751&limit=3"
        resp = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=reader.headers).json()
        seen += [o["name"] for o in resp["items"]]
        cursor = resp["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Skole {i:02d}" for i in range(7)]
    found = client.get("/api/v1/organisations?q=PLEJEHJEM", headers=reader.headers).json()["items"]
    assert [o["name"] for o in found] == ["Skole plejehjem"]


def test_graphql_create_and_update_with_typed_errors(gql, make_user, make_org, db):
    admin = make_user("system_admin")
    mutation = """mutation($input: OrganisationCreateInput!) {
      createOrganisation(input: $input) {
        __typename
        ... on Organisation { id name kind cvr }
        ... on Problem { status title errors { field code } }
      }
    }"""
    ok = gql(mutation, {"input": {"name": "Ældresagen Lokal", "kind": "civil_society", "municipalityCode": "0461",
                                  "cvr": "29000085"}}, admin)
    assert ok["data"]["createOrganisation"]["__typename"] == "Organisation", ok
    before = _count(db)
    bad = gql(mutation, {"input": {"name": "Bad", "kind": "school", "municipalityCode": "9999"}}, admin)
    problem = bad["data"]["createOrganisation"]
    assert problem["__typename"] == "Problem" and problem["status"] == 422
    assert problem["errors"][0]["field"] == "municipality_code"
    bad_cvr = gql(mutation, {"input": {"name": "Bad", "kind": "school", "municipalityCode": "0101",
                                       "cvr": "11111111"}}, admin)
    assert bad_cvr["data"]["createOrganisation"]["errors"][0]["field"] == "cvr"
    denied = gql(mutation, {"input": {"name": "No", "kind": "school", "municipalityCode": "0101"}},
                 make_user("org_admin"))
    assert denied["data"]["createOrganisation"]["status"] == 403
    assert _count(db) == before + 1  # the org_admin's own organisation from make_user
    other = make_org()
    upd = gql("""mutation($id: UUID!) { updateOrganisation(id: $id, input: {city: "Odense"}) {
                 __typename ... on Problem { status } } }""", {"id": str(other.id)}, make_user("org_admin"))
    assert upd["data"]["updateOrganisation"] == {"__typename": "Problem", "status": 404}


def test_graphql_organisations_connection_and_auth(gql, make_user, make_org):
    reader = make_user("caseworker")
    for i in range(3):
        make_org(kind="shelter", municipality_code="0851", name=f"Herberg {i}")
    q = """query($after: String) { organisations(filter: {kind: shelter}, first: 2, after: $after) {
             items { name municipalityCode } nextCursor } }"""
    first = gql(q, {}, reader)["data"]["organisations"]
    assert [o["name"] for o in first["items"]] == ["Herberg 0", "Herberg 1"]
    second = gql(q, {"after": first["nextCursor"]}, reader)["data"]["organisations"]
    assert [o["name"] for o in second["items"]] == ["Herberg 2"] and second["nextCursor"] is None
    anonymous = gql("{ organisations { items { name } } }")
    assert anonymous["data"] is None and anonymous["errors"][0]["extensions"]["status"] == 401
    too_many = gql("{ organisations(first: 500) { items { name } } }", actor=reader)
    assert too_many["errors"][0]["extensions"]["status"] == 422  # as REST's ?limit=500 (tests/test_ops_contracts.py)
