"""The access table (service/access.py) is complete, is what the doors enforce, and is what the README says.

- Every route of the app and every root or resolver field of the GraphQL schema has exactly one row, and no
  row names an operation that does not exist: a new operation without a row fails here.
- The doors refuse by the table *before* validating: every non-public operation answers 401 to an anonymous
  caller and 403 to every role (and API client) holding none of its permissions — with an empty or invalid
  body, and without writing anything.
"""

import re
import secrets
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.types.base import StrawberryObjectDefinition

from service.access import AUTHENTICATED, GRAPHQL, OPERATIONS, PUBLIC, REST, readme_with_table
from service.audit.models import AuditEvent
from service.core.db import metadata
from service.core.permissions import Role, permissions_for
from service.core.security import hash_secret
from service.door import rest_operations
from service.users.models import ApiClient

ROOT = Path(__file__).resolve().parents[1]


def graphql_operations() -> set[str]:
    """Every Query and Mutation field, and every nested field with a resolver of its own."""
    from schema.root import build_schema

    schema = build_schema(production=False)
    converter = schema.config.name_converter
    out = set()
    for type_name, concrete in schema.schema_converter.type_map.items():
        definition = concrete.definition
        if not isinstance(definition, StrawberryObjectDefinition) or definition.is_input:
            continue
        for f in definition.fields:
            if type_name in ("Query", "Mutation") or f.base_resolver is not None:
                out.add(f"{type_name}.{converter.get_graphql_name(f)}")
    return out


def test_every_route_has_exactly_one_row_and_every_row_a_route(app):
    routes = [(method, path) for method, path, _ in rest_operations(app)]
    assert len(routes) == len(set(routes))
    assert set(routes) - set(REST) == set(), "add these operations to service/access.py"
    assert set(REST) - set(routes) == set(), "these rows name no route"


def test_every_graphql_field_has_exactly_one_row_and_every_row_a_field():
    fields = graphql_operations()
    assert fields - set(GRAPHQL) == set(), "add these GraphQL fields to service/access.py"
    assert set(GRAPHQL) - fields == set(), "these rows name no GraphQL field"


def test_every_row_is_well_formed():
    for op in OPERATIONS:
        needs = op.access.needs
        assert needs in (PUBLIC, AUTHENTICATED) or (isinstance(needs, tuple) and needs), op
        assert op.access.why and op.access.why[-1] != ".", op
        if op.access.audit:  # audited operations carry personal data: never public
            assert needs != PUBLIC, op
        if op.rest and op.access.audit and "{" in op.rest[1]:
            params = re.findall(r"{(\w+)}", op.rest[1])
            assert f"{op.access.audit.subject_type}_id" in params, op


def test_readme_renders_the_table():
    readme = (ROOT / "README.md").read_text()
    assert readme_with_table(readme) == readme, "run `tvaers access-table --write-readme README.md`"


# --- the doors enforce the table before validation ---------------------------------------------------------

def _principals(client: Any, db: Any, make_user: Any, make_org: Any) -> list[tuple[str, frozenset[Any], dict]]:
    out = []
    for role in Role:
        actor = make_user(role.value, make_org(kind="ministry" if role == Role.analyst else "municipality"))
        out.append((role.value, permissions_for(role), actor.headers))
    org = make_org()
    secret = secrets.token_urlsafe(24)
    machine = ApiClient(client_id="tv_" + secrets.token_hex(8), secret_hash=hash_secret(secret), name="Partner",
                        organisation_id=org.id, role="org_admin")
    db.add(machine)
    db.commit()
    token = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                    "client_id": machine.client_id, "client_secret": secret})
    out.append(("client:org_admin", permissions_for("org_admin", "client"),
                {"Authorization": f"Bearer {token.json()['access_token']}"}))
    return out


def _row_counts(db: Any) -> dict[str, int]:
    db.expire_all()
    return {t.name: db.scalar(select(func.count()).select_from(t)) for t in metadata.sorted_tables
            if not t.name.startswith("audit_")}  # refusals are audited: the audit tables grow


BODIES: list[Any] = [{}, {"unexpected": "field", "role": "system_admin"}, ["not", "an", "object"]]


def test_rest_refuses_by_permission_before_it_validates(client, db, make_user, make_org):
    principals = _principals(client, db, make_user, make_org)
    before = _row_counts(db)
    checked = 0
    for (method, path), access in REST.items():
        if access.needs == PUBLIC:
            continue
        url = re.sub(r"{\w+}", str(uuid.uuid4()), path)
        anonymous = client.request(method, url, json=BODIES[checked % len(BODIES)])
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        for i, (label, permissions, headers) in enumerate(principals):
            if access.needs == AUTHENTICATED or permissions & set(access.needs):
                continue
            resp = client.request(method, url, json=BODIES[i % len(BODIES)], headers=headers)
            assert resp.status_code == 403, (method, path, label, resp.text)
            assert "errors" not in resp.json()  # nothing about the body leaks to who may not send it
            checked += 1
    assert checked > 120
    assert _row_counts(db) == before


def test_door_refusals_on_personal_data_are_audited(client, db, make_user):
    coordinator = make_user("coordinator")
    subject = uuid.uuid4()
    assert client.post("/api/v1/persons", json={}, headers=coordinator.headers).status_code == 403
    assert client.post(f"/api/v1/persons/{subject}/consents", json={}).status_code == 401
    assert client.get(f"/api/v1/referrals/{subject}", headers=make_user("analyst").headers).status_code == 403
    db.expire_all()
    denied = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied").order_by(AuditEvent.id)).all()
    assert [(e.action, e.reason, e.subject_id, e.actor_type) for e in denied] == [
        ("person.create", "role_not_allowed", None, "user"),
        ("consent.give", "unauthenticated", str(subject), "anonymous"),
        ("referral.read", "role_not_allowed", str(subject), "user")]
    assert denied[0].actor_id == str(coordinator.id) and denied[0].purpose == "casework"


def test_public_operations_ignore_a_stale_token(client):
    stale = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/reference/ministries", headers=stale).status_code == 200
    assert client.post("/api/v1/auth/token", headers=stale, data={"grant_type": "password", "username": "nobody",
                                                                  "password": "x"}).status_code == 401


# --- defect 6: authorize before validating ----------------------------------------------------------------

def test_org_admin_posting_an_empty_organisation_gets_403_not_the_field_list(client, make_user):
    resp = client.post("/api/v1/organisations", json={}, headers=make_user("org_admin").headers)
    assert resp.status_code == 403 and "errors" not in resp.json()
    assert client.post("/api/v1/organisations", json={}).status_code == 401
    assert client.post("/api/v1/organisations", json={}, headers=make_user("system_admin").headers).status_code == 422


@pytest.mark.parametrize("mutation,variables", [
    ("mutation($i: OrganisationCreateInput!) { createOrganisation(input: $i) { __typename ... on Problem { status "
     "errors { field } } } }", {"i": {"name": "", "kind": "school", "municipalityCode": "x", "cvr": "1"}}),
    ("mutation($i: UserCreateInput!) { createUser(input: $i) { __typename ... on Problem { status "
     "errors { field } } } }", {"i": {"username": "!", "password": "short", "role": "system_admin",
                                       "organisationId": "00000000-0000-0000-0000-000000000000"}}),
    ("mutation($i: PersonCreateInput!) { createPerson(input: $i) { __typename ... on Problem { status "
     "errors { field } } } }", {"i": {"givenName": "", "familyName": "", "municipalityCode": "x", "riskSettings": [],
                                       "consent": {"purposes": [], "givenBy": "self", "method": "written",
                                                   "consentTextVersion": ""}}}),
])
def test_graphql_refuses_by_permission_before_it_validates(client, gql, make_user, mutation, variables):
    for actor, status in ((make_user("coordinator"), 403), (None, 401)):
        result = gql(mutation, variables, actor)
        assert list(result["data"].values())[0] == {"__typename": "Problem", "status": status, "errors": []}


def test_nested_field_refused_at_the_door_is_null(client, gql, make_user):
    admin = make_user("org_admin")
    created = client.post("/api/v1/offers", headers=admin.headers, json={
        "title": "Telefonven", "description": "Vi ringer", "category": "phone_friend", "mode": "phone",
        "nationwide": True, "status": "published"})
    assert created.status_code == 201, created.text
    query = '{ offers { items { providerName organisation { id } } } }'
    anonymous = gql(query)["data"]["offers"]["items"]
    assert anonymous and all(o["organisation"] is None and o["providerName"] for o in anonymous)
    assert gql(query, actor=admin)["data"]["offers"]["items"][0]["organisation"] is not None
