"""Referrals follow a transferred person (case ownership moves with the case) and goals come with the referral.

After the receiving organisation accepts a transfer, the person's open referrals name it as referrer (the old
organisation gets 404, the provider sees the new callback contact, unrecorded follow-ups move along), closed
ones stay with the old organisation as history, and both sides are audited. Goals in the create body are written
with the referral, bounded, over REST and GraphQL, and a refused create writes no goal."""

import uuid
from typing import Any

from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.referrals.models import FollowUp, Referral, ReferralGoal
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401

NEW_CALLBACK = {"referrer_contact_name": "Sagsbehandler Ib Lund", "referrer_contact_phone": "+45 44 55 66 77",
                "referrer_contact_email": "ib@egebo.example"}


def _move(w: World, person: dict[str, Any], receiver: Any, to_org: Any, **body: Any) -> dict[str, Any]:
    resp = w.client.post(f"/api/v1/persons/{person['id']}/transfers", headers=w.caseworker.headers,
                         json={"to_organisation_id": str(to_org.id)})
    assert resp.status_code == 201, resp.text
    done = w.client.post(f"/api/v1/person-transfers/{resp.json()['id']}/accept", headers=receiver.headers,
                         json=body or None)
    assert done.status_code == 200, done.text
    return done.json()


def test_open_referrals_follow_the_person_closed_ones_stay(world: World, make_org, make_user, make_offer):  # noqa: F811
    w = world
    new_org = make_org(kind="municipality", name="Nabo Kommune")
    receiver = make_user("caseworker", new_org)
    person = w.person(kinds=["civil_society", "municipality"])
    open_one = w.refer(person, referrer_contact_name="Sagsbehandler Mette Holm",
                       referrer_contact_phone="+45 33 66 99 00")
    w.drive(open_one["id"], "started")
    closed = w.refer(person, offer=make_offer(w.org_b, capacity=5, title="Strikkeklub"))
    w.drive(closed["id"], "completed")

    moved = _move(w, person, receiver, new_org, **NEW_CALLBACK)
    assert moved["ended_consent_ids"] == []

    def status(rid: str, actor: Any) -> int:
        return w.client.get(f"/api/v1/referrals/{rid}", headers=actor.headers).status_code

    assert (status(open_one["id"], w.caseworker), status(open_one["id"], receiver)) == (404, 200)
    assert (status(closed["id"], w.caseworker), status(closed["id"], receiver)) == (200, 404)
    seen = w.client.get(f"/api/v1/referrals/{open_one['id']}", headers=w.coordinator.headers).json()["person"]
    assert (seen["referrer_contact_name"], seen["referrer_contact_phone"], seen["referrer_contact_email"]) == (
        NEW_CALLBACK["referrer_contact_name"], NEW_CALLBACK["referrer_contact_phone"],
        NEW_CALLBACK["referrer_contact_email"])
    # the receiver may act as the referrer now; the old organisation may not
    assert w.act(open_one["id"], "withdraw", actor=w.caseworker).status_code == 404
    w.db.expire_all()
    follow_ups = w.db.scalars(select(FollowUp).where(FollowUp.referral_id == uuid.UUID(open_one["id"]))).all()
    assert follow_ups and {f.referring_organisation_id for f in follow_ups} == {new_org.id}
    assert w.db.get_one(Referral, uuid.UUID(closed["id"])).referring_organisation_id == w.org_a.id
    orgs = set(w.db.scalars(select(AuditEvent.organisation_id).where(AuditEvent.action == "referral.transfer",
                                                                     AuditEvent.subject_id == open_one["id"])))
    assert orgs == {w.org_a.id, new_org.id}
    assert w.act(open_one["id"], "withdraw", actor=receiver).status_code == 200


def test_without_a_new_contact_the_old_callback_is_cleared(world: World, make_org, make_user):
    w = world
    new_org = make_org(kind="municipality", name="Nabo Kommune")
    person = w.person(kinds=["civil_society", "municipality"])
    referral = w.refer(person, referrer_contact_name="Sagsbehandler Mette Holm")
    _move(w, person, make_user("caseworker", new_org), new_org)
    seen = w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.coordinator.headers)
    assert seen.status_code == 200 and "Mette" not in seen.text
    assert seen.json()["person"]["referrer_contact_name"] is None


def test_goals_in_the_create_body_are_written_with_the_referral_and_bounded(world: World, gql):
    w = world
    person = w.person()
    made = w.refer(person, goals=[{"text": "Komme ud en gang om ugen", "category": "social_contact"},
                                  {"text": "Sove bedre"}])
    goals = w.client.get(f"/api/v1/referrals/{made['id']}/goals", headers=w.caseworker.headers).json()["items"]
    assert [(g["text"], g["category"]) for g in goals] == [("Komme ud en gang om ugen", "social_contact"),
                                                           ("Sove bedre", None)]
    before = (w.db.scalar(select(func.count()).select_from(Referral)),
              w.db.scalar(select(func.count()).select_from(ReferralGoal)))
    other = w.person(given_name="Bodil")
    too_many = w.refer(other, expect=422, goals=[{"text": f"Mål {i}"} for i in range(11)])
    assert too_many["errors"][0]["field"].startswith("goals")
    w.refer(other, expect=422, goals=[{"text": "x" * 501}])
    w.refer(other, expect=422, goals=[{"text": ""}])
    w.db.expire_all()
    assert (w.db.scalar(select(func.count()).select_from(Referral)),
            w.db.scalar(select(func.count()).select_from(ReferralGoal))) == before

    mutation = """mutation($input: ReferralCreateInput!) { createReferral(input: $input) { __typename
      ... on Referral { id } ... on Problem { status errors { field code } } } }"""
    third = w.person(given_name="Inger")
    answer = gql(mutation, {"input": {"personId": third["id"], "offerId": str(w.offer.id),
                                      "goals": [{"text": "Læse avis sammen", "category": "social_contact"}]}},
                 w.caseworker)
    assert answer["data"]["createReferral"]["__typename"] == "Referral", answer
    rid = answer["data"]["createReferral"]["id"]
    listed = gql("""query($r: UUID!) { referralGoals(referralId: $r) { items { text category } } }""",
                 {"r": rid}, w.caseworker)
    assert listed["data"]["referralGoals"]["items"] == [{"text": "Læse avis sammen", "category": "social_contact"}]
    refused = gql(mutation, {"input": {"personId": third["id"], "offerId": str(w.offer.id),
                                       "goals": [{"text": f"Mål {i}"} for i in range(11)]}}, w.caseworker)
    assert refused["data"]["createReferral"]["status"] == 422


def test_graphql_acceptance_sets_the_new_callback_contact(world: World, make_org, make_user, gql):
    w = world
    new_org = make_org(kind="municipality", name="Nabo Kommune")
    receiver = make_user("caseworker", new_org)
    person = w.person(kinds=["civil_society", "municipality"])
    referral = w.refer(person, referrer_contact_name="Sagsbehandler Mette Holm")
    asked = w.client.post(f"/api/v1/persons/{person['id']}/transfers", headers=w.caseworker.headers,
                          json={"to_organisation_id": str(new_org.id)}).json()
    answer = gql("""mutation($id: UUID!, $n: String, $p: String) { acceptPersonTransfer(id: $id,
      referrerContactName: $n, referrerContactPhone: $p) { __typename ... on PersonTransfer { status } } }""",
                 {"id": asked["id"], "n": "Ib Lund", "p": "+45 44 55 66 77"}, receiver)
    assert answer["data"]["acceptPersonTransfer"] == {"__typename": "PersonTransfer", "status": "accepted"}, answer
    seen = w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.coordinator.headers).json()["person"]
    assert (seen["referrer_contact_name"], seen["referrer_contact_phone"]) == ("Ib Lund", "+45 44 55 66 77")
    assert w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.caseworker.headers).status_code == 404


def test_the_person_export_names_links_and_transfers_but_no_other_persons_data(world: World, make_org, make_user,
                                                                              gql):
    w = world
    new_org = make_org(kind="municipality", name="Nabo Kommune")
    receiver = make_user("caseworker", new_org)
    person = w.person(kinds=["civil_society", "municipality"])
    twin = w.person(given_name="Tvillinge", phone="+45 99 88 77 66")
    linked = w.client.post(f"/api/v1/persons/{person['id']}/links", headers=w.caseworker.headers,
                           json={"other_person_id": twin["id"]})
    assert linked.status_code == 201, linked.text
    moved = _move(w, person, receiver, new_org)
    export = w.client.get(f"/api/v1/persons/{person['id']}/export", headers=receiver.headers)
    assert export.status_code == 200, export.text
    document = export.json()
    assert [(lk["id"], lk["kind"], lk["other_person_id"]) for lk in document["links"]] == [
        (linked.json()["id"], "duplicate", twin["id"])]
    [t] = document["transfers"]
    assert (t["id"], t["status"], t["from_organisation_name"], t["to_organisation_name"]) == (
        moved["id"], "accepted", w.org_a.name, "Nabo Kommune")
    assert t["carried_consent_ids"] == moved["carried_consent_ids"] and t["decided_at"] is not None
    assert "Tvillinge" not in export.text and "+45 99 88 77 66" not in export.text
    through_graphql = gql("query($p: UUID!) { personExport(personId: $p) }", {"p": person["id"]}, receiver)
    assert through_graphql["data"]["personExport"]["transfers"][0]["id"] == moved["id"]
