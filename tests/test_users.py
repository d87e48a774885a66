from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.users.models import User


def _user_body(org_id, role="caseworker", username="new.user"):
    return {"username": username, "password": "a sufficiently long pw", "organisation_id": str(org_id), "role": role}


def test_org_admin_manages_users_of_its_own_organisation(client, make_user, db):
    admin = make_user("org_admin")
    resp = client.post("/api/v1/users", json=_user_body(admin.organisation_id), headers=admin.headers)
    assert resp.status_code == 201, resp.text
    user = resp.json()
    assert "password" not in user and "password_hash" not in user
    listed = client.get("/api/v1/users", headers=admin.headers).json()["items"]
    assert {u["username"] for u in listed} == {admin.user.username, "new.user"}
    upd = client.patch(f"/api/v1/users/{user['id']}", json={"role": "coordinator", "active": False},
                       headers=admin.headers)
    assert upd.status_code == 200 and upd.json()["role"] == "coordinator" and upd.json()["active"] is False
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == user["id"])
                         .order_by(AuditEvent.id)).all()
    assert actions == ["user.create", "user.update"]


def test_other_organisations_users_are_invisible(client, make_user):
    admin = make_user("org_admin")
    stranger = make_user("caseworker")
    assert client.get(f"/api/v1/users/{stranger.id}", headers=admin.headers).status_code == 404
    assert client.patch(f"/api/v1/users/{stranger.id}", json={"active": False},
                        headers=admin.headers).status_code == 404
    assert stranger.user.username not in {u["username"] for u in client.get(
        "/api/v1/users", headers=admin.headers).json()["items"]}
    resp = client.post("/api/v1/users", json=_user_body(stranger.organisation_id), headers=admin.headers)
    assert resp.status_code == 403


def test_role_rules(client, make_user, make_org, db):
    admin = make_user("org_admin")
    before = db.scalar(select(func.count()).select_from(User))
    escalate = client.post("/api/v1/users", json=_user_body(admin.organisation_id, "system_admin"),
                           headers=admin.headers)
    assert escalate.status_code == 403
    analyst_outside_ministry = client.post("/api/v1/users", json=_user_body(admin.organisation_id, "analyst"),
                                           headers=admin.headers)
    assert analyst_outside_ministry.status_code == 422
    assert client.post("/api/v1/users", json=_user_body(admin.organisation_id, "wizard"),
                       headers=admin.headers).status_code == 422
    for role in ("caseworker", "coordinator", "analyst"):
        resp = client.post("/api/v1/users", json=_user_body(admin.organisation_id), headers=make_user(role).headers)
        assert resp.status_code == 403, role
    assert db.scalar(select(func.count()).select_from(User)) == before + 3
    sysadmin = make_user("system_admin")
    ministry = make_org(kind="ministry")
    ok = client.post("/api/v1/users", json=_user_body(ministry.id, "analyst", "analyst.one"),
                     headers=sysadmin.headers)
    assert ok.status_code == 201
    dup = client.post("/api/v1/users", json=_user_body(ministry.id, "analyst", "analyst.one"),
                      headers=sysadmin.headers)
    assert dup.status_code == 409


def test_user_input_validation(client, make_user):
    admin = make_user("org_admin")
    for body in (
        {**_user_body(admin.organisation_id), "password": "short"},
        {**_user_body(admin.organisation_id), "username": "has space"},
        {**_user_body(admin.organisation_id), "is_superuser": True},
        {**_user_body(admin.organisation_id), "organisation_id": "nope"},
    ):
        resp = client.post("/api/v1/users", json=body, headers=admin.headers)
        assert resp.status_code == 422, body
        assert "sufficiently" not in resp.text  # rejected input is never echoed back


def test_graphql_user_mutations_and_viewer(gql, make_user):
    admin = make_user("org_admin")
    created = gql("""mutation($input: UserCreateInput!) { createUser(input: $input) {
        __typename ... on User { username role organisation { id } } ... on Problem { status } } }""",
                  {"input": {"username": "gql.user", "password": "a sufficiently long pw",
                             "organisationId": str(admin.organisation_id), "role": "caseworker"}}, admin)
    assert created["data"]["createUser"] == {"__typename": "User", "username": "gql.user", "role": "caseworker",
                                            "organisation": {"id": str(admin.organisation_id)}}
    viewer = gql("{ viewer { name role permissions organisation { id } } }", actor=admin)["data"]["viewer"]
    assert viewer["role"] == "org_admin" and "users:manage_own" in viewer["permissions"]
    assert gql("{ viewer { name } }")["data"]["viewer"] is None
    stranger = make_user("caseworker")
    assert gql("query($id: UUID!) { user(id: $id) { username } }", {"id": str(stranger.id)},
               admin)["data"]["user"] is None
