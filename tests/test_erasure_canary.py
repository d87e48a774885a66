"""The canary scan: after erasure no value of the person remains anywhere in the database.

Distinctive values are planted in every personal field (names, birth date, CPR, phone, e-mail, notes, interests,
consent representative and evidence, a withdrawal reason, the referral message, transition notes, the contact
agreement and contact log texts, parked topics, the agenda, the outcome note), the person is searched for by name
and CPR over REST and GraphQL, referred with Idempotency-Keys, read by the provider, changed through GraphQL and
refused a few times. Then the last registration consent ends — withdrawn, or expired — and *every column of every
table in the SQLAlchemy metadata* is scanned for any of the values, so a table added later is covered without
anyone remembering to add it. The same scan before the erasure must find the values (the scanner works).
"""

import json
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

import service.models  # noqa: F401  (every table on the metadata)
from service.core.db import metadata
from service.core.types import utcnow
from service.persons.consents import expire_consents
from service.persons.models import Consent, Person
from tests.offers_support import make_offer  # noqa: F401  (fixture)
from tests.referrals_support import ALL_CATEGORIES, World, sharing_consent, world_fixture  # noqa: F401

CANARIES = {
    "given_name": "Qorvinå", "family_name": "Blikkanarisen", "birth_date": "1931-03-17",
    "cpr": "1703311729", "cpr_dashed": "170331-1729", "cpr_spaced": "170331 1729", "cpr_masked": "170331-XXXX",
    "phone": "+45 71 23 98 47", "phone_digits": "71239847", "email": "kanarie.7731@example.org",
    "notes": "Notekanarie-7731 om helbred", "notes_graphql": "Grafkanarie-7731", "interest": "Strikkanarie-7731",
    "representative": "Værge Kanarisen-7731", "evidence": "ARKIV-KANARIE-7731",
    "representative_graphql": "Værge Grafkanarisen", "evidence_graphql": "GRAF-ARKIV-7731",
    "withdrawal_reason": "Fortrydkanarie-7731", "last_withdrawal_reason": "Sidstekanarie-7731",
    "message": "Beskedkanarie-7731", "accept_note": "Acceptkanarie-7731", "decline_note": "Afvisningskanarie-7731",
    "outcome_note": "Udfaldskanarie-7731", "agreement_note": "Aftalekanarie-7731",
    "log_note": "Samtalekanarie-7731", "parked_topic": "Emnekanarie-7731", "agenda": "Dagsordenkanarie-7731",
}
# Where the planted values must be found before the erasure (the scanner's positive control).
PLANTED = {("person", "given_name"), ("person", "family_name"), ("person", "birth_date"), ("person", "phone"),
           ("person", "email"), ("person", "notes"), ("person", "interests"), ("person", "cpr_hash"),
           ("person", "name_key"), ("person", "cpr_encrypted"), ("consent", "representative_name"),
           ("consent", "evidence_reference"), ("consent", "withdrawal_reason"), ("referral", "message"),
           ("referral_transition", "note"), ("contact_agreement", "note"), ("contact_log_entry", "note"),
           ("contact_log_entry", "parked_topics"), ("contact_log_entry", "next_contact_agenda"),
           ("idempotency_record", "response_body")}

PERSON_QUERY = """query($f: PersonFilter) { persons(filter: $f) { items { id givenName } } }"""
UPDATE_PERSON = """mutation($id: UUID!, $v: Int!, $notes: String!) { updatePerson(id: $id, version: $v,
  input: {notes: $notes}) { __typename ... on Person { version } ... on Problem { status } } }"""
GIVE_CONSENT = """mutation($id: UUID!, $rep: String!, $ev: String!) { giveConsent(personId: $id, input: {
  purposes: [contact], givenBy: legal_representative, representativeName: $rep, evidenceReference: $ev,
  method: written, consentTextVersion: "v1"}) { __typename ... on Consent { id } ... on Problem { status } } }"""
WITHDRAW = """mutation($p: UUID!, $c: UUID!, $reason: String!) { withdrawConsent(personId: $p, consentId: $c,
  reason: $reason) { __typename ... on Consent { consentStatus: status } ... on Problem { status } } }"""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def scan(db: Any, canaries: dict[str, str]) -> set[tuple[str, str, str]]:
    """(table, column, canary) for every value of every column of every table that contains a canary —
    case-insensitively, and also in its JSON-escaped form (a stored JSON document escapes "å" as "\\u00e5")."""
    forms = {label: {value.casefold(), json.dumps(value)[1:-1].casefold()} for label, value in canaries.items()}
    found = set()
    db.expire_all()
    for table in metadata.sorted_tables:
        for row in db.execute(select(*table.columns)):
            for column, value in zip(table.columns, row, strict=True):
                text = _text(value).casefold()
                found |= {(table.name, column.name, label) for label, variants in forms.items()
                          if any(v in text for v in variants)}
    return found


def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _gql(w: World, query: str, variables: dict[str, Any], actor: Any = None) -> Any:
    body = _ok(w.client.post("/graphql", json={"query": query, "variables": variables},
                             headers=(actor or w.caseworker).headers))
    assert "errors" not in body, body
    return body["data"]


def _plant(w: World, make_offer: Any) -> dict[str, Any]:  # noqa: F811
    """Register the canary person and use every door on them; returns the ids and replayable requests."""
    c = CANARIES
    consent = sharing_consent(recipients=[str(w.org_b.id)], categories=ALL_CATEGORIES,
                              purposes=["registration", "referral_sharing", "contact", "outcome_followup"],
                              given_by="legal_representative", representative_name=c["representative"],
                              evidence_reference=c["evidence"])
    person = w.person(given_name=c["given_name"], family_name=c["family_name"], birth_date=c["birth_date"],
                      cpr=c["cpr_dashed"], phone=c["phone"], email=c["email"], notes=c["notes"],
                      interests=[c["interest"]], consent=consent)
    pid, h = person["id"], w.caseworker.headers
    # searches and reads, REST and GraphQL
    for criteria in ({"name": f"{c['given_name']} {c['family_name']}"}, {"cpr": c["cpr"]}):
        assert [p["id"] for p in _ok(w.client.post("/api/v1/persons/search", json=criteria, headers=h))["items"]]
        assert _gql(w, PERSON_QUERY, {"f": criteria})["persons"]["items"]
    _ok(w.client.get(f"/api/v1/persons/{pid}", headers=w.admin_a.headers))  # full CPR
    # refused attempts carrying the values
    assert w.client.post("/api/v1/persons", json={**person_body_of(c), "consent": consent},
                         headers=h).status_code == 409
    assert w.client.patch(f"/api/v1/persons/{pid}", json={"notes": c["notes"] + " igen"},
                          headers={**h, "If-Match": '"99"'}).status_code == 412
    # GraphQL changes: new notes, a second consent (representative, evidence), withdrawn with a reason
    assert _gql(w, UPDATE_PERSON, {"id": pid, "v": person["version"], "notes": c["notes_graphql"]})
    given = _gql(w, GIVE_CONSENT, {"id": pid, "rep": c["representative_graphql"], "ev": c["evidence_graphql"]})
    _gql(w, WITHDRAW, {"p": pid, "c": given["giveConsent"]["id"], "reason": c["withdrawal_reason"]})
    # referrals: one followed to completion with idempotent requests, one declined, one left open
    second, third = make_offer(w.org_b, title="Gåtur"), make_offer(w.org_b, title="Spisning")
    create = ("/api/v1/referrals", {"person_id": pid, "offer_id": str(w.offer.id), "message": c["message"],
                                    "shared_categories": ALL_CATEGORIES}, {**h, "Idempotency-Key": "opret-1"})
    rid = _ok(w.client.post(create[0], json=create[1], headers=create[2]), 201)["id"]
    accept = (f"/api/v1/referrals/{rid}/transitions", {"action": "accept", "note": c["accept_note"]},
              {**w.coordinator.headers, "Idempotency-Key": "accept-1"})
    assert c["given_name"] in json.dumps(_ok(w.client.post(accept[0], json=accept[1], headers=accept[2])),
                                         ensure_ascii=False)
    assert w.act(rid, "start").status_code == 200
    url = f"/api/v1/referrals/{rid}"
    agreement = {"channel": "phone", "cadence": "weekly", "note": c["agreement_note"]}
    _ok(w.client.put(f"{url}/contact-agreement", json=agreement, headers=w.coordinator.headers), 201)
    when = utcnow() - timedelta(hours=3)
    _ok(w.client.post(f"{url}/contacts", json={
        "contacted_at": when.isoformat(), "duration_minutes": 20, "channel": "phone", "elements": ["tryghed"],
        "parked_topics": [c["parked_topic"]], "next_contact_agenda": c["agenda"], "note": c["log_note"]},
        headers=w.coordinator.headers), 201)
    _ok(w.client.post(f"{url}/contacts", json={"contacted_at": (when + timedelta(hours=1)).isoformat(),
                                                "duration_minutes": 0, "channel": "phone"},
                      headers=w.coordinator.headers), 201)  # a missed call carries topic and agenda forward
    _ok(w.client.get("/api/v1/contacts/due", params={"limit": 5}, headers=w.coordinator.headers))
    _ok(w.client.get(url, headers=w.coordinator.headers))
    assert w.act(rid, "complete", note=c["outcome_note"],
                 follow_up={"item1": 1, "item2": 2, "item3": 1}).status_code == 200
    declined = w.refer(person, offer=second)["id"]
    assert w.act(declined, "decline", note=c["decline_note"]).status_code == 200
    w.refer(person, offer=third)
    registration = next(x for x in _ok(w.client.get(f"/api/v1/persons/{pid}/consents", headers=h))["items"]
                        if "registration" in x["purposes"])
    return {"pid": pid, "consent_id": registration["id"], "replays": [create, accept]}


def person_body_of(c: dict[str, str]) -> dict[str, Any]:
    return {"given_name": c["given_name"], "family_name": c["family_name"], "birth_date": c["birth_date"],
            "municipality_code": "0101", "risk_settings": [{"code": "nursing_home"}]}


def _digests(w: World, pid: str) -> dict[str, str]:
    """The stored derivatives of the values (keyed CPR hash, ciphertext, name key): personal data too."""
    w.db.expire_all()
    row = w.db.get(Person, uuid.UUID(pid))
    assert row is not None and row.cpr_hash and row.cpr_encrypted and row.name_key
    return {"cpr_hash": row.cpr_hash, "cpr_encrypted": row.cpr_encrypted, "name_key": row.name_key}


@pytest.mark.parametrize("ending", ["withdrawn", "expired"])
def test_erasure_leaves_no_value_of_the_person_in_any_table(world: World, make_offer: Any, ending: str):  # noqa: F811
    w = world
    planted = _plant(w, make_offer)
    pid = planted["pid"]
    canaries = {**CANARIES, **_digests(w, pid)}
    before = scan(w.db, canaries)
    assert {(t, col) for t, col, _ in before} >= PLANTED, PLANTED - {(t, col) for t, col, _ in before}
    assert not [f for f in before if f[0] == "audit_event"], "audit criteria must never hold personal data"

    if ending == "withdrawn":
        _ok(w.client.post(f"/api/v1/persons/{pid}/consents/{planted['consent_id']}/withdraw",
                          json={"reason": CANARIES["last_withdrawal_reason"]}, headers=w.caseworker.headers))
    else:
        w.db.execute(update(Consent).where(Consent.id == uuid.UUID(planted["consent_id"]))
                     .values(expires_at=utcnow() - timedelta(minutes=1)))
        assert expire_consents(w.db) >= 1
        w.db.commit()

    assert scan(w.db, canaries) == set()
    # replaying an Idempotency-Key answers 410 and does not bring the values back (nor repeat the request)
    for path, body, headers in planted["replays"]:
        replay = w.client.post(path, json=body, headers=headers)
        assert replay.status_code == 410 and replay.json()["original_status"] in (200, 201), replay.text
        assert not [v for v in canaries.values() if v.casefold() in replay.text.casefold()]
    # and what the doors show afterwards holds none of it either
    shown = [w.client.get(f"/api/v1/persons/{pid}", headers=w.admin_a.headers).text,
             w.client.get("/api/v1/referrals", headers=w.caseworker.headers).text,
             w.client.get(f"/api/v1/persons/{pid}/consents", headers=w.caseworker.headers).text]
    assert not [v for v in canaries.values() for text in shown if v.casefold() in text.casefold()]
    assert scan(w.db, canaries) == set()


def test_a_replay_shows_nothing_the_consent_no_longer_covers(world: World):
    """A stored response is what the provider saw then; after `referral_sharing` is withdrawn (the person stays
    registered) a replay must not show it again: 410, and the request is not repeated."""
    w = world
    person = w.person(purposes=[], given_name="Replaysen")
    sharing = _ok(w.client.post(f"/api/v1/persons/{person['id']}/consents",
                                json=sharing_consent(recipients=[str(w.org_b.id)]), headers=w.caseworker.headers), 201)
    rid = w.refer(person)["id"]
    accept = {"json": {"action": "accept"}, "headers": {**w.coordinator.headers, "Idempotency-Key": "k-1"}}
    first = _ok(w.client.post(f"/api/v1/referrals/{rid}/transitions", **accept))
    assert first["person"]["given_name"] == "Replaysen"
    assert _ok(w.client.post(f"/api/v1/referrals/{rid}/transitions", **accept)) == first  # a plain replay
    _ok(w.client.post(f"/api/v1/persons/{person['id']}/consents/{sharing['id']}/withdraw", json={},
                      headers=w.caseworker.headers))
    replay = w.client.post(f"/api/v1/referrals/{rid}/transitions", **accept)
    assert replay.status_code == 410 and "Replaysen" not in replay.text, replay.text
    assert w.seats() == 0  # withdrawn by the consent hook, and the replay did not accept it again
