"""The whole journey of issue #15 as people live it, through the public HTTP API (REST and GraphQL):

an NGO fills the directory from its Danish spreadsheet; a care-home caseworker registers a resident with
consent (and is warned of a second spelling of the same person); finds the offer with a folded query near the
care home; refers her with a goal (in the same request) and a named contact to call back; the NGO accepts,
names a volunteer and starts; the volunteer keeps the phone-friend rhythm of the Red Cross guide (an unanswered
call, a call with the five elements and a parked topic, a later call that takes it up); the caseworker follows
the contact by its counts only; Åse moves to another care home, which accepts the transfer and takes over the
open referral (the NGO now calls its caseworker back); the 3-month follow-up is recorded by phone; the
agreement ends well and the referral is completed with the goal assessed. Fictitious people only."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from service.core.types import utcnow
from service.persons.models import Person
from service.referrals.models import FollowUp
from service.referrals.rhythm import LOCAL
from tests.persons_helpers import consent_body, person_body

HEADER = "Eget ID;Titel;Beskrivelse;Kategori;Form;Kommunekoder;Adresse;Postnummer;By;Breddegrad;Længdegrad;" \
         "Pladser;Ugedage;Starttid;Sluttid;Frekvens;Målgruppe;Tilmelding;Status"
ROWS = [
    "laes-1;Læsevenner i Ølstykke;En frivillig læser højt og ringer til dig hver uge.;Besøgsven;Fremmøde;240;"
    "Æblevej 2;3650;Ølstykke;55,7957;12,1585;4;ons;10.00;11.00;ugentlig;Ældre, der bor alene;Ring til Grethe;"
    "Offentliggjort",
    "strik-2;Strikkecafé i Aarhus;Vi strikker og drikker kaffe.;Aktivitetsgruppe;Fremmøde;751;Åboulevarden 1;"
    "8000;Aarhus;56,1567;10,2108;12;man;10.00;12.00;ugentlig;;;Offentliggjort",
]
CARE_HOME = "55.80,12.17"  # a care home a few kilometres from Ølstykke
CALLBACK = {"referrer_contact_name": "Sagsbehandler Mette Holm", "referrer_contact_phone": "+45 33 66 99 00"}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _gql(gql: Any, actor: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = gql(query, variables, actor)
    assert "errors" not in answer, answer
    return answer["data"]


def test_from_the_spreadsheet_to_the_completed_referral(client, db, gql, make_org, make_user):
    ngo = make_org(kind="civil_society", name="Læsevennerne Egedal", municipality_code="0240")
    care_home = make_org(kind="care_home", name="Plejehjemmet Solgården", municipality_code="0240")
    coordinator, volunteer = make_user("coordinator", ngo), make_user("coordinator", ngo)
    caseworker = make_user("caseworker", care_home)

    # 1. The NGO saves its spreadsheet from Excel (`;`, Windows-1252, Danish headers) and uploads it.
    csv = ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("cp1252")
    imported = _ok(client.post("/api/v1/offers/import", content=csv,
                               headers={**coordinator.headers, "content-type": "text/csv"}), 201)
    assert (imported["created"], imported["updated"]) == (2, 0)

    # 2. The caseworker registers a resident, with her written consent to be referred and followed up (by the
    # NGO, and by any care home she may move to).
    consent = consent_body(purposes=["registration", "referral_sharing", "contact", "outcome_followup"],
                           data_categories=["contact_details", "interests"],
                           recipient_organisation_ids=[str(ngo.id)], recipient_organisation_kinds=["care_home"])
    resident = {"given_name": "Åse", "family_name": "Sørensen", "birth_date": "1941-05-03",
                "municipality_code": "0240", "phone": "+45 12 34 56 78", "preferred_language": "da",
                "interests": ["bøger"], "consent": consent}
    ase = _ok(client.post("/api/v1/persons", json=person_body(**resident), headers=caseworker.headers), 201)
    # A colleague on the night shift types her name the way the keyboard allows: the API warns, it does not
    # silently create a second Åse. It is the same woman, so the caseworker uses the one already registered.
    typed = {**resident, "given_name": "Aase", "family_name": "Soerensen"}
    warned = client.post("/api/v1/persons", json=person_body(**typed), headers=caseworker.headers)
    assert warned.status_code == 409 and warned.json()["candidate_ids"] == [ase["id"]]
    assert "Soerensen" not in warned.text and "Sørensen" not in warned.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Person).where(Person.organisation_id == care_home.id)) == 1

    # 3. She likes books: the caseworker searches without Danish letters, near the care home.
    found = _ok(client.get(f"/api/v1/offers?q=laese&near={CARE_HOME}&within_km=15",
                           headers=caseworker.headers))["items"]
    assert [o["title"] for o in found] == ["Læsevenner i Ølstykke"]
    assert found[0]["provider_name"] == "Læsevennerne Egedal"
    assert _ok(client.get(f"/api/v1/offers?q=strik&near={CARE_HOME}&within_km=15"))["items"] == []  # Aarhus
    offer = found[0]

    # 4. She is referred, with a goal agreed with her (in the same request) and the caseworker to call back.
    referral = _ok(client.post("/api/v1/referrals", headers=caseworker.headers, json={
        "person_id": ase["id"], "offer_id": offer["id"], "message": "Åse vil gerne have læst højt",
        "shared_categories": ["contact_details", "interests"], **CALLBACK,
        "goals": [{"text": "Tale om bøger med nogen hver uge", "category": "social_contact"}]}), 201)
    rid = referral["id"]
    [goal] = _ok(client.get(f"/api/v1/referrals/{rid}/goals", headers=caseworker.headers))["items"]
    assert (goal["category"], goal["reached"]) == ("social_contact", None)

    # 5. The NGO sees who she is (within the consent) and whom to call back; accepts, starts, names a volunteer.
    seen = _ok(client.get(f"/api/v1/referrals/{rid}", headers=coordinator.headers))["person"]
    assert (seen["preferred_language"], seen["referrer_contact_name"]) == ("da", CALLBACK["referrer_contact_name"])
    for action in ("accept", "start"):
        _ok(client.post(f"/api/v1/referrals/{rid}/transitions", json={"action": action}, headers=coordinator.headers))
    now = utcnow()
    _ok(client.put(f"/api/v1/referrals/{rid}/contact-agreement", headers=coordinator.headers, json={
        "channel": "phone", "cadence": "weekly", "weekday": 2, "time_of_day": "10:00",
        "volunteer_user_id": str(volunteer.user.id)}), 201)

    # 6. The introduction call agrees what to talk about next time, and when.
    contacts = f"/api/v1/referrals/{rid}/contacts"
    first_due = now + timedelta(minutes=2) if (now + timedelta(minutes=2)).astimezone(LOCAL).date() == \
        now.astimezone(LOCAL).date() else now - timedelta(minutes=2)  # stay on today's Copenhagen date
    _ok(client.post(contacts, headers=volunteer.headers, json={
        "contacted_at": _iso(now - timedelta(days=6)), "duration_minutes": 25, "channel": "phone",
        "elements": ["tryghed"], "next_contact_at": _iso(first_due),
        "next_contact_agenda": "Hvilken bog skal vi begynde på?"}), 201)

    # 7. The volunteer's list for today, through GraphQL: hers, with the agenda; the coordinator's "mine" is empty.
    due_today = """query { contactsDue(window: today, mine: true) { items { referralId nextContactAgenda
        person { givenName } } } }"""
    mine = _gql(gql, volunteer, due_today, {})["contactsDue"]["items"]
    assert mine == [{"referralId": rid, "nextContactAgenda": "Hvilken bog skal vi begynde på?",
                     "person": {"givenName": "Åse"}}]
    assert _gql(gql, coordinator, due_today, {})["contactsDue"]["items"] == []
    rest_mine = _ok(client.get("/api/v1/contacts/due", params={"window": "today", "mine": "true"},
                               headers=volunteer.headers))["items"]
    assert [i["referral_id"] for i in rest_mine] == [rid]

    # 8. Åse does not answer: an attempt, not a call. The agenda stays; the next try moves by the retry rule.
    attempt_at = now - timedelta(minutes=5)
    attempt = _ok(client.post(contacts, headers=volunteer.headers, json={
        "contacted_at": _iso(attempt_at), "duration_minutes": 0, "channel": "phone", "outcome": "no_answer"}), 201)
    assert attempt["outcome"] == "no_answer"
    agreement = _ok(client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=volunteer.headers))
    assert agreement["next_contact_agenda"] == "Hvilken bog skal vi begynde på?"
    assert agreement["missed_in_a_row"] == 1
    assert datetime.fromisoformat(agreement["next_contact_at"]) > attempt_at

    # 9. She answers the next time: a call with two of the five elements; her hip is parked for next time.
    _ok(client.post(contacts, headers=volunteer.headers, json={
        "contacted_at": _iso(now - timedelta(minutes=4)), "duration_minutes": 30, "channel": "phone",
        "elements": ["tryghed", "faellesskab"], "parked_topics": ["hoften"],
        "next_contact_agenda": "Kapitel 2"}), 201)
    topic = _ok(client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=volunteer.headers))["topics"][0]
    assert (topic["text"], topic["state"]) == ("hoften", "open")
    assert _ok(client.get(f"/api/v1/referrals/{rid}/contact-agreement",
                          headers=volunteer.headers))["missed_in_a_row"] == 0

    # 10. A later call comes back to the hip, as the guide says: "remember to come back to it next time".
    later = _ok(client.post(contacts, headers=volunteer.headers, json={
        "contacted_at": _iso(now - timedelta(minutes=3)), "duration_minutes": 20, "channel": "phone",
        "elements": ["haab"], "taken_up_topic_ids": [topic["id"]]}), 201)
    topics = _ok(client.get(f"/api/v1/referrals/{rid}/parked-topics", headers=volunteer.headers))["items"]
    assert [(t["text"], t["state"], t["taken_up_in_entry_id"]) for t in topics] == [
        ("hoften", "taken_up", later["id"])]

    # 11. The caseworker follows the contact through GraphQL: how often and when, never what was said.
    summary = _gql(gql, caseworker, """query($r: UUID!) { contactSummary(referralId: $r) { calls attempts
        missedInARow openParkedTopics agreementClosed } }""", {"r": rid})["contactSummary"]
    assert summary == {"calls": 3, "attempts": 1, "missedInARow": 0, "openParkedTopics": 1,
                       "agreementClosed": False}
    rest_summary = client.get(f"/api/v1/referrals/{rid}/contact-summary", headers=caseworker.headers)
    assert rest_summary.status_code == 200 and "hoften" not in rest_summary.text and "Kapitel" not in rest_summary.text

    # 11b. Åse moves to a care home nearer her daughter. The new home accepts the transfer, with its own
    # caseworker to call back; the open referral moves with her, and the old home no longer sees it.
    new_home = make_org(kind="care_home", name="Plejecentret Egebo", municipality_code="0240")
    old_caseworker, caseworker = caseworker, make_user("caseworker", new_home)
    moving = _ok(client.post(f"/api/v1/persons/{ase['id']}/transfers", headers=old_caseworker.headers,
                             json={"to_organisation_id": str(new_home.id)}), 201)
    new_callback = {"referrer_contact_name": "Sagsbehandler Ib Lund", "referrer_contact_phone": "+45 44 55 66 77"}
    accepted = _ok(client.post(f"/api/v1/person-transfers/{moving['id']}/accept", headers=caseworker.headers,
                               json=new_callback))
    assert accepted["status"] == "accepted" and accepted["ended_consent_ids"] == []
    assert client.get(f"/api/v1/referrals/{rid}", headers=old_caseworker.headers).status_code == 404
    assert _ok(client.get(f"/api/v1/referrals/{rid}", headers=caseworker.headers))["referring_organisation_id"] \
        == str(new_home.id)
    seen = _ok(client.get(f"/api/v1/referrals/{rid}", headers=coordinator.headers))["person"]
    assert (seen["referrer_contact_name"], seen["referrer_contact_phone"]) == (
        "Sagsbehandler Ib Lund", "+45 44 55 66 77")

    # 12. Three months on (the clock is moved in the database), the follow-up is due on the caseworker's list;
    # the volunteer reads the three T-ILS questions aloud on the phone.
    db.execute(update(FollowUp).where(FollowUp.referral_id == uuid.UUID(rid), FollowUp.months == 3)
               .values(due_at=utcnow() - timedelta(hours=1)))
    db.commit()
    follow_ups = _ok(client.get("/api/v1/follow-ups/due", headers=caseworker.headers))["items"]
    assert [(f["referral_id"], f["months"]) for f in follow_ups] == [(rid, 3)]
    recorded = _ok(client.post(f"/api/v1/referrals/{rid}/follow-up-measurements", headers=volunteer.headers, json={
        "follow_up_id": follow_ups[0]["id"], "item1": 2, "item2": 1, "item3": 2, "form": "phone_short"}), 201)
    assert recorded["tils_total"] is None  # the provider records the answers but does not see the score
    points = {p["months"]: p for p in _ok(client.get(f"/api/v1/referrals/{rid}/follow-ups",
                                                     headers=caseworker.headers))["items"]}
    assert points[3]["tils_total"] == 5 and points[6]["measurement_id"] is None
    assert _ok(client.get("/api/v1/follow-ups/due", headers=caseworker.headers))["items"] == []

    # 13. Rounding off and pointing forward: a planned ending with the next step.
    closed = _ok(client.post(f"/api/v1/referrals/{rid}/contact-agreement/close", headers=coordinator.headers,
                             json={"ending": "planned_ending", "next_step": "Læseklubben på biblioteket"}))
    assert closed["ending"] == "planned_ending" and closed["next_contact_at"] is None
    assert _gql(gql, volunteer, due_today, {})["contactsDue"]["items"] == []

    # 14. The referral is completed and the goal assessed; the caseworker sees it was reached.
    _ok(client.post(f"/api/v1/referrals/{rid}/transitions", headers=coordinator.headers,
                    json={"action": "complete", "outcome": "attended_regularly"}))
    _ok(client.post(f"/api/v1/referrals/{rid}/goals/assessment", headers=coordinator.headers,
                    json={"goals": [{"goal_id": goal["id"], "reached": True}]}))
    final = _ok(client.get(f"/api/v1/referrals/{rid}", headers=caseworker.headers))
    assert final["status"] == "completed"
    goals = _ok(client.get(f"/api/v1/referrals/{rid}/goals", headers=caseworker.headers))["items"]
    assert [(g["text"], g["reached"]) for g in goals] == [("Tale om bøger med nogen hver uge", True)]
    summary = _ok(client.get(f"/api/v1/referrals/{rid}/contact-summary", headers=caseworker.headers))
    assert (summary["agreement_closed"], summary["ending"]) == (True, "planned_ending")
