"""Defect 2 of issue 10: consent by organisation kind, with several referrals to providers of different kinds.

`persons/policy.sharing_covers` once built an uncorrelated scalar subquery (`… FROM organisation, referral`):
on PostgreSQL a second referral turned every provider read into a 500, on SQLite the decision used an
arbitrary referral's provider kind. Here two providers of different kinds each hold referrals of persons whose
consents name *one* kind; each must see exactly its own, through REST and GraphQL, on both databases.

And the registration-expiry gap found later: a registration consent that expired before the nightly job ran
must close the provider's view at once, even while a `referral_sharing` consent is still live.
"""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from service.audit.models import AuditEvent
from service.core.types import utcnow
from service.persons.models import Consent
from service.referrals.models import Referral
from service.referrals.policy import readable
from tests.offers_support import make_offer  # noqa: F401  (fixture)
from tests.referrals_support import World, world_fixture  # noqa: F401  (fixture)

AGREEMENT = {"channel": "phone", "cadence": "weekly", "weekday": 1, "time_of_day": "09:30"}
CONTACT = {"contacted_at": "2026-01-05T10:00:00Z", "duration_minutes": 20, "channel": "phone"}


@pytest.fixture
def two_kinds(world: World, make_org: Any, make_user: Any, make_offer: Any) -> dict[str, Any]:  # noqa: F811
    """B (civil_society) and S (shelter), each with an offer; Karen's consent names civil_society by kind,
    Sofie's names shelter by kind. A third referral, of Karen to S, exists in the database (as a stale or
    imported row would): S must not read it, however many referrals exist."""
    w = world
    shelter = make_org(kind="shelter", name="Herberget")
    s_coordinator = make_user("coordinator", shelter)
    s_admin = make_user("org_admin", shelter)
    s_offer = make_offer(shelter, capacity=5, title="Samtale", category="phone_friend")
    karen = w.person(recipients=[], kinds=["civil_society"])
    sofie = w.person(given_name="Sofie", recipients=[], kinds=["shelter"])
    to_b = w.refer(karen)["id"]
    to_s = w.refer(sofie, offer=s_offer)["id"]
    # the consent does not name shelters: the service refuses to create Karen → S ...
    assert w.refer(karen, offer=s_offer, expect=422)["missing_consent"] == "referral_sharing"
    # ... so put one there directly, as a row from before a narrowing would be
    stale = Referral(person_id=uuid.UUID(karen["id"]), offer_id=s_offer.id, referring_organisation_id=w.org_a.id,
                     provider_organisation_id=shelter.id, created_by=w.caseworker.id, status="sent")
    w.db.add(stale)
    w.db.commit()
    return {"to_b": to_b, "to_s": to_s, "stale": str(stale.id), "s": s_coordinator, "s_admin": s_admin,
            "shelter": shelter}


def _provider_reads(w: World, actor: Any, rid: str) -> dict[str, int]:
    c, h = w.client, actor.headers
    return {"get": c.get(f"/api/v1/referrals/{rid}", headers=h).status_code,
            "agreement": c.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=h).status_code,
            "contacts": c.get(f"/api/v1/referrals/{rid}/contacts", headers=h).status_code}


def _inbox(w: World, actor: Any) -> set[str]:
    resp = w.client.get("/api/v1/referrals", params={"direction": "received"}, headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return {r["id"] for r in resp.json()["items"]}


def test_each_provider_reads_exactly_what_the_kind_consent_names_rest(world: World, two_kinds):
    w, t = world, two_kinds
    assert _inbox(w, w.coordinator) == {t["to_b"]}
    assert _inbox(w, t["s"]) == {t["to_s"]}  # not the stale Karen → S referral
    assert _provider_reads(w, w.coordinator, t["to_b"]) == {"get": 200, "agreement": 404, "contacts": 200}
    assert _provider_reads(w, t["s"], t["stale"]) == {"get": 404, "agreement": 404, "contacts": 404}
    assert _provider_reads(w, w.coordinator, t["to_s"]) == {"get": 404, "agreement": 404, "contacts": 404}
    # the summary names the right person to the right provider
    assert w.client.get(f"/api/v1/referrals/{t['to_s']}", headers=t["s"].headers).json()["person"][
        "given_name"] == "Sofie"
    # writes: B works its referral; S cannot act on the one it may not see, and nothing changes
    assert w.act(t["to_b"], "accept").status_code == 200
    assert w.client.put(f"/api/v1/referrals/{t['to_b']}/contact-agreement", json=AGREEMENT,
                        headers=w.coordinator.headers).status_code == 201
    assert w.client.post(f"/api/v1/referrals/{t['to_b']}/contacts", json=CONTACT,
                         headers=w.coordinator.headers).status_code == 201
    assert w.act(t["stale"], "accept", actor=t["s"]).status_code == 404
    assert w.act(t["stale"], "accept", actor=t["s_admin"]).status_code == 404
    assert w.client.put(f"/api/v1/referrals/{t['stale']}/contact-agreement", json=AGREEMENT,
                        headers=t["s"].headers).status_code == 404
    assert w.client.post(f"/api/v1/referrals/{t['stale']}/contacts", json=CONTACT,
                         headers=t["s"].headers).status_code == 404
    w.db.expire_all()
    assert w.db.get(Referral, uuid.UUID(t["stale"])).status == "sent"
    # and S's own referral still works after all that
    assert w.act(t["to_s"], "accept", actor=t["s"]).status_code == 200
    denied = w.db.scalars(select(AuditEvent.action).where(AuditEvent.outcome == "denied",
                                                         AuditEvent.subject_id == t["stale"])).all()
    assert {"referral.read", "referral.transition", "contact_agreement.set", "contact_log.write"} <= set(denied)


LIST = '{ referrals(filter: {direction: "received"}) { items { id person { givenName } } } }'
ONE = "query($id: UUID!) { referral(id: $id) { id person { givenName } } }"
AGREE = """mutation($id: UUID!) { setContactAgreement(referralId: $id, input: {channel: phone, cadence: weekly,
  weekday: 1, timeOfDay: "09:30"}) { __typename ... on Problem { status } } }"""
ACCEPT = """mutation($id: UUID!) { transitionReferral(id: $id, input: {action: accept}) {
  __typename ... on Problem { status } } }"""


def test_each_provider_reads_exactly_what_the_kind_consent_names_graphql(world: World, two_kinds, gql):
    w, t = world, two_kinds
    got = gql(LIST, actor=t["s"])
    assert "errors" not in got, got
    assert got["data"]["referrals"]["items"] == [{"id": t["to_s"], "person": {"givenName": "Sofie"}}]
    assert gql(LIST, actor=w.coordinator)["data"]["referrals"]["items"] == [
        {"id": t["to_b"], "person": {"givenName": "Karen"}}]
    assert gql(ONE, {"id": t["stale"]}, t["s"])["data"]["referral"] is None
    assert gql(ONE, {"id": t["to_b"]}, w.coordinator)["data"]["referral"]["person"] == {"givenName": "Karen"}
    assert gql(ACCEPT, {"id": t["stale"]}, t["s"])["data"]["transitionReferral"] == {
        "__typename": "Problem", "status": 404}
    assert gql(ACCEPT, {"id": t["to_s"]}, t["s"])["data"]["transitionReferral"]["__typename"] == "Referral"
    assert gql(AGREE, {"id": t["stale"]}, t["s"])["data"]["setContactAgreement"] == {
        "__typename": "Problem", "status": 404}
    assert gql(AGREE, {"id": t["to_s"]}, t["s"])["data"]["setContactAgreement"]["__typename"] == "ContactAgreement"


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()], ids=["postgresql", "sqlite"])
def test_the_kind_lookup_is_correlated_to_the_referral(dialect):
    """The kind subquery selects FROM organisation only; referral comes from the enclosing query."""
    from service.core.permissions import Role, permissions_for
    from service.core.principal import Principal

    principal = Principal(kind="user", id=uuid.uuid4(), organisation_id=uuid.uuid4(), role=Role.coordinator,
                          name="c", permissions=permissions_for(Role.coordinator))
    sql = str(select(Referral.id).where(readable(principal)).compile(dialect=dialect))
    # every subquery's FROM list names organisation alone, never "organisation, referral"
    assert "FROM organisation, referral" not in sql and "FROM referral, organisation" not in sql
    assert sql.count("FROM referral") == 1, sql


# --- the registration consent expired before the nightly job ran ------------------------------------

def test_expired_registration_closes_the_providers_view_before_any_job(world: World, gql):
    w = world
    person = w.person()  # one consent: registration + sharing with B ...
    sharing = w.client.post(f"/api/v1/persons/{person['id']}/consents", headers=w.caseworker.headers,
                            json={"purposes": ["referral_sharing"], "given_by": "self", "method": "written",
                                  "consent_text_version": "2026-1", "data_categories": ["interests"],
                                  "recipient_organisation_ids": [str(w.org_b.id)]})
    assert sharing.status_code == 201, sharing.text  # ... and a second, sharing-only one that outlives it
    rid = w.refer(person)["id"]
    w.drive(rid, "accepted")
    assert w.client.put(f"/api/v1/referrals/{rid}/contact-agreement", json=AGREEMENT,
                        headers=w.coordinator.headers).status_code == 201
    registration = w.db.scalar(select(Consent.id).where(Consent.person_id == uuid.UUID(person["id"]),
                                                        Consent.id != uuid.UUID(sharing.json()["id"])))
    w.db.execute(update(Consent).where(Consent.id == registration).values(expires_at=utcnow() - timedelta(seconds=1)))
    w.db.commit()
    # no expiry job has run: the referral is still `accepted`, the sharing consent still live
    assert w.db.scalar(select(Referral.status).where(Referral.id == uuid.UUID(rid))) == "accepted"
    assert _provider_reads(w, w.coordinator, rid) == {"get": 404, "agreement": 404, "contacts": 404}
    assert _inbox(w, w.coordinator) == set()
    assert w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers).json()["items"] == []
    assert w.client.post(f"/api/v1/referrals/{rid}/contacts", json=CONTACT,
                         headers=w.coordinator.headers).status_code == 404
    assert gql(ONE, {"id": rid}, w.coordinator)["data"]["referral"] is None
    assert gql(LIST, actor=w.coordinator)["data"]["referrals"]["items"] == []
    # the referrer still sees its own referral (the closed loop), without the person's summary
    own = w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers)
    assert own.status_code == 200


def test_an_idempotent_replay_does_not_outlive_the_registration_consent(world: World):
    w = world
    person = w.person()
    rid = w.refer(person)["id"]
    key = {"Idempotency-Key": "accept-once"}
    first = w.client.post(f"/api/v1/referrals/{rid}/transitions", json={"action": "accept"},
                          headers={**w.coordinator.headers, **key})
    assert first.status_code == 200 and first.json()["person"]["given_name"] == "Karen"
    w.db.execute(update(Consent).where(Consent.person_id == uuid.UUID(person["id"]))
                 .values(expires_at=utcnow() - timedelta(seconds=1)))
    w.db.commit()
    replay = w.client.post(f"/api/v1/referrals/{rid}/transitions", json={"action": "accept"},
                           headers={**w.coordinator.headers, **key})
    assert replay.status_code == 404 and "Karen" not in replay.text
