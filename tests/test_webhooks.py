"""Webhook endpoints over REST and GraphQL, the outbox written with the change, thin payloads, safe targets."""

import ipaddress
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.core.settings import get_settings
from service.events.models import OutboxEvent
from service.webhooks.models import WebhookDelivery
from service.webhooks.targets import BlockedTarget, resolve
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401
from tests.webhook_support import PAYLOADS, PERSON_VALUES, leaks

HOOK = "http://127.0.0.1:9/hook"
ALL_REFERRAL = ["referral.sent", "referral.accepted", "referral.withdrawn", "consent.withdrawn",
                "contact.missed_alert"]


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "webhook_allowed_targets", ["127.0.0.1"])


def _create(w: World, actor: Any, types: list[str] | None = None, url: str = HOOK) -> Any:
    return w.client.post("/api/v1/webhooks", json={"url": url, "event_types": types or ALL_REFERRAL},
                         headers=actor.headers)


def _events(w: World, org_id: uuid.UUID) -> list[OutboxEvent]:
    w.db.expire_all()
    return list(w.db.scalars(select(OutboxEvent).where(OutboxEvent.organisation_id == org_id)
                             .order_by(OutboxEvent.seq)))


def test_endpoint_secret_shown_once_and_only_own_organisation(world: World, loopback_allowed: None, make_user):
    w = world
    created = _create(w, w.admin_a)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == sorted(ALL_REFERRAL)
    eid = body["id"]
    read = w.client.get(f"/api/v1/webhooks/{eid}", headers=w.admin_a.headers)
    assert read.status_code == 200 and "secret" not in read.json()
    listed = w.client.get("/api/v1/webhooks", headers=w.admin_a.headers).json()
    assert [e["id"] for e in listed["items"]] == [eid] and "secret" not in listed["items"][0]
    # a caseworker may not; another organisation's admin does not see it (404, and an empty list)
    assert _create(w, w.caseworker).status_code == 403
    admin_b = make_user("org_admin", w.org_b)
    assert w.client.get(f"/api/v1/webhooks/{eid}", headers=admin_b.headers).status_code == 404
    assert w.client.patch(f"/api/v1/webhooks/{eid}", json={"description": "x"},
                          headers=admin_b.headers).status_code == 404
    assert w.client.get("/api/v1/webhooks", headers=admin_b.headers).json()["items"] == []
    # rotation: a new secret, shown once; the old one still signs until the overlap ends
    rotated = w.client.post(f"/api/v1/webhooks/{eid}/rotate-secret", json={"overlap_hours": 2},
                            headers=w.admin_a.headers).json()
    assert rotated["secret"] != body["secret"] and rotated["previous_secret_until"] is not None
    assert w.client.delete(f"/api/v1/webhooks/{eid}", headers=w.admin_a.headers).status_code == 204
    assert w.client.get(f"/api/v1/webhooks/{eid}", headers=w.admin_a.headers).status_code == 404


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://10.1.2.3/x", "http://169.254.169.254/latest",
                                 "http://[::1]/x", "http://localhost/x", "ftp://example.org/x",
                                 "http://user:pw@example.org/x", "http://192.168.0.10:8080/x"])
def test_private_and_odd_targets_are_refused_without_echo(world: World, url: str):
    resp = _create(world, world.admin_a, url=url)
    assert resp.status_code == 422, resp.text
    assert url not in resp.text and resp.json()["errors"][0]["code"] == "target_not_allowed"


def test_production_requires_https(world: World, loopback_allowed: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(get_settings(), "env", "production")
    resp = _create(world, world.admin_a)
    assert resp.status_code == 422 and "https" in resp.json()["errors"][0]["message"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
                        "100.64.0.0/10", "0.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128"]), st.integers(0, 2**20))
def test_no_non_public_address_passes(network: str, offset: int):
    net = ipaddress.ip_network(network)
    ip = net[offset % net.num_addresses]
    with pytest.raises(BlockedTarget):
        resolve(str(ip), 443)
    mapped = f"::ffff:{ip}" if ip.version == 4 else None
    if mapped:
        with pytest.raises(BlockedTarget):
            resolve(mapped, 443)


def test_referral_events_written_with_the_change_and_thin(world: World, loopback_allowed: None):
    w = world
    assert _create(w, w.admin_a).status_code == 201
    person = w.person()
    ref = w.refer(person)
    assert w.act(ref["id"], "accept").status_code == 200
    a_events = _events(w, w.org_a.id)
    assert [e.type for e in a_events] == ["referral.sent", "referral.accepted"]
    assert [e.type for e in _events(w, w.org_b.id)] == ["referral.sent", "referral.accepted"]
    payload = a_events[0].payload
    assert set(payload) == {"id", "type", "timestamp", "organisation_id", "data"}
    assert payload["data"] == {"referral_id": ref["id"], "offer_id": str(w.offer.id)}
    # org A's endpoint got one delivery per event; org B has no endpoint, so none
    w.db.expire_all()
    assert len(list(w.db.scalars(select(WebhookDelivery)))) == 2
    # a refused change writes nothing: accepting again is a 409, no event
    assert w.act(ref["id"], "accept").status_code == 409
    assert len(_events(w, w.org_a.id)) == 2
    feed = w.client.get("/api/v1/webhooks/events", headers=w.admin_a.headers).json()
    assert [e["type"] for e in feed["items"]] == ["referral.sent", "referral.accepted"]
    assert w.client.get("/api/v1/webhooks/events", headers=w.caseworker.headers).status_code == 403


def test_consent_withdrawal_tells_the_affected_organisations(world: World):
    w = world
    person = w.person()
    ref = w.refer(person)
    consent_id = person["consents"][0]["id"] if "consents" in person else None
    if consent_id is None:
        consent_id = w.client.get(f"/api/v1/persons/{person['id']}/consents",
                                  headers=w.caseworker.headers).json()["items"][0]["id"]
    resp = w.client.post(f"/api/v1/persons/{person['id']}/consents/{consent_id}/withdraw", json={},
                         headers=w.caseworker.headers)
    assert resp.status_code == 200, resp.text
    holder = [e for e in _events(w, w.org_a.id) if e.type == "consent.withdrawn"]
    provider = [e for e in _events(w, w.org_b.id) if e.type == "consent.withdrawn"]
    assert holder[0].payload["data"] == {"consent_id": consent_id, "person_id": person["id"]}
    assert provider[0].payload["data"] == {"consent_id": consent_id}  # the provider re-reads what it may see
    assert "referral.withdrawn" in [e.type for e in _events(w, w.org_b.id)]
    assert ref["id"] in {e.payload["data"].get("referral_id") for e in _events(w, w.org_b.id)}


def test_missed_calls_in_a_row_raise_one_alert(world: World, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(get_settings(), "contact_missed_alert_after", 2)
    w = world
    ref = w.refer(w.person())
    assert w.act(ref["id"], "accept").status_code == 200
    for day in (1, 2, 3):
        resp = w.client.post(f"/api/v1/referrals/{ref['id']}/contacts", headers=w.coordinator.headers, json={
            "contacted_at": f"2026-10-0{day}T10:00:00Z", "duration_minutes": 0, "channel": "phone"})
        assert resp.status_code == 201, resp.text
    alerts = [e for e in _events(w, w.org_b.id) if e.type == "contact.missed_alert"]
    assert len(alerts) == 1 and alerts[0].payload["data"] == {"referral_id": ref["id"]}
    # the referring caseworker is alerted: a person who stops answering may be the person most alone
    to_referrer = [e for e in _events(w, w.org_a.id) if e.type == "contact.missed_alert"]
    assert len(to_referrer) == 1 and to_referrer[0].payload["data"] == {
        "referral_id": ref["id"], "caseworker_id": str(w.caseworker.user.id)}


def test_offer_and_action_plan_changes_emit(world: World):
    w = world
    resp = w.client.post(f"/api/v1/offers/{w.offer.id}/status", json={"status": "paused"},
                         headers=w.coordinator.headers)
    assert resp.status_code == 200, resp.text
    assert [e.type for e in _events(w, w.org_b.id)] == ["offer.paused"]


def test_an_offer_change_reaches_the_organisations_with_an_open_referral_to_it(world: World):
    """The audience referrals registers in wire() (`referrals.audiences.open_referrers`): the referring
    organisation of an open referral hears of the offer's change, one that never referred does not."""
    w = world
    w.refer(w.person())
    resp = w.client.post(f"/api/v1/offers/{w.offer.id}/status", json={"status": "paused"},
                         headers=w.coordinator.headers)
    assert resp.status_code == 200, resp.text
    assert "offer.paused" in [e.type for e in _events(w, w.org_a.id)]
    assert "offer.paused" not in [e.type for e in _events(w, w.org_c.id)]


def test_graphql_manages_endpoints(world: World, loopback_allowed: None, gql):
    w = world
    created = gql("""mutation($i: WebhookEndpointCreateInput!) { createWebhookEndpoint(input: $i) {
        ... on WebhookEndpointWithSecret { secret endpoint { id eventTypes } } ... on Problem { status } } }""",
                  {"i": {"url": HOOK, "eventTypes": ["referral_sent"]}}, w.admin_a)
    result = created["data"]["createWebhookEndpoint"]
    assert result["secret"].startswith("whsec_") and result["endpoint"]["eventTypes"] == ["referral.sent"]
    listed = gql("{ webhookEndpoints { items { id } } }", None, w.admin_a)
    assert listed["data"]["webhookEndpoints"]["items"] == [{"id": result["endpoint"]["id"]}]
    denied = gql("{ webhookEndpoints { items { id } } }", None, w.caseworker)
    assert denied.get("errors")


def test_canary_no_personal_value_in_payloads(world: World):
    """The whole suite is scanned at the end (tests/conftest.py); this runs a flow with marked values now."""
    w = world
    person = w.person(given_name="Kanarieffugl", notes="Kanarie-note om helbred")
    ref = w.refer(person, message="Kanarie besked")
    w.act(ref["id"], "accept")
    assert {"Kanarieffugl", "Kanarie besked"} <= PERSON_VALUES and PAYLOADS
    assert leaks() == []


def test_action_plan_changes_emit(client, make_org, make_user, db):
    analyst = make_user("analyst", make_org(kind="ministry", name="Social", ministry_code="social_affairs"))
    created = client.post("/api/v1/action-plan/measures", headers=analyst.headers, json={
        "title": "Evening transport", "description": "Shuttle.", "risk_settings": ["homelessness"],
        "status": "planned", "start_date": "2026-01-01"})
    assert created.status_code == 201, created.text
    db.expire_all()
    types = [e.type for e in db.scalars(select(OutboxEvent).where(
        OutboxEvent.organisation_id == analyst.organisation_id))]
    assert types == ["action_plan.measure_created"]


def test_consent_expiry_and_referral_expiry_emit(world: World):
    from datetime import timedelta

    from sqlalchemy import update

    from service.core.types import utcnow
    from service.persons.consents import expire_consents
    from service.persons.models import Consent

    w = world
    person = w.person()
    ref = w.refer(person)
    w.drive(ref["id"], "expired")
    assert "referral.expired" in [e.type for e in _events(w, w.org_b.id)]
    w.db.execute(update(Consent).where(Consent.person_id == uuid.UUID(person["id"]))
                 .values(expires_at=utcnow() - timedelta(minutes=1)))
    assert expire_consents(w.db) == 1
    assert "consent.expired" in [e.type for e in _events(w, w.org_a.id)]


def test_contact_due_job_alerts_the_provider_once(world: World):
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from service.core.types import utcnow
    from service.worker.jobs import _contacts_due

    w = world
    ref = w.refer(w.person())
    assert w.act(ref["id"], "accept").status_code == 200
    now = utcnow()
    due = (now + timedelta(minutes=1)).isoformat()
    resp = w.client.post(f"/api/v1/referrals/{ref['id']}/contacts", headers=w.coordinator.headers, json={
        "contacted_at": now.isoformat(), "duration_minutes": 20, "channel": "phone", "elements": ["ro"],
        "next_contact_at": due})
    assert resp.status_code == 201, resp.text

    def factory() -> Session:
        return Session(bind=w.db.connection(), join_transaction_mode="create_savepoint")

    assert _contacts_due(factory, now + timedelta(minutes=2), now) == 1
    assert _contacts_due(factory, now + timedelta(minutes=3), now + timedelta(minutes=2)) == 0  # next run: none
    alerts = [e for e in _events(w, w.org_b.id) if e.type == "contact.due"]
    assert len(alerts) == 1 and alerts[0].payload["data"] == {"referral_id": ref["id"]}


def test_redelivery_and_the_backlog_gauge(world: World, loopback_allowed: None):
    from sqlalchemy import update

    from service.wiring import wire

    w = world
    wire()
    eid = _create(w, w.admin_a).json()["id"]
    w.refer(w.person())
    deliveries = w.client.get(f"/api/v1/webhooks/{eid}/deliveries", headers=w.admin_a.headers).json()["items"]
    assert [d["event_type"] for d in deliveries] == ["referral.sent"] and deliveries[0]["status"] == "pending"
    assert "tvaers_outbox_backlog" in w.client.get("/metrics").text
    did = deliveries[0]["id"]
    w.db.execute(update(WebhookDelivery).values(status="dead"))
    w.client.patch(f"/api/v1/webhooks/{eid}", json={"enabled": False}, headers=w.admin_a.headers)
    url = f"/api/v1/webhooks/{eid}/deliveries/{did}/redeliver"
    assert w.client.post(url, headers=w.admin_a.headers).status_code == 409  # disabled: enable first
    assert w.client.patch(f"/api/v1/webhooks/{eid}", json={"enabled": True},
                          headers=w.admin_a.headers).json()["enabled"] is True
    again = w.client.post(url, headers=w.admin_a.headers)
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert w.client.post(f"/api/v1/webhooks/{eid}/deliveries/{uuid.uuid4()}/redeliver",
                         headers=w.admin_a.headers).status_code == 404
