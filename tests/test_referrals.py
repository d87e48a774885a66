"""Referrals over REST: lifecycle, the one transition table, sides and roles, capacity, the consent gate and
its cascade, the consent-gated summary, idempotency, events and expiry."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from service.audit.models import AuditEvent
from service.core.types import utcnow
from service.offers.models import Offer
from service.persons.consents import expire_consents
from service.persons.cpr import decrypt
from service.persons.models import Consent, LonelinessMeasurement, Person
from service.referrals.models import Referral, ReferralTransition
from service.referrals.transitions import expire_overdue
from tests.offers_support import CONFIDENTIAL, SECRET_ADDRESS, make_offer  # noqa: F401
from tests.referrals_support import (
    EMAIL,
    FAMILY_NAME,
    NOTE,
    PHONE,
    World,
    counts,
    sharing_consent,
    world_fixture,  # noqa: F401
)

STATUSES = ["sent", "accepted", "declined", "started", "completed", "ended_early", "withdrawn", "expired"]
ACTIONS = ["accept", "decline", "start", "complete", "end_early", "withdraw"]
# Written out independently of service.referrals.workflow, so a change to the table must be deliberate.
LEGAL = {("sent", "accept"), ("sent", "decline"), ("sent", "withdraw"), ("accepted", "start"),
         ("accepted", "withdraw"), ("started", "complete"), ("started", "end_early"), ("started", "withdraw")}
PROVIDER_ACTIONS = {"accept", "decline", "start", "complete", "end_early"}


def _audit(w: World, action: str, outcome: str = "success", subject_id: object = None) -> list[AuditEvent]:
    w.db.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.outcome == outcome)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == str(subject_id))
    return list(w.db.scalars(stmt))


# --- lifecycle ---------------------------------------------------------------------------------------

def test_full_lifecycle_closes_the_loop(world: World):
    w = world
    person = w.person()
    ref = w.refer(person)
    rid = ref["id"]
    assert ref["status"] == "sent" and ref["direction"] == "sent" and ref["allowed_actions"] == ["withdraw"]
    assert ref["provider_organisation_id"] == str(w.org_b.id) and ref["history"][0]["action"] == "send"

    received = w.client.get(f"/api/v1/referrals/{rid}", headers=w.coordinator.headers).json()
    assert received["direction"] == "received" and received["allowed_actions"] == ["accept", "decline"]

    accepted = w.act(rid, "accept", note="Velkommen")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["holds_seat"] is True
    assert w.seats() == 1
    started = w.act(rid, "start").json()
    assert started["status"] == "started" and started["started_at"] is not None
    done = w.act(rid, "complete", outcome="attended_some", follow_up={"item1": 1, "item2": 2, "item3": 1})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed" and body["outcome"] == "attended_some" and body["holds_seat"] is False
    assert body["closed_at"] is not None and w.seats() == 0
    assert [h["action"] for h in body["history"]] == ["send", "accept", "start", "complete"]
    assert body["history"][1]["note"] == "Velkommen" and body["history"][1]["actor_id"] == str(w.coordinator.id)

    # the referrer sees the outcome: the loop is closed
    seen = w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers).json()
    assert seen["status"] == "completed" and seen["outcome"] == "attended_some" and seen["allowed_actions"] == []

    # the follow-up T-ILS is stored against the referral, as a follow_up measurement
    m = w.db.scalar(select(LonelinessMeasurement).where(LonelinessMeasurement.referral_id == uuid.UUID(rid)))
    assert m is not None and m.context == "follow_up" and m.total == 4
    assert w.db.get(Person, uuid.UUID(person["id"])).loneliness_latest_total == 4
    assert _audit(w, "referral.read", subject_id=rid) and len(_audit(w, "referral.transition", subject_id=rid)) == 3


@pytest.mark.parametrize("status,action", [(s, a) for s in STATUSES for a in ACTIONS if (s, a) not in LEGAL])
def test_every_illegal_transition_is_a_409_listing_the_allowed_actions(world: World, status, action):
    w = world
    rid = w.refer(w.person())["id"]
    w.drive(rid, status)
    before = counts(w.db)
    resp = w.act(rid, action)
    assert resp.status_code == 409, resp.text
    problem = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert problem["current_status"] == status
    actor_legal = {a for (s, a) in LEGAL if s == status and (a in PROVIDER_ACTIONS) == (action in PROVIDER_ACTIONS)}
    assert set(problem["allowed_actions"]) == actor_legal
    assert counts(w.db) == before
    assert _audit(w, "referral.transition", "denied", rid)[-1].reason == "illegal_transition"


def test_decline_and_end_early_record_reason_and_release_places(world: World):
    w = world
    declined = w.refer(w.person())["id"]
    resp = w.act(declined, "decline", reason_code="language_barrier", note="Kun arabisk")
    assert resp.json()["status"] == "declined" and resp.json()["reason_code"] == "language_barrier"
    assert w.seats() == 0

    ended = w.refer(w.person(given_name="Ole"))["id"]
    w.drive(ended, "started")
    assert w.seats() == 1
    resp = w.act(ended, "end_early", reason_code="transport_barrier")
    assert resp.json()["status"] == "ended_early" and resp.json()["reason_code"] == "transport_barrier"
    assert w.seats() == 0

    withdrawn = w.refer(w.person(given_name="Bo"))["id"]
    w.drive(withdrawn, "accepted")
    assert w.seats() == 1
    resp = w.act(withdrawn, "withdraw", reason_code="person_declined")
    assert resp.json()["status"] == "withdrawn" and w.seats() == 0


@pytest.mark.parametrize("body,field", [
    ({"action": "decline"}, None),  # reason required
    ({"action": "end_early"}, None),
    ({"action": "complete"}, None),  # outcome required
    ({"action": "accept", "outcome": "attended_some"}, None),
    ({"action": "decline", "reason_code": "consent_withdrawn"}, None),  # system reason
    ({"action": "expire"}, None),  # system action
    ({"action": "teleport"}, "action"),
    ({"action": "accept", "colour": "red"}, "colour"),
])
def test_bad_transition_input_is_422_and_nothing_changes(world: World, body, field):
    w = world
    rid = w.refer(w.person())["id"]
    w.drive(rid, "started") if body["action"] in ("complete", "end_early") else None
    before, seats = counts(w.db), w.seats()
    resp = w.client.post(f"/api/v1/referrals/{rid}/transitions", json=body, headers=w.coordinator.headers)
    assert resp.status_code == 422, resp.text
    if field:
        assert any(e["field"] == field for e in resp.json()["errors"])
    assert counts(w.db) == before and w.seats() == seats


def test_follow_up_needs_outcome_followup_consent(world: World):
    w = world
    rid = w.refer(w.person(purposes=["referral_sharing"]))["id"]
    w.drive(rid, "started")
    before = counts(w.db)
    resp = w.act(rid, "complete", follow_up={"item1": 3, "item2": 3, "item3": 3})
    assert resp.status_code == 422 and resp.json()["missing_consent"] == "outcome_followup"
    assert counts(w.db) == before
    assert w.client.get(f"/api/v1/referrals/{rid}", headers=w.coordinator.headers).json()["status"] == "started"
    assert w.seats() == 1  # the failed completion released nothing
    assert w.act(rid, "complete").status_code == 200  # without a measurement it is fine


# --- sides, roles, organisations ---------------------------------------------------------------------

SETUP_FOR = {"accept": "sent", "decline": "sent", "start": "accepted", "complete": "started",
             "end_early": "started", "withdraw": "sent"}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who,expected", [
    ("caseworker", "side"), ("admin_a", "side"), ("analyst_a", 403), ("coordinator", "side"),
    ("caseworker_b", "side"), ("outsider", 404), ("outsider_caseworker", 404)])
def test_who_may_do_what(world: World, action, who, expected):
    w = world
    rid = w.refer(w.person())["id"]
    w.drive(rid, SETUP_FOR[action])
    actor = getattr(w, who)
    if expected == "side":
        provider_side = who == "coordinator"
        referrer_side = who in ("caseworker", "admin_a")
        allowed = provider_side if action in PROVIDER_ACTIONS else referrer_side
        expected = 200 if allowed else 403
    before = counts(w.db)
    resp = w.act(rid, action, actor=actor)
    assert resp.status_code == expected, resp.text
    if expected != 200:
        assert counts(w.db) == before
        # An analyst holds no referral permission: the door refuses before the referral is even looked up.
        reason = "not_visible" if expected == 404 else "role_not_allowed" if who == "analyst_a" else "side_not_allowed"
        assert _audit(w, "referral.transition", "denied", rid)[-1].reason == reason


def test_reads_by_organisation_and_role(world: World):
    w = world
    rid = w.refer(w.person())["id"]
    for actor, code in ((w.caseworker, 200), (w.admin_a, 200), (w.coordinator, 200), (w.analyst_a, 403),
                        (w.caseworker_b, 403), (w.outsider, 404), (w.outsider_caseworker, 404)):
        assert w.client.get(f"/api/v1/referrals/{rid}", headers=actor.headers).status_code == code
    assert w.client.get("/api/v1/referrals", headers=w.analyst_a.headers).status_code == 403
    assert w.client.get("/api/v1/referrals", headers=w.outsider.headers).json()["items"] == []
    assert len(_audit(w, "referral.read", "denied", rid)) == 4
    assert w.client.get(f"/api/v1/referrals/{uuid.uuid4()}", headers=w.caseworker.headers).status_code == 404


def test_list_filters_and_directions(world: World, make_offer):  # noqa: F811
    w = world
    other_offer = make_offer(w.org_b, title="Gåtur", category="walk_and_talk")
    p1, p2 = w.person(), w.person(given_name="Ib")
    r1 = w.refer(p1)["id"]
    r2 = w.refer(p2, offer=other_offer)["id"]
    w.drive(r2, "accepted")

    def ids(actor, **params):
        resp = w.client.get("/api/v1/referrals", params=params, headers=actor.headers)
        assert resp.status_code == 200, resp.text
        return {i["id"] for i in resp.json()["items"]}

    assert ids(w.caseworker) == {r1, r2} == ids(w.caseworker, direction="sent")
    assert ids(w.caseworker, direction="received") == set()
    assert ids(w.coordinator, direction="received") == {r1, r2} and ids(w.coordinator, direction="sent") == set()
    assert ids(w.coordinator, status="accepted") == {r2}
    assert ids(w.caseworker, offer_id=str(w.offer.id)) == {r1}
    assert ids(w.caseworker, person_id=p2["id"]) == {r2}
    page = w.client.get("/api/v1/referrals", params={"limit": 1}, headers=w.caseworker.headers).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = w.client.get("/api/v1/referrals", params={"limit": 1, "cursor": page["next_cursor"]},
                        headers=w.caseworker.headers).json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {r1, r2}
    assert w.client.get("/api/v1/referrals", params={"direction": "sideways"},
                        headers=w.caseworker.headers).status_code == 422
    listed = _audit(w, "referral.list")
    assert listed and set(listed[-1].criterion["ids"]) <= {r1, r2}


# --- the consent gate --------------------------------------------------------------------------------

def test_create_needs_sharing_consent_naming_the_provider(world: World):
    w = world
    before = counts(w.db)
    no_sharing = w.person(purposes=["contact"])
    problem = w.refer(no_sharing, expect=422)
    assert problem["missing_consent"] == "referral_sharing" and problem["errors"][0]["code"] == "consent_missing"
    wrong_recipient = w.person(given_name="Per", recipients=[str(w.org_c.id)])
    assert w.refer(wrong_recipient, expect=422)["missing_consent"] == "referral_sharing"
    wrong_kind = w.person(given_name="Pia", recipients=[], kinds=["municipality"])
    assert w.refer(wrong_kind, expect=422)["missing_consent"] == "referral_sharing"
    assert counts(w.db) == before
    by_kind = w.person(given_name="Kim", recipients=[], kinds=["civil_society"])
    assert w.refer(by_kind)["status"] == "sent"


def test_expired_sharing_consent_blocks_creation(world: World):
    w = world
    person = w.person(purposes=[])
    resp = w.client.post(f"/api/v1/persons/{person['id']}/consents",
                         json=sharing_consent(recipients=[str(w.org_b.id)]), headers=w.caseworker.headers)
    assert resp.status_code == 201, resp.text
    w.db.execute(update(Consent).where(Consent.id == uuid.UUID(resp.json()["id"]))
                 .values(expires_at=utcnow() - timedelta(minutes=1)))
    w.db.commit()
    assert w.refer(person, expect=422)["missing_consent"] == "referral_sharing"


def test_create_refusals_write_nothing(world: World, make_offer, make_user):  # noqa: F811
    w = world
    person = w.person()
    draft = make_offer(w.org_b, status="draft")
    before = counts(w.db)
    assert w.refer(person, offer=draft, expect=422)["errors"][0]["code"] == "offer_not_published"
    assert w.refer(person, offer_id=str(uuid.uuid4()), expect=422)["errors"][0]["field"] == "offer_id"
    assert w.refer(person, actor=w.coordinator, expect=403)
    assert w.refer(person, actor=w.outsider_caseworker, expect=404)  # not their person
    assert w.refer(person, shared_categories=["favourite_colour"], expect=422)
    assert w.refer(person, surprise=True, expect=422)["errors"][0]["field"] == "surprise"
    assert w.refer(person, message="x" * 2001, expect=422)
    narrow = w.person(given_name="Nina", categories=["interests"])
    problem = w.refer(narrow, shared_categories=["interests", "contact_details"], expect=422)
    assert [e["field"] for e in problem["errors"]] == ["shared_categories"]
    resp = w.client.post("/api/v1/referrals", content=b"{not json", headers={
        **w.caseworker.headers, "content-type": "application/json"})
    assert resp.status_code == 400
    assert counts(w.db) == before
    first = w.refer(person)
    assert w.refer(person, expect=409)["existing_referral_id"] == first["id"]  # one open referral per offer
    assert _audit(w, "referral.create", "denied")


def test_erased_or_unregistered_person_cannot_be_referred(world: World):
    w = world
    person = w.person()
    consents = w.client.get(f"/api/v1/persons/{person['id']}/consents", headers=w.caseworker.headers).json()
    consent_id = consents["items"][0]["id"]
    w.client.post(f"/api/v1/persons/{person['id']}/consents/{consent_id}/withdraw", json={},
                  headers=w.caseworker.headers)
    problem = w.refer(person, expect=422)
    assert problem["missing_consent"] == "registration"


# --- withdrawal cascade ------------------------------------------------------------------------------

def _withdraw_consent(w: World, person: dict, purpose: str) -> None:
    consents = w.client.get(f"/api/v1/persons/{person['id']}/consents", headers=w.caseworker.headers).json()["items"]
    target = next(c for c in consents if purpose in c["purposes"] and c["status"] == "active")
    resp = w.client.post(f"/api/v1/persons/{person['id']}/consents/{target['id']}/withdraw", json={},
                         headers=w.caseworker.headers)
    assert resp.status_code == 200, resp.text


def test_withdrawing_sharing_consent_withdraws_open_referrals_and_cuts_access(world: World, make_offer):  # noqa: F811
    w = world
    person = w.person(purposes=[])
    resp = w.client.post(f"/api/v1/persons/{person['id']}/consents",
                         json=sharing_consent(recipients=[str(w.org_b.id)]), headers=w.caseworker.headers)
    assert resp.status_code == 201
    second_offer = make_offer(w.org_b, title="Strikkeklub", capacity=2)
    accepted = w.refer(person)["id"]
    w.drive(accepted, "accepted")
    sent = w.refer(person, offer=second_offer)["id"]
    done = w.refer(person, offer=make_offer(w.org_b, title="Kaffe"))["id"]
    w.drive(done, "completed")
    assert w.seats() == 1
    assert w.client.get(f"/api/v1/referrals/{sent}", headers=w.coordinator.headers).status_code == 200

    _withdraw_consent(w, person, "referral_sharing")

    for rid in (accepted, sent):
        seen = w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers).json()
        assert seen["status"] == "withdrawn" and seen["reason_code"] == "consent_withdrawn"
        assert seen["history"][-1]["actor_id"] == str(w.caseworker.id)
        # the provider loses access at once
        assert w.client.get(f"/api/v1/referrals/{rid}", headers=w.coordinator.headers).status_code == 404
        assert w.act(rid, "start").status_code == 404
    assert w.client.get(f"/api/v1/referrals/{done}", headers=w.caseworker.headers).json()["status"] == "completed"
    assert w.client.get(f"/api/v1/referrals/{done}", headers=w.coordinator.headers).status_code == 404
    assert w.client.get("/api/v1/referrals", headers=w.coordinator.headers).json()["items"] == []
    assert w.seats() == 0 and w.seats(second_offer) == 0
    # the provider still learns from the event feed that they were withdrawn (ids and statuses only)
    events = w.client.get("/api/v1/events", headers=w.coordinator.headers).json()["items"]
    assert {(e["referral_id"], e["reason_code"]) for e in events if e["action"] == "withdraw"} == {
        (accepted, "consent_withdrawn"), (sent, "consent_withdrawn")}


def test_consent_expiry_and_erasure_cascade(world: World):
    w = world
    expiring = w.person(purposes=[])
    resp = w.client.post(f"/api/v1/persons/{expiring['id']}/consents",
                         json=sharing_consent(recipients=[str(w.org_b.id)]), headers=w.caseworker.headers)
    r1 = w.refer(expiring)["id"]
    w.drive(r1, "started")
    w.db.execute(update(Consent).where(Consent.id == uuid.UUID(resp.json()["id"]))
                 .values(expires_at=utcnow() - timedelta(seconds=1)))
    w.db.commit()
    # access is cut by the expiry itself, before any housekeeping ran
    assert w.client.get(f"/api/v1/referrals/{r1}", headers=w.coordinator.headers).status_code == 404
    assert expire_consents(w.db) == 1
    w.db.commit()
    r = w.db.get(Referral, uuid.UUID(r1))
    w.db.refresh(r)
    assert r.status == "withdrawn" and r.reason_code == "consent_withdrawn" and not r.holds_seat
    assert w.db.scalar(select(ReferralTransition.actor_id).where(ReferralTransition.referral_id == r.id,
                                                                 ReferralTransition.action == "withdraw")) is None
    assert w.seats() == 0

    erased = w.person(given_name="Eva")
    r2 = w.refer(erased, message="Eva er meget ensom")["id"]
    w.drive(r2, "accepted")
    _withdraw_consent(w, erased, "registration")  # the one consent: erasure
    seen = w.client.get(f"/api/v1/referrals/{r2}", headers=w.caseworker.headers).json()
    assert seen["status"] == "withdrawn" and seen["reason_code"] == "consent_withdrawn"
    assert seen["message"] is None and seen["person"] is None  # the free text went with the person
    assert w.seats() == 0


# --- the summary never shows more than the consent allows ---------------------------------------------

def test_provider_summary_is_minimal(world: World):
    w = world
    person = w.person()
    rid = w.refer(person)["id"]
    resp = w.client.get(f"/api/v1/referrals/{rid}", headers=w.coordinator.headers)
    text = resp.text
    summary = resp.json()["person"]
    assert summary["given_name"] == "Karen" and summary["age_group"] == "30-49"
    assert summary["municipality_code"] == "0101"
    assert summary["phone"] == PHONE and summary["email"] == EMAIL
    assert summary["interests"] == ["strik", "havearbejde"] and summary["accessibility_needs"] == ["wheelchair_access"]
    assert summary["risk_settings"] == ["nursing_home"]
    stored = w.db.get(Person, uuid.UUID(person["id"]))
    digits = decrypt(stored.cpr_encrypted)
    for secret in (FAMILY_NAME, NOTE, digits, f"{digits[:6]}-{digits[6:]}", "1990-01-01", "birth_date", "family_name",
                   "notes", "cpr"):
        assert secret not in text
    listed = w.client.get("/api/v1/referrals", headers=w.coordinator.headers).text
    for secret in (FAMILY_NAME, NOTE, digits, "birth_date"):
        assert secret not in listed


def test_summary_is_the_referrers_choice_intersected_with_the_live_consent(world: World):
    w = world
    chosen = w.refer(w.person(), shared_categories=["interests"])
    s = w.client.get(f"/api/v1/referrals/{chosen['id']}", headers=w.coordinator.headers).json()["person"]
    assert s["shared_categories"] == ["interests"] and s["interests"] == ["strik", "havearbejde"]
    assert s["phone"] is None and s["email"] is None and s["risk_settings"] is None
    assert s["accessibility_needs"] is None and s["loneliness_latest_total"] is None

    narrow = w.refer(w.person(given_name="Nils", categories=["risk_settings"]), shared_categories=["risk_settings"])
    s = w.client.get(f"/api/v1/referrals/{narrow['id']}", headers=w.coordinator.headers).json()["person"]
    assert s["shared_categories"] == ["risk_settings"] and s["interests"] is None


def test_contact_details_only_with_contact_consent(world: World):
    w = world
    person = w.person(purposes=["referral_sharing"])  # sharing allows contact_details, but no `contact` purpose
    rid = w.refer(person)["id"]

    def summary():
        return w.client.get(f"/api/v1/referrals/{rid}", headers=w.coordinator.headers).json()["person"]

    assert summary()["phone"] is None and summary()["email"] is None
    assert "contact_details" not in summary()["shared_categories"]
    resp = w.client.post(f"/api/v1/persons/{person['id']}/consents",
                         json={"purposes": ["contact"], "given_by": "self", "method": "verbal",
                               "consent_text_version": "2026-1"}, headers=w.caseworker.headers)
    assert resp.status_code == 201
    assert summary()["phone"] == PHONE and summary()["email"] == EMAIL
    _withdraw_consent(w, person, "contact")
    assert summary()["phone"] is None
    assert w.client.get(f"/api/v1/referrals/{rid}", headers=w.coordinator.headers).status_code == 200


def test_declined_referral_no_longer_shows_the_person_to_the_provider(world: World):
    w = world
    rid = w.refer(w.person())["id"]
    w.drive(rid, "declined")
    seen = w.client.get(f"/api/v1/referrals/{rid}", headers=w.coordinator.headers).json()
    assert seen["status"] == "declined" and seen["person"] is None
    assert w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers).json()["person"] is not None


# --- capacity ----------------------------------------------------------------------------------------

def test_a_sixth_acceptance_is_refused_and_places_come_back(world: World):
    w = world
    rids = [w.refer(w.person(given_name=f"Navn{i}"))["id"] for i in range(6)]
    for rid in rids[:5]:
        assert w.act(rid, "accept").status_code == 200
    assert w.seats() == 5
    before = counts(w.db)
    resp = w.act(rids[5], "accept")
    assert resp.status_code == 409
    problem = resp.json()
    assert problem["code"] == "no_capacity" and problem["current_status"] == "sent"
    assert problem["type"].endswith("/no-capacity")
    assert counts(w.db) == before and w.seats() == 5
    assert w.client.get(f"/api/v1/referrals/{rids[5]}", headers=w.coordinator.headers).json()["status"] == "sent"
    assert _audit(w, "referral.transition", "denied", rids[5])[-1].reason == "no_capacity"
    assert w.act(rids[0], "withdraw").status_code == 200 and w.seats() == 4
    assert w.act(rids[5], "accept").status_code == 200 and w.seats() == 5


def test_the_check_constraint_refuses_overbooking_even_without_the_where_clause(world: World):
    w = world
    w.db.execute(update(Offer).where(Offer.id == w.offer.id).values(seats_taken=5))
    w.db.commit()
    with pytest.raises(IntegrityError), w.db.begin_nested():
        w.db.execute(update(Offer).where(Offer.id == w.offer.id).values(seats_taken=Offer.seats_taken + 1))
    assert w.seats() == 5


def test_unlimited_offer_takes_any_number(world: World, make_offer):  # noqa: F811
    w = world
    unlimited = make_offer(w.org_b, title="Åben café", capacity=None)
    for i in range(7):
        rid = w.refer(w.person(given_name=f"U{i}"), offer=unlimited)["id"]
        assert w.act(rid, "accept").status_code == 200
    assert w.seats(unlimited) == 7


def test_accepted_referral_grants_the_confidential_location(world: World, make_offer):  # noqa: F811
    w = world
    shelter = make_offer(w.org_b, **{k: v for k, v in CONFIDENTIAL.items() if k != "status"})
    rid = w.refer(w.person(), offer=shelter)["id"]

    def address():
        return w.client.get(f"/api/v1/offers/{shelter.id}", headers=w.caseworker.headers).json()["address"]

    assert address() is None
    w.drive(rid, "accepted")
    assert address() == SECRET_ADDRESS
    w.act(rid, "start")
    w.act(rid, "complete", outcome="did_not_attend")
    assert address() is None


# --- idempotency -------------------------------------------------------------------------------------

def test_idempotent_create(world: World):
    w = world
    person = w.person()
    body = {"person_id": person["id"], "offer_id": str(w.offer.id), "shared_categories": ["interests"]}
    headers = {**w.caseworker.headers, "Idempotency-Key": "create-1"}
    first = w.client.post("/api/v1/referrals", json=body, headers=headers)
    again = w.client.post("/api/v1/referrals", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert counts(w.db)["referral"] == 1
    other = w.client.post("/api/v1/referrals", json={**body, "message": "anden"}, headers=headers)
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert counts(w.db)["referral"] == 1
    # the key belongs to the caller: another user's identical key is a new request (here: a duplicate → 409)
    assert w.client.post("/api/v1/referrals", json=body, headers={**w.admin_a.headers,
                                                                  "Idempotency-Key": "create-1"}).status_code == 409


def test_idempotent_transition(world: World):
    w = world
    rid = w.refer(w.person())["id"]
    headers = {**w.coordinator.headers, "Idempotency-Key": "accept-1"}
    url = f"/api/v1/referrals/{rid}/transitions"
    first = w.client.post(url, json={"action": "accept"}, headers=headers)
    again = w.client.post(url, json={"action": "accept"}, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert w.seats() == 1
    assert len(w.db.scalars(select(ReferralTransition).where(ReferralTransition.referral_id == uuid.UUID(rid),
                                                             ReferralTransition.action == "accept")).all()) == 1
    changed = w.client.post(url, json={"action": "decline", "reason_code": "other"}, headers=headers)
    assert changed.status_code == 422
    # without a key a repeat is a real second attempt: illegal now
    assert w.client.post(url, json={"action": "accept"}, headers=w.coordinator.headers).status_code == 409
    # a refused request leaves no record, so the same key can be retried after fixing the cause
    rid2 = w.refer(w.person(given_name="Jo"))["id"]
    url2 = f"/api/v1/referrals/{rid2}/transitions"
    retry = {**w.coordinator.headers, "Idempotency-Key": "start-too-early"}
    assert w.client.post(url2, json={"action": "start"}, headers=retry).status_code == 409
    assert w.act(rid2, "accept").status_code == 200
    assert w.client.post(url2, json={"action": "start"}, headers=retry).status_code == 200


# --- events ------------------------------------------------------------------------------------------

def test_event_feed_visibility_order_and_cursor(world: World, make_offer):  # noqa: F811
    w = world
    foreign_offer = make_offer(w.org_c, title="Andres tilbud")
    rid = w.refer(w.person())["id"]
    w.drive(rid, "started")
    other = w.refer(w.person(given_name="Lis", recipients=[str(w.org_c.id)]), offer=foreign_offer)["id"]

    def feed(actor, **params):
        resp = w.client.get("/api/v1/events", params=params, headers=actor.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()

    mine = feed(w.caseworker)
    assert [(e["referral_id"], e["action"]) for e in mine["items"]] == [
        (rid, "send"), (rid, "accept"), (rid, "start"), (other, "send")]
    assert [e["id"] for e in mine["items"]] == sorted(e["id"] for e in mine["items"])
    provider = feed(w.coordinator)
    assert {e["referral_id"] for e in provider["items"]} == {rid}
    assert {e["referral_id"] for e in feed(w.outsider)["items"]} == {other}
    assert feed(w.outsider_caseworker)["items"] == []
    assert set(provider["items"][0]) == {"id", "cursor", "referral_id", "action", "from_status", "to_status",
                                         "reason_code", "referring_organisation_id", "provider_organisation_id",
                                         "actor_organisation_id", "occurred_at"}
    # poll from the cursor: nothing new, then exactly the new event
    cursor = provider["next_cursor"]
    assert feed(w.coordinator, after=cursor) == {"items": [], "next_cursor": cursor, "has_more": False}
    w.act(rid, "end_early", reason_code="digital_barrier", note="Kan ikke bruge telefonen")
    new = feed(w.coordinator, after=cursor)
    assert [(e["action"], e["reason_code"]) for e in new["items"]] == [("end_early", "digital_barrier")]
    assert "Kan ikke" not in w.client.get("/api/v1/events", headers=w.coordinator.headers).text
    paged = feed(w.caseworker, limit=2)
    assert len(paged["items"]) == 2 and paged["has_more"] is True
    assert feed(w.caseworker, after=paged["next_cursor"], limit=2)["items"][0]["id"] > paged["items"][-1]["id"]
    assert w.client.get("/api/v1/events", params={"after": "abc"}, headers=w.caseworker.headers).status_code == 400
    assert w.client.get("/api/v1/events", headers=w.analyst_a.headers).status_code == 403


# --- expiry ------------------------------------------------------------------------------------------

def test_sla_expiry_is_idempotent(world: World):
    w = world
    old, fresh = w.refer(w.person())["id"], w.refer(w.person(given_name="Frede"))["id"]
    accepted_old = w.refer(w.person(given_name="Alma"))["id"]
    w.drive(accepted_old, "accepted")
    w.db.execute(update(Referral).where(Referral.id.in_([uuid.UUID(old), uuid.UUID(accepted_old)]))
                 .values(sent_at=utcnow() - timedelta(days=15)))
    w.db.execute(update(Referral).where(Referral.id == uuid.UUID(fresh))
                 .values(sent_at=utcnow() - timedelta(days=13)))
    w.db.commit()
    assert expire_overdue(w.db) == 1
    assert expire_overdue(w.db) == 0
    w.db.commit()
    seen = w.client.get(f"/api/v1/referrals/{old}", headers=w.caseworker.headers).json()
    assert seen["status"] == "expired" and seen["reason_code"] == "sla_expired"
    assert seen["history"][-1]["actor_id"] is None
    for rid, status in ((fresh, "sent"), (accepted_old, "accepted")):
        assert w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers).json()["status"] == status


def test_expire_command_uses_the_sla_setting(committed, monkeypatch):
    from typer.testing import CliRunner

    from service.cli import app
    from service.core.settings import get_settings
    from tests.referrals_support import arrange_committed

    _, _, ids = arrange_committed(committed, 2, 5)
    committed.execute(update(Referral).where(Referral.id == ids[0]).values(sent_at=utcnow() - timedelta(days=4)))
    committed.execute(update(Referral).where(Referral.id == ids[1]).values(sent_at=utcnow() - timedelta(days=2)))
    committed.commit()
    monkeypatch.setenv("TVAERS_REFERRAL_SLA_DAYS", "3")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(app, ["referrals", "expire"])
        assert first.exit_code == 0, first.output
        assert "expired 1 referral(s) older than 3 days" in first.output
        assert "expired 0" in runner.invoke(app, ["referrals", "expire"]).output
    finally:
        get_settings.cache_clear()
    committed.expire_all()
    assert [committed.get(Referral, i).status for i in ids] == ["expired", "sent"]
    assert committed.get(Referral, ids[0]).reason_code == "sla_expired"


def test_a_paused_offer_takes_no_new_participants(world: World):
    w = world
    rid = w.refer(w.person())["id"]
    w.offer.status = "paused"
    w.db.add(w.offer)
    w.db.commit()
    resp = w.act(rid, "accept")
    assert resp.status_code == 409 and resp.json()["code"] == "offer_not_published"
    assert w.seats() == 0
    w.offer.status = "published"
    w.db.add(w.offer)
    w.db.commit()
    assert w.act(rid, "accept").status_code == 200 and w.seats() == 1
