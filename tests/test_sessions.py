"""Defect 5 (issue 10): a credentials change ends the sessions issued before it, at once, on both doors;
client_credentials is locked out after repeated wrong secrets like passwords are."""

import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select, update

from service.audit.models import AuditEvent
from service.core.settings import get_settings
from service.core.types import utcnow

PASSWORD = "a long secret for sessions"


def _token(client: Any, **form: str) -> str:
    resp = client.post("/api/v1/auth/token", data=form)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def _login(client: Any, username: str, password: str = PASSWORD) -> str:
    return _token(client, grant_type="password", username=username, password=password)


def _works(client: Any, token: str) -> tuple[int, Any]:
    """(REST status, GraphQL viewer or the GraphQL problem status) for this token."""
    headers = {"Authorization": f"Bearer {token}"}
    rest = client.get("/api/v1/organisations", headers=headers).status_code
    gql = client.post("/graphql", json={"query": "{ viewer { name } }"}, headers=headers)
    return rest, gql.json()["data"]["viewer"]["name"] if gql.status_code == 200 else gql.status_code


@pytest.mark.parametrize("change", [{"password": "a brand new password 9"}, {"active": False},
                                    {"role": "coordinator"}])
def test_user_sessions_end_when_credentials_change(client, make_user, change):
    user = make_user("caseworker", password=PASSWORD)
    token = _login(client, user.user.username)
    name = user.user.username
    assert _works(client, token) == (200, name)
    resp = client.patch(f"/api/v1/users/{user.id}", json=change, headers=make_user("system_admin").headers)
    assert resp.status_code == 200, resp.text
    assert _works(client, token) == (401, 401)  # at once, not when the token expires
    if "password" in change:
        assert _works(client, _login(client, name, change["password"])) == (200, name)
    if "role" in change:
        assert _works(client, _login(client, name)) == (200, name)


def test_unrelated_changes_and_no_op_changes_keep_sessions(client, make_user):
    operator = make_user("system_admin")
    user = make_user("caseworker", password=PASSWORD)
    token = _login(client, user.user.username)
    for same in ({"role": "caseworker"}, {"active": True}, {}):
        assert client.patch(f"/api/v1/users/{user.id}", json=same, headers=operator.headers).status_code == 200
    assert _works(client, token)[0] == 200


def _new_client(client: Any, admin: Any, role: str = "caseworker") -> tuple[dict[str, Any], str]:
    created = client.post("/api/v1/api-clients", headers=admin.headers, json={
        "name": "Skolesystem", "organisation_id": str(admin.organisation_id), "role": role})
    assert created.status_code == 201, created.text
    body = created.json()
    return body, _token(client, grant_type="client_credentials", client_id=body["client_id"],
                        client_secret=body["client_secret"])


@pytest.mark.parametrize("change", [{"rotate_secret": True}, {"active": False}, {"role": "coordinator"}])
def test_api_client_sessions_end_when_credentials_change(client, make_user, change):
    admin = make_user("org_admin")
    body, token = _new_client(client, admin)
    assert _works(client, token) == (200, body["client_id"])
    renamed = client.patch(f"/api/v1/api-clients/{body['id']}", json={"name": "Skolesystem 2"},
                           headers=admin.headers)
    assert renamed.status_code == 200 and _works(client, token)[0] == 200  # a new name is not a credential
    changed = client.patch(f"/api/v1/api-clients/{body['id']}", json=change, headers=admin.headers)
    assert changed.status_code == 200, changed.text
    assert _works(client, token) == (401, 401)
    if change.get("rotate_secret"):
        fresh = _token(client, grant_type="client_credentials", client_id=body["client_id"],
                       client_secret=changed.json()["client_secret"])
        assert _works(client, fresh)[0] == 200


def test_graphql_credential_changes_end_sessions_too(client, gql, make_user):
    admin = make_user("org_admin")
    colleague = make_user("caseworker", password=PASSWORD)
    token = _login(client, colleague.user.username)
    # the admin of another organisation cannot end it (the account is invisible to them) ...
    invisible = gql("""mutation($id: UUID!) { updateUser(id: $id, input: {active: false}) {
                        __typename ... on Problem { status } } }""", {"id": str(colleague.id)}, admin)
    assert invisible["data"]["updateUser"] == {"__typename": "Problem", "status": 404}
    assert _works(client, token)[0] == 200
    # ... a system administrator can, over GraphQL as over REST
    done = gql("""mutation($id: UUID!) { updateUser(id: $id, input: {password: "another long password"}) {
                  __typename } }""", {"id": str(colleague.id)}, make_user("system_admin"))
    assert done["data"]["updateUser"] == {"__typename": "User"}
    assert _works(client, token) == (401, 401)


def test_tokens_without_a_credentials_version_are_refused(client, make_user):
    actor = make_user("org_admin")
    s = get_settings()
    claims = {"sub": f"user:{actor.id}", "org": str(actor.organisation_id), "role": "org_admin", "scope": "",
              "iss": s.jwt_issuer, "aud": s.jwt_audience, "exp": int(time.time()) + 60}
    for extra in ({}, {"cv": 2}, {"cv": "1"}):
        token = jwt.encode({**claims, **extra}, s.secret_key, algorithm="HS256")
        assert _works(client, token) == (401, 401), extra
    assert _works(client, actor.token)[0] == 200


def test_wrong_client_secrets_lock_the_client_for_a_while(client, make_user, db):
    admin = make_user("org_admin")
    body, _ = _new_client(client, admin)
    other, _ = _new_client(client, admin)
    limit = get_settings().login_max_failures

    def attempt(secret: str, who: dict[str, Any] = body) -> Any:
        return client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                       "client_id": who["client_id"], "client_secret": secret})

    for _ in range(limit - 1):
        assert attempt("guess").status_code == 401
    assert attempt(body["client_secret"]).status_code == 200  # a success starts the count afresh
    for _ in range(limit):
        assert attempt("guess").status_code == 401
    locked = attempt(body["client_secret"])  # even the right secret
    assert locked.status_code == 429 and locked.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(locked.headers["retry-after"]) <= get_settings().login_lockout_minutes * 60
    assert locked.json()["error"] == "invalid_client"
    assert attempt(other["client_secret"], other).status_code == 200  # another client is not affected
    db.expire_all()
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.client_token",
                                                 AuditEvent.actor_id == body["id"]).order_by(AuditEvent.id)).all()
    assert [(e.outcome, e.reason, e.actor_type) for e in events[-2:]] == [
        ("failure", "wrong_secret", "client"), ("denied", "locked_out", "client")]
    db.execute(update(AuditEvent).where(AuditEvent.reason == "wrong_secret")
               .values(occurred_at=utcnow() - timedelta(minutes=get_settings().login_lockout_minutes + 1)))
    db.commit()
    assert attempt(body["client_secret"]).status_code == 200  # the failures have aged out


def test_inactive_client_is_refused_and_audited_as_such(client, make_user, db):
    admin = make_user("org_admin")
    body, _ = _new_client(client, admin)
    client.patch(f"/api/v1/api-clients/{body['id']}", json={"active": False}, headers=admin.headers)
    resp = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                   "client_id": body["client_id"],
                                                   "client_secret": body["client_secret"]})
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    db.expire_all()
    reasons = db.scalars(select(AuditEvent.reason).where(AuditEvent.action == "auth.client_token",
                                                         AuditEvent.outcome == "failure")).all()
    assert reasons == ["inactive"]
