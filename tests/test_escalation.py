"""Defect 1 (issue 10): nobody creates or promotes an account beyond their reach, on either door.

The attack: any authenticated principal created an org_admin in its own organisation, logged in as it and
read full CPR numbers. Every non-manager is tried here with every role, REST and GraphQL, users and API
clients, and the escalated login is attempted afterwards.
"""

import secrets
from typing import Any

import pytest
from sqlalchemy import func, select

from service.core.permissions import Role
from service.core.security import hash_secret
from service.users.models import ApiClient, User
from tests.persons_helpers import CPR, create_person

PASSWORD = "an escalated password 1"
NON_MANAGERS = ("caseworker", "coordinator", "analyst")

CREATE_USER = """mutation($input: UserCreateInput!) { createUser(input: $input) {
    __typename ... on Problem { status } ... on User { id role } } }"""
UPDATE_USER = """mutation($id: UUID!, $input: UserUpdateInput!) { updateUser(id: $id, input: $input) {
    __typename ... on Problem { status } ... on User { role } } }"""
CREATE_CLIENT = """mutation($input: ApiClientCreateInput!) { createApiClient(input: $input) {
    __typename ... on Problem { status } ... on ApiClient { clientSecret } } }"""


class Machine:
    """An API client with a token from the real client_credentials grant."""

    def __init__(self, client: Any, db: Any, organisation_id: Any, role: str) -> None:
        secret = secrets.token_urlsafe(24)
        self.row = ApiClient(client_id="tv_" + secrets.token_hex(8), secret_hash=hash_secret(secret), name="Partner",
                             organisation_id=organisation_id, role=role)
        db.add(self.row)
        db.commit()
        resp = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                       "client_id": self.row.client_id, "client_secret": secret})
        assert resp.status_code == 200, resp.text
        self.headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
        self.organisation_id = organisation_id


def _accounts(db: Any) -> tuple[int, int]:
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(User)), db.scalar(select(func.count()).select_from(ApiClient)))


def _login(client: Any, username: str) -> int:
    return client.post("/api/v1/auth/token", data={"grant_type": "password", "username": username,
                                                   "password": PASSWORD}).status_code


def _attackers(client: Any, db: Any, make_user: Any, make_org: Any) -> list[tuple[str, Any]]:
    home = make_org(kind="municipality")
    ministry = make_org(kind="ministry")
    out: list[tuple[str, Any]] = [(r, make_user(r, ministry if r == "analyst" else home)) for r in NON_MANAGERS]
    # API clients never manage accounts, whatever their role — even org_admin and system_admin.
    out += [(f"client:{r}", Machine(client, db, home.id, r)) for r in ("caseworker", "org_admin", "system_admin")]
    return out


def test_non_managers_cannot_create_or_promote_anyone_over_rest(client, db, make_user, make_org):
    admin = make_user("org_admin")
    person = create_person(client, admin, cpr=CPR)
    for label, attacker in _attackers(client, db, make_user, make_org):
        before = _accounts(db)
        for role in Role:
            username = f"mallory-{secrets.token_hex(4)}"
            body = {"username": username, "password": PASSWORD, "organisation_id": str(attacker.organisation_id),
                    "role": role.value}
            resp = client.post("/api/v1/users", json=body, headers=attacker.headers)
            assert resp.status_code == 403, (label, role, resp.text)
            clients = client.post("/api/v1/api-clients", headers=attacker.headers, json={
                "name": "Backdoor", "organisation_id": str(attacker.organisation_id), "role": role.value})
            assert clients.status_code == 403, (label, role)
            assert _login(client, username) == 401  # the escalated account does not exist
        if isinstance(attacker, Machine):
            own = client.patch(f"/api/v1/api-clients/{attacker.row.id}", json={"role": "org_admin"},
                               headers=attacker.headers)
        else:
            own = client.patch(f"/api/v1/users/{attacker.id}", json={"role": "org_admin"}, headers=attacker.headers)
        assert own.status_code == 403, label
        assert _accounts(db) == before, label
        # Nobody got in: the person's CPR is still masked for the attacker (or hidden altogether).
        read = client.get(f"/api/v1/persons/{person['id']}", headers=attacker.headers)
        assert read.status_code == 404 or read.json()["cpr"] == "010190-XXXX", label


def test_non_managers_cannot_create_or_promote_anyone_over_graphql(client, db, gql, make_user, make_org):
    for label, attacker in _attackers(client, db, make_user, make_org):
        before = _accounts(db)
        for role in Role:
            username = f"mallory-{secrets.token_hex(4)}"
            created = client.post("/graphql", headers=attacker.headers, json={"query": CREATE_USER, "variables": {
                "input": {"username": username, "password": PASSWORD,
                          "organisationId": str(attacker.organisation_id), "role": role.value}}}).json()
            assert created["data"]["createUser"] == {"__typename": "Problem", "status": 403}, (label, role)
            machine = client.post("/graphql", headers=attacker.headers, json={"query": CREATE_CLIENT, "variables": {
                "input": {"name": "Backdoor", "organisationId": str(attacker.organisation_id),
                          "role": role.value}}}).json()
            assert machine["data"]["createApiClient"]["status"] == 403, (label, role)
            assert _login(client, username) == 401
        if not isinstance(attacker, Machine):
            own = client.post("/graphql", headers=attacker.headers, json={"query": UPDATE_USER, "variables": {
                "id": str(attacker.id), "input": {"role": "org_admin"}}}).json()
            assert own["data"]["updateUser"] == {"__typename": "Problem", "status": 403}, label
        assert _accounts(db) == before, label


@pytest.mark.parametrize("door", ["rest", "graphql"])
def test_org_admin_cannot_grant_or_touch_system_admin(client, db, gql, make_user, door):
    admin = make_user("org_admin")
    from service.organisations.models import Organisation

    home = db.get(Organisation, admin.organisation_id)
    operator = make_user("system_admin", home, password=PASSWORD)  # a platform operator in the same organisation
    colleague = make_user("caseworker", home)
    before = _accounts(db)

    def create(role: str) -> int:
        body = {"username": f"u-{secrets.token_hex(4)}", "password": PASSWORD,
                "organisation_id": str(admin.organisation_id), "role": role}
        if door == "rest":
            return client.post("/api/v1/users", json=body, headers=admin.headers).status_code
        result = gql(CREATE_USER, {"input": {"username": body["username"], "password": PASSWORD,
                                             "organisationId": body["organisation_id"], "role": role}}, admin)
        data = result["data"]["createUser"]
        return data["status"] if data["__typename"] == "Problem" else 201

    def change(user_id: Any, changes: dict[str, Any]) -> int:
        if door == "rest":
            return client.patch(f"/api/v1/users/{user_id}", json=changes, headers=admin.headers).status_code
        data = gql(UPDATE_USER, {"id": str(user_id), "input": changes}, admin)["data"]["updateUser"]
        return data["status"] if data["__typename"] == "Problem" else 200

    assert create("system_admin") == 403
    assert change(colleague.id, {"role": "system_admin"}) == 403
    # The operator's account is out of reach: no password reset, no deactivation, no demotion.
    for changes in ({"password": "taken over by org admin"}, {"active": False}, {"role": "caseworker"}):
        assert change(operator.id, changes) == 403, changes
    assert _accounts(db) == before
    db.expire_all()
    assert db.get(User, colleague.id).role == "caseworker" and db.get(User, operator.id).active
    assert _login(client, operator.user.username) == 200  # the operator's own password still works
    # Within reach it works as before: a caseworker is created and promoted to org_admin.
    assert create("caseworker") == 201
    assert change(colleague.id, {"role": "org_admin"}) == 200


def test_api_client_of_org_admin_role_cannot_mint_credentials_but_works_otherwise(client, db, make_user):
    admin = make_user("org_admin")
    machine = Machine(client, db, admin.organisation_id, "org_admin")
    viewer = client.post("/graphql", headers=machine.headers, json={"query": "{ viewer { permissions } }"}).json()
    permissions = viewer["data"]["viewer"]["permissions"]
    assert "persons:manage" in permissions and not any(p.startswith("users:") for p in permissions)
    assert client.get("/api/v1/users", headers=machine.headers).status_code == 403
    assert client.get("/api/v1/organisations", headers=machine.headers).status_code == 200


def test_system_admin_grants_any_role_anywhere(client, make_user, make_org):
    operator = make_user("system_admin")
    elsewhere = make_org(kind="ministry")
    for role in Role:
        body = {"username": f"u-{secrets.token_hex(4)}", "password": PASSWORD, "organisation_id": str(elsewhere.id),
                "role": role.value}
        assert client.post("/api/v1/users", json=body, headers=operator.headers).status_code == 201, role


def test_the_account_service_refuses_too_not_only_the_door(db, make_org):
    """Defence in depth: a future door that forgot the check still meets the service's own rule."""
    import uuid

    from service.core.errors import Forbidden
    from service.core.permissions import permissions_for
    from service.core.principal import Principal
    from service.users import service
    from service.users.dto import UserCreate

    org = make_org(kind="ministry")
    for role, kind in [(r, "user") for r in NON_MANAGERS] + [("org_admin", "client"), ("org_admin", "user")]:
        principal = Principal(kind=kind, id=uuid.uuid4(), organisation_id=org.id, role=Role(role), name="x",
                              permissions=permissions_for(role, kind))
        wanted = "system_admin" if (role, kind) == ("org_admin", "user") else "org_admin"
        with pytest.raises(Forbidden):
            service.create_user(db, principal, UserCreate(username=f"u-{secrets.token_hex(4)}", password=PASSWORD,
                                                          organisation_id=org.id, role=Role(wanted)))
