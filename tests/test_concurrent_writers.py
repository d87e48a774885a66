"""Fifty concurrent writers over real HTTP, REST and GraphQL mixed, on SQLite and PostgreSQL.

Invariants, whatever the interleaving: no 5xx; of the writers holding the same version exactly one wins and
the rest get 412 (GraphQL: a Problem with status 412) — no lost update; of concurrent registrations of the same
person exactly one is created and the rest get the documented 409 naming it — no duplicate.
"""

import json
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from service.action_plan.models import ActionPlanMeasure
from service.audit.models import AuditEvent
from service.offers.models import Offer
from service.persons.models import Person
from tests.live_support import (  # noqa: F401  (patient_writers: fixture)
    Call,
    committed_headers,
    committed_org,
    fire,
    gql_payload,
    graphql,
    patient_writers,
    statuses,
)
from tests.offers_support import VALID as OFFER
from tests.persons_helpers import person_body

pytestmark = pytest.mark.usefixtures("patient_writers")
WRITERS = 50
MEASURE = {"title": "Aftentransport", "description": "Bus fra botilbud til fællesskaber.",
           "risk_settings": ["homelessness"], "status": "planned", "start_date": "2026-01-01"}

UPDATE_OFFER = """mutation($id: UUID!, $title: String!) { updateOffer(id: $id, version: 1, input: {title: $title}) {
  __typename ... on Offer { version } ... on Problem { status } } }"""
UPDATE_MEASURE = """mutation($id: UUID!, $title: String!) {
  updateActionPlanMeasure(id: $id, version: 1, input: {title: $title}) {
  __typename ... on ActionPlanMeasure { version } ... on Problem { status } } }"""
UPDATE_PERSON = """mutation($id: UUID!, $notes: String!) { updatePerson(id: $id, version: 1, input: {notes: $notes}) {
  __typename ... on Person { version } ... on Problem { status } } }"""
CHANGE_STATUS = """mutation($id: UUID!, $status: OfferStatus!) {
  changeOfferStatus(id: $id, status: $status, version: 1) {
  __typename ... on Offer { offerStatus: status } ... on Problem { status } } }"""
CREATE_PERSON = """mutation($input: PersonCreateInput!) { createPerson(input: $input) {
  __typename ... on Person { id } ... on Problem { status errors { code } } } }"""


@pytest.fixture
def actors(committed: Any) -> dict[str, dict[str, str]]:
    provider = committed_org(committed, "civil_society")
    return {"coordinator": committed_headers(committed, "coordinator", provider),
            "caseworker": committed_headers(committed, "caseworker", committed_org(committed)),
            "analyst": committed_headers(committed, "analyst", committed_org(committed, "ministry"))}


def _created(base_url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        resp = http.post(path, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _rest(method: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Call:
    return lambda http: http.request(method, path, json=body, headers=headers)


def _outcome(response: httpx.Response) -> int:
    """The status a writer got: the HTTP status for REST, the Problem's status (200 for a result) for GraphQL."""
    if response.request.url.path != "/graphql":
        return response.status_code
    payload = next(iter(response.json()["data"].values())) if response.status_code == 200 else None
    return payload["status"] if payload and payload["__typename"] == "Problem" else response.status_code


def _written(response: httpx.Response) -> str:
    """The value this writer wrote (title or notes)."""
    body = json.loads(response.request.content)
    values = body.get("variables", body)
    return str(values.get("title") or values.get("notes"))


def _no_server_errors(responses: list[httpx.Response]) -> None:
    assert not [r.text for r in responses if r.status_code >= 500], statuses(responses)


def test_fifty_concurrent_versioned_writes_have_one_winner_per_version(live_server, committed, actors):
    coordinator, caseworker, analyst = actors["coordinator"], actors["caseworker"], actors["analyst"]
    offer = _created(live_server, "/api/v1/offers", {**OFFER, "status": "published"}, coordinator)
    measure = _created(live_server, "/api/v1/action-plan/measures", MEASURE, analyst)
    person = _created(live_server, "/api/v1/persons", person_body(), caseworker)
    v1 = {"If-Match": '"1"'}
    # (target, calls): each writer writes its own value from version 1, through REST or GraphQL
    writers: dict[str, list[Call]] = {
        "offer": [_rest("PATCH", f"/api/v1/offers/{offer}", {"title": f"Titel {i}"}, {**coordinator, **v1})
                  for i in range(10)]
        + [graphql(UPDATE_OFFER, {"id": offer, "title": f"Titel {i}"}, coordinator) for i in range(10, 20)],
        "measure": [_rest("PATCH", f"/api/v1/action-plan/measures/{measure}", {"title": f"Tiltag {i}"},
                          {**analyst, **v1}) for i in range(8)]
        + [graphql(UPDATE_MEASURE, {"id": measure, "title": f"Tiltag {i}"}, analyst) for i in range(8, 15)],
        "person": [_rest("PATCH", f"/api/v1/persons/{person}", {"notes": f"Note {i}"}, {**caseworker, **v1})
                   for i in range(8)]
        + [graphql(UPDATE_PERSON, {"id": person, "notes": f"Note {i}"}, caseworker) for i in range(8, 15)],
    }
    calls = [call for group in writers.values() for call in group]
    assert len(calls) == WRITERS
    responses = fire(live_server, calls)
    _no_server_errors(responses)
    start = 0
    outcomes: dict[str, Counter[int]] = {}
    winners: dict[str, list[str]] = {}
    for target, group in writers.items():
        mine = responses[start:start + len(group)]
        start += len(group)
        outcomes[target] = Counter(_outcome(r) for r in mine)
        winners[target] = [_written(r) for r in mine if _outcome(r) == 200]
        for r in mine:
            if r.request.url.path != "/graphql" and r.status_code == 412:
                assert r.headers["etag"] == '"2"' and r.headers["content-type"] == "application/problem+json"
    assert outcomes == {t: Counter({200: 1, 412: len(g) - 1}) for t, g in writers.items()}, outcomes
    # the stored value is the winner's, at version 2: nobody overwrote it afterwards
    committed.expire_all()
    stored = {"offer": committed.get(Offer, uuid.UUID(offer)), "measure": committed.get(
        ActionPlanMeasure, uuid.UUID(measure)), "person": committed.get(Person, uuid.UUID(person))}
    assert {t: (row.version, row.notes if t == "person" else row.title) for t, row in stored.items()} == {
        t: (2, value) for t, [value] in winners.items()}
    for action in ("offer.update", "action_plan_measure.update", "person.update"):
        assert committed.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.outcome == "success")) == 1, action


def test_fifty_concurrent_status_changes_move_an_offer_once(live_server, committed, actors):
    coordinator = actors["coordinator"]
    versioned = _created(live_server, "/api/v1/offers", {**OFFER, "status": "published"}, coordinator)
    unversioned = _created(live_server, "/api/v1/offers", {**OFFER, "status": "published"}, coordinator)
    targets = ["paused", "closed"]
    calls = [_rest("POST", f"/api/v1/offers/{versioned}/status", {"status": targets[i % 2]},
                   {**coordinator, "If-Match": '"1"'}) for i in range(15)]
    calls += [graphql(CHANGE_STATUS, {"id": versioned, "status": targets[i % 2]}, coordinator) for i in range(10)]
    # without If-Match the row lock orders them: the first closes the offer, closed is final for the rest
    calls += [_rest("POST", f"/api/v1/offers/{unversioned}/status", {"status": "closed"}, coordinator)
              for _ in range(25)]
    responses = fire(live_server, calls)
    _no_server_errors(responses)
    assert Counter(_outcome(r) for r in responses[:25]) == Counter({200: 1, 412: 24})
    assert statuses(responses[25:]) == Counter({200: 1, 409: 24})
    committed.expire_all()
    rows = {str(o.id): o for o in committed.scalars(select(Offer))}
    assert rows[versioned].version == 2 and rows[versioned].status in targets
    assert rows[unversioned].version == 2 and rows[unversioned].status == "closed"
    assert committed.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "offer.status")) == 2


def _graphql_person(body: dict[str, Any]) -> dict[str, Any]:
    consent = body["consent"]
    out = {"givenName": body["given_name"], "familyName": body["family_name"], "birthDate": body["birth_date"],
           "municipalityCode": body["municipality_code"], "riskSettings": body["risk_settings"],
           "consent": {"purposes": consent["purposes"], "givenBy": consent["given_by"],
                       "method": consent["method"], "consentTextVersion": consent["consent_text_version"]}}
    if "cpr" in body:
        out["cpr"] = body["cpr"]
    return out


def test_fifty_concurrent_registrations_create_each_person_once(live_server, committed, actors):
    caseworker = actors["caseworker"]
    # the same CPR number under 25 different spellings of names; the same names and birth date (case-folded)
    # without a CPR number 25 times
    same_cpr = [person_body(given_name=f"Navn{i}", family_name="Cprsen", birth_date="1990-01-01",
                            cpr="010190-4321") for i in range(25)]
    spellings = ["Åse Ørsted", "ÅSE ØRSTED", "åse ørsted", "Åse  Ørsted"]
    same_name = [person_body(given_name=spellings[i % 4].split(maxsplit=1)[0],
                             family_name=spellings[i % 4].split(maxsplit=1)[1], birth_date="1931-02-27")
                 for i in range(25)]
    calls: list[Call] = []
    for group in (same_cpr, same_name):
        calls += [_rest("POST", "/api/v1/persons", body, caseworker) for body in group[:20]]
        calls += [graphql(CREATE_PERSON, {"input": _graphql_person(body)}, caseworker) for body in group[20:]]
    responses = fire(live_server, calls)
    _no_server_errors(responses)
    committed.expire_all()
    persons = list(committed.scalars(select(Person)))
    assert len(persons) == 2, [(p.given_name, p.family_name) for p in persons]
    for group in (responses[:25], responses[25:]):
        won = [r for r in group if r.status_code == 201 or _outcome(r) == 200]
        assert len(won) == 1 and Counter(_outcome(r) for r in group if r not in won) == Counter({409: 24})
        winner = won[0].json()["id"] if won[0].status_code == 201 else gql_payload(won[0], "createPerson")["id"]
        assert winner in {str(p.id) for p in persons}
        for r in group:
            if r in won:
                continue
            if r.request.url.path == "/graphql":
                assert gql_payload(r, "createPerson")["errors"][0]["code"] == "duplicate"
            else:
                problem = r.json()
                assert problem["existing_id"] == winner and problem["errors"][0]["code"] == "duplicate", problem
