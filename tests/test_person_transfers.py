"""Moving a person from a care home to a shelter: the receiver accepts, consents move only where they name it,
the receiver sees only what the consent permits before accepting, both sides are audited, and a concurrent
accept and cancel have exactly one winner (real threads over real HTTP, both databases)."""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.persons.models import Consent, Person, PersonTransfer
from tests.live_support import committed_headers, committed_org, fire, patient_writers  # noqa: F401  (fixture)
from tests.persons_helpers import consent_body, create_person

RECEIVER_CONSENT = consent_body(purposes=["registration"], consent_text_version="herberg-2026")


@dataclass
class Move:
    client: Any
    db: Any
    care_home: Any
    shelter: Any
    sender: Any  # caseworker at the care home
    receiver: Any  # caseworker at the shelter
    outsider: Any  # caseworker elsewhere
    receiver_coordinator: Any  # shelter staff without persons:manage

    def person(self, *consents: dict[str, Any], **over: Any) -> dict[str, Any]:
        first, *rest = consents or (consent_body(),)
        person = create_person(self.client, self.sender, consent=first, phone="+45 22 33 44 55",
                               preferred_language="ar", interests=["skak"], family_name="Flyttesen", **over)
        for extra in rest:
            resp = self.client.post(f"/api/v1/persons/{person['id']}/consents", json=extra,
                                    headers=self.sender.headers)
            assert resp.status_code == 201, resp.text
        return person

    def request(self, person: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        resp = self.client.post(f"/api/v1/persons/{person['id']}/transfers", headers=self.sender.headers,
                                json={"to_organisation_id": str(self.shelter.id)})
        assert resp.status_code == expect, resp.text
        return resp.json()

    def accept(self, transfer: dict[str, Any], actor: Any = None, **body: Any) -> Any:
        return self.client.post(f"/api/v1/person-transfers/{transfer['id']}/accept", json=body or None,
                                headers=(actor or self.receiver).headers)


@pytest.fixture(name="move")
def move_fixture(client: Any, db: Any, make_org: Any, make_user: Any) -> Move:
    care_home, shelter = make_org(kind="care_home", name="Plejehjemmet"), make_org(kind="shelter", name="Herberget")
    return Move(client, db, care_home, shelter, make_user("caseworker", care_home), make_user("caseworker", shelter),
                make_user("caseworker", make_org(name="Tredje")), make_user("coordinator", shelter))


def _sharing(move: Move, categories: list[str], **over: Any) -> dict[str, Any]:
    return consent_body(purposes=["referral_sharing", "contact"], data_categories=categories,
                        recipient_organisation_ids=[str(move.shelter.id)], **over)


def test_before_acceptance_the_receiver_sees_only_what_the_consent_permits(move):
    shared = move.person(consent_body(), _sharing(move, ["contact_details", "interests"]))
    quiet = move.person(given_name="Tavs")
    for person, expect_person in ((shared, True), (quiet, False)):
        transfer = move.request(person)
        seen = move.client.get(f"/api/v1/person-transfers/{transfer['id']}", headers=move.receiver.headers)
        assert seen.status_code == 200
        view = seen.json()["person"]
        if not expect_person:
            assert view is None and "Tavs" not in seen.text
            continue
        assert view["given_name"] == "Karen" and view["phone"] == "+45 22 33 44 55"
        assert view["preferred_language"] == "ar" and view["interests"] == ["skak"]
        assert view["risk_settings"] is None and "Flyttesen" not in seen.text and "1990" not in seen.text
        # the sender reads the person itself; the transfer carries no summary for it
        assert move.client.get(f"/api/v1/person-transfers/{transfer['id']}",
                               headers=move.sender.headers).json()["person"] is None
    hidden = move.client.get(f"/api/v1/person-transfers/{transfer['id']}", headers=move.outsider.headers)
    assert hidden.status_code == 404
    denied = move.db.scalars(select(AuditEvent).where(AuditEvent.action == "person.transfer_read",
                                                      AuditEvent.outcome == "denied")).all()
    assert denied
    assert move.client.get(f"/api/v1/persons/{shared['id']}", headers=move.receiver.headers).status_code == 404


def test_accepting_moves_the_person_and_only_the_consents_that_name_the_receiver(move):
    person = move.person(consent_body(purposes=["registration", "referral_sharing"],
                                      recipient_organisation_kinds=["shelter"], data_categories=["interests"]),
                         consent_body(purposes=["outcome_followup"]))
    transfer = move.request(person)
    done = move.accept(transfer)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "accepted" and len(body["carried_consent_ids"]) == 1
    assert len(body["ended_consent_ids"]) == 1
    move.db.expire_all()
    moved = move.db.get_one(Person, uuid.UUID(person["id"]))
    assert moved.organisation_id == move.shelter.id
    ended = move.db.get_one(Consent, uuid.UUID(body["ended_consent_ids"][0]))
    assert ended.withdrawn_at is not None and ended.withdrawal_reason == "transferred"
    assert move.db.get_one(Consent, uuid.UUID(body["carried_consent_ids"][0])).withdrawn_at is None
    assert move.client.get(f"/api/v1/persons/{person['id']}", headers=move.sender.headers).status_code == 404
    assert move.client.get(f"/api/v1/persons/{person['id']}", headers=move.receiver.headers).status_code == 200
    # audited on both sides: an event in each organisation for the request and the acceptance
    for action in ("person.transfer_request", "person.transfer_accept"):
        orgs = set(move.db.scalars(select(AuditEvent.organisation_id).where(AuditEvent.action == action)))
        assert orgs == {move.care_home.id, move.shelter.id}, action
    again = move.accept(transfer)
    assert again.status_code == 409 and again.json()["current_status"] == "accepted"


def test_without_a_consent_that_moves_the_receiver_must_record_one_and_a_refusal_changes_nothing(move):
    person = move.person()
    transfer = move.request(person)
    refused = move.accept(transfer)
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "consent_missing"
    move.db.expire_all()
    assert move.db.get_one(PersonTransfer, uuid.UUID(transfer["id"])).status == "pending"
    assert move.db.get_one(Person, uuid.UUID(person["id"])).organisation_id == move.care_home.id
    assert move.db.scalar(select(func.count()).select_from(Consent).where(
        Consent.person_id == uuid.UUID(person["id"]), Consent.withdrawn_at.is_not(None))) == 0
    done = move.accept(transfer, consent=RECEIVER_CONSENT)
    assert done.status_code == 200, done.text
    consents = move.client.get(f"/api/v1/persons/{person['id']}/consents", headers=move.receiver.headers).json()
    assert {c["consent_text_version"]: c["status"] for c in consents["items"]} == {
        "herberg-2026": "active", "2026-1": "withdrawn"}


def test_each_side_takes_its_own_steps(move):
    person = move.person()
    transfer = move.request(person)
    move.request(person, expect=409)  # one pending transfer per person
    assert move.accept(transfer, actor=move.sender).status_code == 403
    assert move.accept(transfer, actor=move.receiver_coordinator).status_code == 403
    assert move.accept(transfer, actor=move.outsider).status_code == 404
    cancelled = move.client.post(f"/api/v1/person-transfers/{transfer['id']}/cancel", headers=move.sender.headers)
    assert cancelled.json()["status"] == "cancelled"
    assert move.accept(transfer, consent=RECEIVER_CONSENT).status_code == 409
    second = move.request(person)
    declined = move.client.post(f"/api/v1/person-transfers/{second['id']}/cancel", headers=move.receiver.headers)
    assert declined.json()["status"] == "declined"
    incoming = move.client.get("/api/v1/person-transfers", params={"direction": "incoming"},
                               headers=move.receiver.headers).json()["items"]
    assert [t["status"] for t in incoming] == ["cancelled", "declined"]
    assert move.client.get("/api/v1/person-transfers", headers=move.outsider.headers).json()["items"] == []


REQUEST = """mutation($p: UUID!, $to: UUID!) { requestPersonTransfer(personId: $p, toOrganisationId: $to) {
  __typename ... on PersonTransfer { id state: status } ... on Problem { status } } }"""
READ = """query($id: UUID!) { personTransfer(id: $id) { status person { givenName phone preferredLanguage } } }"""
ACCEPT = """mutation($id: UUID!, $c: ConsentInput) { acceptPersonTransfer(id: $id, consent: $c) {
  __typename ... on PersonTransfer { state: status carriedConsentIds } ... on Problem { status errors { code } } } }"""


def test_graphql_request_read_and_accept(move, gql):
    person = move.person(consent_body(), _sharing(move, ["interests"]))
    answer = gql(REQUEST, {"p": person["id"], "to": str(move.shelter.id)}, move.sender)
    assert "errors" not in answer, answer
    transfer = answer["data"]
    tid = transfer["requestPersonTransfer"]["id"]
    seen = gql(READ, {"id": tid}, move.receiver)["data"]["personTransfer"]
    assert seen == {"status": "pending", "person": {"givenName": "Karen", "phone": None, "preferredLanguage": None}}
    assert gql(READ, {"id": tid}, move.outsider)["data"]["personTransfer"] is None
    refused = gql(ACCEPT, {"id": tid}, move.receiver)["data"]["acceptPersonTransfer"]
    assert refused == {"__typename": "Problem", "status": 409, "errors": [{"code": "consent_missing"}]}
    consent = {"purposes": ["registration"], "givenBy": "self", "method": "verbal", "consentTextVersion": "h1"}
    done = gql(ACCEPT, {"id": tid, "c": consent}, move.receiver)["data"]["acceptPersonTransfer"]
    assert done["state"] == "accepted" and len(done["carriedConsentIds"]) == 1


@pytest.mark.usefixtures("patient_writers")
def test_concurrent_accepts_and_cancels_have_exactly_one_winner(live_server, committed):
    care_home, shelter = committed_org(committed, "care_home"), committed_org(committed, "shelter")
    sender, receiver = committed_headers(committed, "caseworker", care_home), \
        committed_headers(committed, "caseworker", shelter)
    import httpx

    with httpx.Client(base_url=live_server, timeout=60) as http:
        person = http.post("/api/v1/persons", headers=sender, json={
            "given_name": "Samtidig", "family_name": "Flyttesen", "birth_year": 1950, "municipality_code": "0101",
            "risk_settings": [{"code": "nursing_home"}], "consent": consent_body()}).json()
        transfer = http.post(f"/api/v1/persons/{person['id']}/transfers", headers=sender,
                             json={"to_organisation_id": str(shelter.id)}).json()
    accept = lambda h: h.post(f"/api/v1/person-transfers/{transfer['id']}/accept",  # noqa: E731
                              json={"consent": RECEIVER_CONSENT}, headers=receiver)
    cancel = lambda h: h.post(f"/api/v1/person-transfers/{transfer['id']}/cancel", headers=sender)  # noqa: E731
    responses = fire(live_server, [accept, cancel] * 4)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 7, codes
    winner = next(r for r in responses if r.status_code == 200).json()["status"]
    committed.expire_all()
    row = committed.get_one(PersonTransfer, uuid.UUID(transfer["id"]))
    assert row.status == winner
    moved_to = committed.scalar(select(Person.organisation_id).where(Person.id == uuid.UUID(person["id"])))
    assert moved_to == (shelter.id if winner == "accepted" else care_home.id)
    assert committed.scalar(select(func.count()).select_from(Consent).where(
        Consent.person_id == uuid.UUID(person["id"]), Consent.consent_text_version == "2026-1",
        Consent.withdrawn_at.is_(None))) == (0 if winner == "accepted" else 1)


def test_listing_transfers_costs_the_same_statements_for_a_page_of_two_or_of_eight(move, count_statements):
    """The receiver's consent-gated summaries of a page are read in batches, not one set of queries per row."""
    names = iter(["Anker", "Birk", "Carlsen", "Dahl", "Eskildsen", "Frost", "Gram", "Holm"])

    def listed() -> tuple[int, list[dict[str, Any]]]:
        counter = count_statements()
        before = counter.count
        resp = move.client.get("/api/v1/person-transfers?direction=incoming", headers=move.receiver.headers)
        assert resp.status_code == 200, resp.text
        return counter.count - before, resp.json()["items"]

    def add(n: int) -> None:
        for _ in range(n):
            move.request(move.person(consent_body(), _sharing(move, ["contact_details", "interests"]),
                                     given_name=next(names)))

    add(2)
    few, items = listed()
    add(6)
    many, items = listed()
    assert len(items) == 8 and all(i["person"] is not None and i["person"]["interests"] == ["skak"] for i in items)
    assert few == many, (few, many)
