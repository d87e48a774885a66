import time
from datetime import timedelta

import jwt
from sqlalchemy import select, update

from service.audit.models import AuditEvent
from service.core.security import JWT_ALGORITHM
from service.core.settings import get_settings
from service.core.types import utcnow


def _login(client, username, password):
    return client.post("/api/v1/auth/token",
                       data={"grant_type": "password", "username": username, "password": password})


def test_password_grant_issues_a_verifiable_token_and_audits(client, make_user, db):
    actor = make_user("caseworker", username="anna", password="a long secret 1")
    resp = _login(client, "anna", "a long secret 1")
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    claims = jwt.decode(body["access_token"], get_settings().secret_key, algorithms=[JWT_ALGORITHM],
                        audience="tvaers-api", issuer="tvaers")
    assert claims["sub"] == f"user:{actor.id}" and claims["role"] == "caseworker"
    assert claims["org"] == str(actor.organisation_id) and "persons:manage" in claims["scope"].split()
    me = client.get("/api/v1/users/" + str(actor.id), headers={"Authorization": "Bearer " + body["access_token"]})
    assert me.status_code == 403  # a caseworker cannot manage accounts, not even its own
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    assert [(e.outcome, e.actor_id) for e in events] == [("success", str(actor.id))]


def test_failed_logins_are_refused_and_still_audited(client, make_user, db):
    actor = make_user("caseworker", username="bo", password="a long secret 2")
    wrong = _login(client, "bo", "not the password")
    unknown = _login(client, "nobody", "whatever-123")
    for resp in (wrong, unknown):
        assert resp.status_code == 401
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["error"] == "invalid_grant"
        assert "password" not in resp.json()["detail"].lower() or "credentials" in resp.json()["detail"]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")
                        .order_by(AuditEvent.id)).all()
    assert [(e.outcome, e.reason, e.actor_id) for e in events] == [
        ("failure", "wrong_password", str(actor.id)), ("failure", "unknown_username", None)]


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client, make_user, db):
    make_user("caseworker", username="dy", password="a long secret 4")
    bystander = make_user("caseworker", username="ea", password="a long secret 5")
    limit = get_settings().login_max_failures
    for _ in range(limit - 1):
        assert _login(client, "dy", "guess").status_code == 401
    assert _login(client, "dy", "a long secret 4").status_code == 200  # a success starts the count afresh
    for _ in range(limit):
        assert _login(client, "dy", "guess").status_code == 401
    locked = _login(client, "dy", "a long secret 4")
    assert locked.status_code == 429 and locked.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(locked.headers["retry-after"]) <= get_settings().login_lockout_minutes * 60
    assert locked.json()["error"] == "invalid_grant" and "try again later" in locked.json()["detail"]
    assert _login(client, "dy", "guess").status_code == 429  # no more guesses while locked
    assert _login(client, "ea", "a long secret 5").status_code == 200
    dy_events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login",
                                                    AuditEvent.actor_id != str(bystander.id))
                           .order_by(AuditEvent.id)).all()
    assert [(e.outcome, e.reason) for e in dy_events[-3:]] == [
        ("failure", "wrong_password"), ("denied", "locked_out"), ("denied", "locked_out")]
    db.execute(update(AuditEvent).where(AuditEvent.reason == "wrong_password")
               .values(occurred_at=utcnow() - timedelta(minutes=get_settings().login_lockout_minutes + 1)))
    db.commit()
    assert _login(client, "dy", "a long secret 4").status_code == 200  # the failures have aged out


def test_inactive_user_cannot_log_in_and_existing_token_stops_working(client, make_user, db):
    actor = make_user("caseworker", username="cy", password="a long secret 3")
    assert client.get("/api/v1/organisations", headers=actor.headers).status_code == 200
    actor.user.active = False
    db.add(actor.user)
    db.commit()
    assert _login(client, "cy", "a long secret 3").status_code == 401
    resp = client.get("/api/v1/organisations", headers=actor.headers)
    assert resp.status_code == 401 and resp.headers["www-authenticate"].startswith("Bearer")


def test_bad_grant_requests_are_4xx_problems(client):
    assert client.post("/api/v1/auth/token", data={"grant_type": "implicit"}).json()["error"] == \
        "unsupported_grant_type"
    resp = client.post("/api/v1/auth/token", data={"grant_type": "password", "username": "x"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    resp = client.post("/api/v1/auth/token", data={})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "grant_type"


def test_tampered_foreign_or_expired_tokens_are_rejected(client, make_user):
    actor = make_user("org_admin")
    s = get_settings()
    base = {"sub": f"user:{actor.id}", "org": str(actor.organisation_id), "role": "org_admin", "scope": "",
            "iss": s.jwt_issuer, "aud": s.jwt_audience, "exp": int(time.time()) + 60}
    bad_tokens = [
        jwt.encode({**base, "exp": int(time.time()) - 5}, s.secret_key, algorithm="HS256"),
        jwt.encode({**base, "aud": "someone-else"}, s.secret_key, algorithm="HS256"),
        jwt.encode({**base, "iss": "evil"}, s.secret_key, algorithm="HS256"),
        jwt.encode(base, "another-secret-of-sufficient-length-123", algorithm="HS256"),
        jwt.encode(base, None, algorithm="none"),
        jwt.encode({**base, "org": "00000000-0000-0000-0000-000000000000"}, s.secret_key, algorithm="HS256"),
        actor.token[:-3] + "abc",
    ]
    for token in bad_tokens:
        resp = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, token
    assert client.get("/api/v1/organisations", headers=actor.headers).status_code == 200
    assert client.get("/api/v1/organisations").status_code == 401


def test_client_credentials_grant(client, make_user):
    admin = make_user("org_admin")
    created = client.post("/api/v1/api-clients", headers=admin.headers,
                          json={"name": "Skolesystem", "organisation_id": str(admin.organisation_id),
                                "role": "caseworker"})
    assert created.status_code == 201, created.text
    secret = created.json()["client_secret"]
    client_id = created.json()["client_id"]
    listed = client.get("/api/v1/api-clients", headers=admin.headers).json()["items"]
    assert [c["client_id"] for c in listed] == [client_id] and "client_secret" not in listed[0]
    ok = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                  "client_secret": secret})
    assert ok.status_code == 200
    token = ok.json()["access_token"]
    viewer = client.post("/graphql", json={"query": "{ viewer { kind role } }"},
                         headers={"Authorization": f"Bearer {token}"}).json()
    assert viewer["data"]["viewer"] == {"kind": "client", "role": "caseworker"}
    bad = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                   "client_secret": "wrong"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    rotated = client.patch(f"/api/v1/api-clients/{created.json()['id']}", headers=admin.headers,
                           json={"rotate_secret": True})
    assert rotated.status_code == 200 and rotated.json()["client_secret"] not in (None, secret)
    old = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                   "client_secret": secret})
    assert old.status_code == 401


def test_a_token_verified_before_is_still_refused_once_expired_or_when_the_key_changes(client, make_user,
                                                                                       monkeypatch):
    """The verified-claims cache (core.security) must not outlive the token's expiry or the signing key."""
    from service.core import security

    actor = make_user("org_admin")
    assert client.get("/api/v1/organisations", headers=actor.headers).status_code == 200  # verified, cached
    exp = jwt.decode(actor.token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr(security, "_clock", lambda: exp - 1)
    assert client.get("/api/v1/organisations", headers=actor.headers).status_code == 200
    monkeypatch.setattr(security, "_clock", lambda: exp)  # PyJWT's rule: expired from `exp` on
    assert client.get("/api/v1/organisations", headers=actor.headers).status_code == 401
    monkeypatch.undo()
    assert client.get("/api/v1/organisations", headers=actor.headers).status_code == 200
    monkeypatch.setattr(get_settings(), "secret_key", "a-rotated-secret-of-sufficient-length-1234")
    assert client.get("/api/v1/organisations", headers=actor.headers).status_code == 401


def test_the_verified_token_cache_is_bounded():
    from service.core.security import _VerifiedTokens

    cache = _VerifiedTokens(3)
    for i in range(5):
        cache.put(("k", "i", "a", str(i)), {"n": i})
    assert cache.get(("k", "i", "a", "0")) is None and cache.get(("k", "i", "a", "1")) is None
    assert [cache.get(("k", "i", "a", str(i))) for i in (2, 3, 4)] == [{"n": 2}, {"n": 3}, {"n": 4}]
