"""One world for the whole access matrix, built once through the API (so every object is what the service would
have made) inside a module-scoped transaction; every case then runs in a SAVEPOINT that is rolled back, so an
allowed write never changes what the next case sees.

Organisations: A and A2 (two municipalities: the owner and another of the same kind), C (a school: another
kind), P and Q (civil-society providers: A refers its person to P, A2 to Q), MIN (a ministry) and PLATFORM
(the system administrator's). Each of A, A2 and C has one user per organisation role; P has a coordinator
(the consented provider for A's person) and an org_admin; A has an API client (role org_admin).
"""

import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.permissions import Permission, Role, permissions_for
from service.core.security import hash_secret, issue_token
from service.events import EventType
from service.organisations.models import Organisation
from service.users.models import ApiClient, User
from service.webhooks import secrets as webhook_secrets
from service.webhooks.models import WebhookDelivery, WebhookEndpoint

ORG_ROLES = (Role.org_admin, Role.caseworker, Role.coordinator, Role.analyst)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\nunderskrift\n%%EOF\n"
OFFER = {"title": "Telefonven", "description": "Vi ringer hver uge", "category": "phone_friend", "mode": "phone",
         "nationwide": True, "capacity": 10, "address": "Torvet 1"}


@dataclass(frozen=True)
class Actor:
    label: str
    org: str | None  # world organisation key; None: anonymous
    permissions: frozenset[Permission]
    headers: dict[str, str]
    role: str | None = None
    kind: str = "user"


@dataclass
class World:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    # each organisation's id and kind as plain values: the cases expire the arena's session after every
    # rollback, and reading an expired Organisation's attribute would cost a SELECT per case
    ids: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    actors: list[Actor] = field(default_factory=list)
    # per owner ("A", "A2"): the path parameters of that owner's objects
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    # which provider organisation each owner's referral went to
    provider_of: dict[str, str] = field(default_factory=dict)

    def org_id(self, key: str) -> str:
        return self.ids[key]


def _token(user: User, org: Organisation) -> dict[str, str]:
    token, _ = issue_token(sub=f"user:{user.id}", org=str(org.id), role=user.role,
                           scope=" ".join(sorted(permissions_for(user.role))), cv=user.credentials_version)
    return {"Authorization": f"Bearer {token}"}


def _ok(resp: Any, status: int = 201) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return resp.json()


def build(client: Any, db: Session) -> World:
    w = World()
    kinds = {"PLATFORM": ("region", "0101"), "A": ("municipality", "0101"), "A2": ("municipality", "0147"),
             "C": ("school", "0101"), "P": ("civil_society", "0101"), "Q": ("civil_society", "0147"),
             "MIN": ("ministry", "0101")}
    for key, (kind, code) in kinds.items():
        org = Organisation(name=f"Matrix {key} {uuid.uuid4().hex[:6]}", kind=kind, municipality_code=code,
                           ministry_code="social_affairs" if kind == "ministry" else None)
        db.add(org)
        w.orgs[key] = org
    db.flush()
    w.ids = {key: str(org.id) for key, org in w.orgs.items()}
    w.kinds = {key: kind for key, (kind, _) in kinds.items()}
    users: dict[tuple[str, str], tuple[User, dict[str, str]]] = {}

    def user(key: str, role: Role) -> dict[str, str]:
        u = User(username=f"m-{key}-{role}-{uuid.uuid4().hex[:6]}".lower(), password_hash="x",
                 organisation_id=w.orgs[key].id, role=role)
        db.add(u)
        db.flush()
        users[(key, role)] = (u, _token(u, w.orgs[key]))
        return users[(key, role)][1]

    w.actors.append(Actor("anonymous", None, frozenset(), {}))
    for key in ("A", "A2", "C"):
        for role in ORG_ROLES:
            w.actors.append(Actor(f"{key}:{role}", key, permissions_for(role), user(key, role), role))
    for role in (Role.coordinator, Role.org_admin):
        w.actors.append(Actor(f"P:{role}", "P", permissions_for(role), user("P", role), role))
    w.actors.append(Actor("system_admin", "PLATFORM", permissions_for(Role.system_admin),
                          user("PLATFORM", Role.system_admin), Role.system_admin))
    q_coord, min_analyst = user("Q", Role.coordinator), user("MIN", Role.analyst)
    secret = secrets.token_urlsafe(24)
    machine = ApiClient(client_id="tv_" + secrets.token_hex(8), secret_hash=hash_secret(secret), name="Partner",
                        organisation_id=w.orgs["A"].id, role=Role.org_admin)
    db.add(machine)
    db.commit()
    token = _ok(client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                        "client_id": machine.client_id, "client_secret": secret}),
                200)["access_token"]
    w.actors.append(Actor("A:client", "A", permissions_for(Role.org_admin, "client"),
                          {"Authorization": f"Bearer {token}"}, Role.org_admin, kind="client"))

    provider_headers = {"P": users[("P", Role.coordinator)][1], "Q": q_coord}
    provider_offers, listed = {}, {}
    for key in ("P", "Q"):  # one offer to refer to (paused later), one that stays published (HSDS)
        provider_offers[key], listed[key] = (_ok(client.post("/api/v1/offers", headers=provider_headers[key],
                                                             json={**OFFER, "status": "published"}))["id"]
                                             for _ in range(2))
    measure = _ok(client.post("/api/v1/action-plan/measures", headers=min_analyst, json={
        "title": "Matrixindsats", "description": "Et tiltag", "risk_settings": ["nursing_home"],
        "status": "planned", "start_date": "2026-01-01"}))["id"]
    # A webhook endpoint per owner, written directly (registration would resolve the target host): the referral
    # steps below then queue its deliveries. Nothing is sent — no worker runs in the matrix.
    hooks = {owner: WebhookEndpoint(organisation_id=w.orgs[owner].id, url=f"https://hooks.example.org/{owner}",
                                    event_types=sorted(str(t) for t in EventType))
             for owner in ("A", "A2")}
    for hook in hooks.values():
        webhook_secrets.store(hook, "whsec_" + "A" * 32, None)
    db.add_all(hooks.values())
    db.commit()
    for owner, provider in (("A", "P"), ("A2", "Q")):
        caseworker = users[(owner, Role.caseworker)][1]
        admin = users[(owner, Role.org_admin)][1]
        person = _ok(client.post("/api/v1/persons", headers=caseworker, json={
            "given_name": "Karen", "family_name": "Matrixsen", "birth_date": "1950-01-01",
            "municipality_code": kinds[owner][1], "risk_settings": [{"code": "nursing_home"}],
            "consent": {"purposes": ["registration", "referral_sharing", "contact"], "given_by": "self",
                        "method": "written", "consent_text_version": "2026-1", "data_categories": ["interests"],
                        "recipient_organisation_ids": [w.org_id(provider)]}}))
        consent = _ok(client.get(f"/api/v1/persons/{person['id']}/consents", headers=caseworker), 200)["items"][0]
        docs = f"/api/v1/persons/{person['id']}/consents/{consent['id']}/documents"
        document = _ok(client.post(docs, content=PDF, headers={**caseworker, "Content-Type": "application/pdf"}))
        referral = _ok(client.post("/api/v1/referrals", headers=caseworker, json={
            "person_id": person["id"], "offer_id": provider_offers[provider], "shared_categories": ["interests"]}))
        _ok(client.post(f"/api/v1/referrals/{referral['id']}/transitions", json={"action": "accept"},
                        headers=provider_headers[provider]), 200)
        _ok(client.put(f"/api/v1/referrals/{referral['id']}/contact-agreement", headers=provider_headers[provider],
                       json={"channel": "phone", "cadence": "weekly", "weekday": 1, "time_of_day": "09:30"}))
        # the provider pauses the referral's offer: no longer readable to anyone else (Referral.offer must hide it)
        _ok(client.post(f"/api/v1/offers/{provider_offers[provider]}/status", json={"status": "paused"},
                        headers=provider_headers[provider]), 200)
        draft = _ok(client.post("/api/v1/offers", headers=admin, json={**OFFER, "status": "draft"}))
        task = _ok(client.get(f"/fhir/R4/Task/{referral['id']}", headers=caseworker), 200)
        # a second person (linkable, mergeable) and a pending transfer of the first to C (a school)
        twin = _ok(client.post("/api/v1/persons", headers=caseworker, json={
            "given_name": "Kirsten", "family_name": "Matrixsen", "birth_date": "1951-02-02",
            "municipality_code": kinds[owner][1], "risk_settings": [{"code": "nursing_home"}],
            "consent": {"purposes": ["registration"], "given_by": "self", "method": "written",
                        "consent_text_version": "2026-1"}}))
        transfer = _ok(client.post(f"/api/v1/persons/{person['id']}/transfers", headers=caseworker,
                                   json={"to_organisation_id": w.org_id("C")}))
        delivery = db.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == hooks[owner].id)).first()
        assert delivery is not None, "the referral steps queued no delivery to the owner's endpoint"
        w.provider_of[owner] = provider
        w.params[owner] = {
            "org_id": w.org_id(owner), "user_id": str(users[(owner, Role.caseworker)][0].id),
            "client_pk": str(machine.id) if owner == "A" else "", "offer_id": draft["id"],
            "person_id": person["id"], "consent_id": consent["id"], "document_id": document["id"],
            "referral_id": referral["id"], "measure_id": measure,
            "service_id": listed[provider], "organization_id": w.org_id(provider),
            "provider_offer_id": provider_offers[provider],
            "endpoint_id": str(hooks[owner].id), "delivery_id": str(delivery.id),
            # FHIR Task bodies: the referrer cancels (withdraw), the provider starts (in-progress)
            "task_cancel": json.dumps({**task, "status": "cancelled"}),
            "task_start": json.dumps({**task, "status": "in-progress"}),
            "twin_id": twin["id"], "transfer_id": transfer["id"], "org_c": w.org_id("C"),
            "link_body": json.dumps({"other_person_id": twin["id"]}),
            "merge_body": json.dumps({"duplicate_person_id": twin["id"]}),
            "transfer_body": json.dumps({"to_organisation_id": w.org_id("C")})}
    hsds = {key: _ok(client.get(f"/api/v1/hsds/{key}"), 200)["contents"][0]["id"]
            for key in ("taxonomies", "taxonomy_terms", "service_at_locations")}
    for owner in ("A", "A2"):
        w.params[owner].update(taxonomy_id=hsds["taxonomies"], term_id=hsds["taxonomy_terms"],
                               service_at_location_id=hsds["service_at_locations"])
    if not w.params["A2"]["client_pk"]:
        other = ApiClient(client_id="tv_" + secrets.token_hex(8), secret_hash="x", name="Partner 2",
                          organisation_id=w.orgs["A2"].id, role=Role.caseworker)
        db.add(other)
        db.commit()
        w.params["A2"]["client_pk"] = str(other.id)
    return w
