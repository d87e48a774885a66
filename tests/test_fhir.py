"""The FHIR R4 door: the referral loop as ServiceRequest + Task, consents, patients, organisations and offers;
the same access rules and audit as REST; OperationOutcomes; every resource validated with fhir.resources."""

import uuid

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from tests.fhir_support import fhir, issue_code, next_link, resources, valid
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import PHONE, World, world_fixture  # noqa: F401

R4 = "/fhir/R4"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"


def _audit(w: World, action: str, outcome: str = "success") -> list[AuditEvent]:
    w.db.expire_all()
    return list(w.db.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.outcome == outcome)))


def test_metadata_is_a_valid_capability_statement(client):
    cs = fhir(client.get(f"{R4}/metadata"))
    assert cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "4.0.1"
    kinds = {r["type"] for r in cs["rest"][0]["resource"]}
    assert kinds == {"ServiceRequest", "Task", "Consent", "Patient", "Organization", "HealthcareService"}
    task = next(r for r in cs["rest"][0]["resource"] if r["type"] == "Task")
    assert {i["code"] for i in task["interaction"]} == {"read", "search-type", "update", "patch"}
    assert {p["name"] for p in task["searchParam"]} >= {"_id", "patient", "status", "_lastUpdated", "_count"}


def test_referral_reads_as_service_request_and_task_for_both_sides(world: World):
    w = world
    person = w.person()
    rid = w.refer(person)["id"]
    for actor in (w.caseworker, w.coordinator):
        sr = fhir(w.client.get(f"{R4}/ServiceRequest/{rid}", headers=actor.headers))
        assert sr["status"] == "active" and sr["intent"] == "order"
        assert sr["subject"]["reference"] == f"Patient/{person['id']}"
        assert {p["reference"] for p in sr["performer"]} == {f"HealthcareService/{w.offer.id}",
                                                             f"Organization/{w.org_b.id}"}
        resp = w.client.get(f"{R4}/Task/{rid}", headers=actor.headers)
        task = fhir(resp)
        assert task["status"] == "requested" and task["focus"]["reference"] == f"ServiceRequest/{rid}"
        assert task["owner"]["reference"] == f"Organization/{w.org_b.id}"
        assert resp.headers["etag"] == 'W/"1"' and task["meta"]["versionId"] == "1"
    # another organisation, a role without referral rights, no token: 404 / 403 / 401, as OperationOutcomes
    assert issue_code(w.client.get(f"{R4}/Task/{rid}", headers=w.outsider.headers), 404) == "not-found"
    assert issue_code(w.client.get(f"{R4}/Task/{rid}", headers=w.analyst_a.headers), 403) == "forbidden"
    assert issue_code(w.client.get(f"{R4}/Task/{rid}"), 401) == "login"
    assert issue_code(w.client.get(f"{R4}/Task/not-an-id", headers=w.caseworker.headers), 404) == "not-found"
    assert _audit(w, "referral.read", "denied")  # the outsider's and the analyst's attempts


def _put(w: World, rid: str, actor, **change) -> object:
    task = w.client.get(f"{R4}/Task/{rid}", headers=actor.headers).json()
    task.update(change)
    return w.client.put(f"{R4}/Task/{rid}", json=task, headers={**actor.headers,
                                                                 "Content-Type": "application/fhir+json"})


def _patch(w: World, rid: str, actor, ops: list, **headers) -> object:
    return w.client.patch(f"{R4}/Task/{rid}", json=ops, headers={
        **actor.headers, "Content-Type": "application/json-patch+json", **headers})


def _status(value: str) -> list[dict]:
    return [{"op": "replace", "path": "/status", "value": value}]


REASON = "https://tvaers.dk/fhir/CodeSystem/referral-reason"
OUTCOME = "https://tvaers.dk/fhir/CodeSystem/referral-outcome"
OUTPUT = "https://tvaers.dk/fhir/CodeSystem/task-output"


def test_provider_closes_the_loop_through_the_task(world: World):
    w = world
    rid = w.refer(w.person())["id"]
    accepted = fhir(_put(w, rid, w.coordinator, status="accepted"))
    assert accepted["status"] == "accepted" and accepted["meta"]["versionId"] == "2" and w.seats() == 1
    started = fhir(_patch(w, rid, w.coordinator, _status("in-progress"), **{"If-Match": 'W/"2"'}))
    assert started["status"] == "in-progress"
    # completing needs the outcome, as on REST: without it a 422, with it the loop closes
    assert issue_code(_patch(w, rid, w.coordinator, _status("completed")), 422) == "processing"
    done = fhir(_patch(w, rid, w.coordinator, [
        *_status("completed"),
        {"op": "add", "path": "/output", "value": [{
            "type": {"coding": [{"system": OUTPUT, "code": "outcome"}]},
            "valueCodeableConcept": {"coding": [{"system": OUTCOME, "code": "attended_regularly"}]}}]}]))
    assert done["status"] == "completed" and done["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == \
        "attended_regularly"
    rest = w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers).json()
    assert rest["status"] == "completed" and [h["action"] for h in rest["history"]] == [
        "send", "accept", "start", "complete"]
    assert len(_audit(w, "referral.transition")) == 3
    sr = fhir(w.client.get(f"{R4}/ServiceRequest/{rid}", headers=w.caseworker.headers))
    assert sr["status"] == "completed"


def test_decline_needs_a_reason_and_illegal_moves_are_409(world: World):
    w = world
    rid = w.refer(w.person())["id"]
    assert issue_code(_patch(w, rid, w.coordinator, _status("rejected")), 422) == "processing"
    # straight to completed from requested: illegal in the workflow
    assert issue_code(_patch(w, rid, w.coordinator, _status("in-progress")), 409) == "conflict"
    # a status no transition leads to
    assert issue_code(_patch(w, rid, w.coordinator, _status("on-hold")), 409) == "conflict"
    rejected = fhir(_patch(w, rid, w.coordinator, [
        *_status("rejected"),
        {"op": "add", "path": "/statusReason", "value": {"coding": [{"system": REASON, "code": "not_eligible"}]}}]))
    assert rejected["status"] == "rejected" and rejected["statusReason"]["coding"][0]["code"] == "not_eligible"
    assert issue_code(_patch(w, rid, w.coordinator, _status("accepted")), 409) == "conflict"
    assert fhir(w.client.get(f"{R4}/ServiceRequest/{rid}", headers=w.caseworker.headers))["status"] == "revoked"


def test_sides_versions_and_malformed_writes(world: World):
    w = world
    rid = w.refer(w.person())["id"]
    # the referrer may not accept (403); the referrer cancels (withdraw)
    assert issue_code(_patch(w, rid, w.caseworker, _status("accepted")), 403) == "forbidden"
    # another organisation: 404, whatever it sends
    assert issue_code(_patch(w, rid, w.outsider, _status("accepted")), 404) == "not-found"
    # a stale version: 412 with the current ETag
    stale = _patch(w, rid, w.coordinator, _status("accepted"), **{"If-Match": 'W/"7"'})
    assert issue_code(stale, 412) == "conflict" and stale.headers["etag"] == 'W/"1"'
    # only the loop may change
    assert issue_code(_patch(w, rid, w.coordinator, [
        {"op": "replace", "path": "/owner/reference", "value": f"Organization/{w.org_c.id}"}]), 422) == "processing"
    assert issue_code(_put(w, rid, w.coordinator, status="accepted", id=str(uuid.uuid4())), 400) == "invalid"
    assert issue_code(_put(w, rid, w.coordinator, status="no-such-status"), 400) == "invalid"
    # patches that cannot apply, are not patches, or come as the wrong media type
    assert issue_code(_patch(w, rid, w.coordinator, [{"op": "test", "path": "/status", "value": "accepted"}]),
                      422) == "processing"
    assert issue_code(_patch(w, rid, w.coordinator, [{"op": "jump", "path": "/status"}]), 400) == "invalid"
    assert issue_code(_patch(w, rid, w.coordinator, {"status": "accepted"}), 400) == "invalid"
    wrong_type = w.client.patch(f"{R4}/Task/{rid}", json=_status("accepted"), headers=w.coordinator.headers)
    assert issue_code(wrong_type, 415) == "not-supported"
    assert fhir(_put(w, rid, w.caseworker, status="cancelled"))["status"] == "cancelled"
    assert w.seats() == 0


def test_searches_bundle_page_and_filter(world: World):
    w = world
    persons = [w.person(given_name=name) for name in ("Karen", "Inge", "Bent")]
    rids = [w.refer(p)["id"] for p in persons]
    w.drive(rids[0], "accepted")
    seen: list[str] = []
    url = f"{R4}/Task?_count=2"
    while url:
        bundle = fhir(w.client.get(url, headers=w.coordinator.headers))
        seen += [t["id"] for t in resources(bundle)]
        url = next_link(bundle)
    assert sorted(seen) == sorted(rids)
    by_status = resources(fhir(w.client.get(f"{R4}/Task?status=accepted", headers=w.coordinator.headers)))
    assert [t["id"] for t in by_status] == [rids[0]]
    by_patient = fhir(w.client.get(f"{R4}/ServiceRequest?patient=Patient/{persons[1]['id']}",
                                   headers=w.caseworker.headers))
    assert [s["id"] for s in resources(by_patient)] == [rids[1]]
    assert [s["id"] for s in resources(fhir(w.client.get(f"{R4}/ServiceRequest?_id={rids[2]}",
                                                         headers=w.caseworker.headers)))] == [rids[2]]
    assert len(resources(fhir(w.client.get(f"{R4}/Task?_lastUpdated=ge2000-01-01",
                                           headers=w.caseworker.headers)))) == 3
    assert resources(fhir(w.client.get(f"{R4}/Task?_lastUpdated=lt2000-01-01T00:00:00Z",
                                       headers=w.caseworker.headers))) == []
    assert resources(fhir(w.client.get(f"{R4}/Task", headers=w.outsider.headers))) == []


@pytest.mark.parametrize("query", ["unknown=1", "_count=0", "_count=201", "status=bogus", "_lastUpdated=yesterday",
                                   "patient=not-an-id", "_count=2&_count=3", "_format=xml", "_sort=status"])
def test_bad_search_parameters_are_400_never_ignored(world: World, query: str):
    resp = world.client.get(f"{R4}/Task?{query}", headers=world.caseworker.headers)
    assert issue_code(resp, 400) == "invalid"


def test_consent_as_fhir_provisions(world: World):
    w = world
    person = w.person()
    bundle = fhir(w.client.get(f"{R4}/Consent?patient={person['id']}", headers=w.caseworker.headers))
    [consent] = resources(bundle)
    assert consent["status"] == "active" and consent["patient"]["reference"] == f"Patient/{person['id']}"
    provision = consent["provision"]
    assert provision["type"] == "permit" and "start" in provision["period"]
    assert {p["code"] for p in provision["purpose"]} == {"registration", "referral_sharing", "contact",
                                                         "outcome_followup"}
    assert [a["reference"]["reference"] for a in provision["actor"]] == [f"Organization/{w.org_b.id}"]
    one = fhir(w.client.get(f"{R4}/Consent/{consent['id']}", headers=w.caseworker.headers))
    assert one == consent
    # the provider, another organisation: no consent records (403 / 404, audited)
    assert issue_code(w.client.get(f"{R4}/Consent/{consent['id']}", headers=w.coordinator.headers), 403)
    assert issue_code(w.client.get(f"{R4}/Consent/{consent['id']}", headers=w.outsider_caseworker.headers),
                      404) == "not-found"
    assert issue_code(w.client.get(f"{R4}/Consent", headers=w.caseworker.headers), 400) == "invalid"
    assert _audit(w, "consent.read", "denied")


def test_patient_views_cpr_only_for_whoever_may_see_it(world: World):
    w = world
    person = w.person()
    rid = w.refer(person)["id"]
    caseworker = fhir(w.client.get(f"{R4}/Patient/{person['id']}", headers=w.caseworker.headers))
    assert "identifier" not in caseworker and caseworker["name"][0]["family"]  # no persons:read_cpr
    admin = fhir(w.client.get(f"{R4}/Patient/{person['id']}", headers=w.admin_a.headers))
    [cpr] = admin["identifier"]
    assert cpr["system"] == CPR_SYSTEM and len(cpr["value"]) == 10 and cpr["value"].isdigit()
    summary = fhir(w.client.get(f"{R4}/Patient/{person['id']}", headers=w.coordinator.headers))
    assert "identifier" not in summary and "birthDate" not in summary and summary["name"] == [{"given": ["Karen"]}]
    assert {t["value"] for t in summary["telecom"]} >= {PHONE}
    assert issue_code(w.client.get(f"{R4}/Patient/{person['id']}", headers=w.outsider.headers), 404)
    listed = resources(fhir(w.client.get(f"{R4}/Patient", headers=w.admin_a.headers)))
    assert [p["id"] for p in listed] == [person["id"]] and "identifier" not in listed[0]
    assert [p["id"] for p in resources(fhir(w.client.get(f"{R4}/Patient?_id={person['id']}",
                                                         headers=w.coordinator.headers)))] == [person["id"]]
    # the consent ends: the provider's view ends with it (and the referral is withdrawn)
    consent_id = resources(fhir(w.client.get(f"{R4}/Consent?patient={person['id']}",
                                             headers=w.caseworker.headers)))[0]["id"]
    resp = w.client.post(f"/api/v1/persons/{person['id']}/consents/{consent_id}/withdraw",
                         json={"reason": "ønsker ikke"}, headers=w.caseworker.headers)
    assert resp.status_code in (200, 201), resp.text
    assert issue_code(w.client.get(f"{R4}/Patient/{person['id']}", headers=w.coordinator.headers), 404)
    assert issue_code(w.client.get(f"{R4}/Task/{rid}", headers=w.coordinator.headers), 404)


def test_organizations_and_healthcare_services(world: World, client):
    w = world
    org = fhir(client.get(f"{R4}/Organization/{w.org_b.id}", headers=w.caseworker.headers))
    assert org["name"] == w.org_b.name
    assert issue_code(client.get(f"{R4}/Organization/{w.org_b.id}"), 401) == "login"
    service = fhir(client.get(f"{R4}/HealthcareService/{w.offer.id}"))  # public, like the REST directory
    assert service["providedBy"]["reference"] == f"Organization/{w.org_b.id}" and service["active"] is True
    found = resources(fhir(client.get(f"{R4}/HealthcareService?name=Telefon")))
    assert [s["id"] for s in found] == [str(w.offer.id)]
    orgs = resources(fhir(client.get(f"{R4}/Organization?name=Besøgs", headers=w.caseworker.headers)))
    assert [o["id"] for o in orgs] == [str(w.org_b.id)]
    assert issue_code(client.get(f"{R4}/HealthcareService/{uuid.uuid4()}"), 404) == "not-found"
    assert issue_code(client.get(f"{R4}/NoSuchType"), 404) == "not-found"
    valid(client.get(f"{R4}/Organization?_id={w.org_b.id}", headers=w.caseworker.headers).json())


CANARY = "0101904321"  # a CPR-shaped value: no answer may repeat it


@pytest.mark.parametrize("where", ["param_name", "param_value", "body_field", "body_type", "patch_value"])
def test_rejected_values_are_never_echoed(world: World, where: str):
    w = world
    rid = w.refer(w.person())["id"]
    json_patch = {"Content-Type": "application/json-patch+json"}
    if where == "param_name":
        resp = w.client.get(f"{R4}/Task?{CANARY}=1", headers=w.caseworker.headers)
    elif where == "param_value":
        resp = w.client.get(f"{R4}/Task?_lastUpdated={CANARY}", headers=w.caseworker.headers)
    elif where == "body_field":
        resp = _put(w, rid, w.coordinator, status="accepted", note=[{"text": CANARY}])
    elif where == "body_type":
        resp = _put(w, rid, w.coordinator, status="accepted", authoredOn=CANARY)
    else:
        resp = w.client.patch(f"{R4}/Task/{rid}", json=[{"op": "replace", "path": f"/{CANARY}", "value": CANARY}],
                              headers={**w.coordinator.headers, **json_patch})
    assert 400 <= resp.status_code < 500 and CANARY not in resp.text, resp.text
    hsds = w.client.get(f"/api/v1/hsds/services?{CANARY}=1&search=ab")
    assert hsds.status_code == 400 and CANARY not in hsds.text


# Written out independently of service/fhir/task.py and referrals/workflow.py.
TASK_OF = {"sent": "requested", "accepted": "accepted", "declined": "rejected", "started": "in-progress",
           "completed": "completed", "ended_early": "failed", "withdrawn": "cancelled", "expired": "cancelled"}
PROVIDER_MOVES = {("sent", "accepted"), ("sent", "rejected"), ("accepted", "in-progress"),
                  ("started", "completed"), ("started", "failed")}
ALL_TASK_STATUSES = ["draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress",
                     "on-hold", "failed", "completed", "entered-in-error"]


def _move(target: str) -> list[dict]:
    ops = _status(target)
    if target in ("rejected", "failed"):
        ops.append({"op": "add", "path": "/statusReason",
                    "value": {"coding": [{"system": REASON, "code": "transport_barrier"}]}})
    if target == "completed":
        ops.append({"op": "add", "path": "/output", "value": [{
            "type": {"coding": [{"system": OUTPUT, "code": "outcome"}]},
            "valueCodeableConcept": {"coding": [{"system": OUTCOME, "code": "attended_some"}]}}]})
    return ops


@pytest.mark.parametrize("state", list(TASK_OF))
def test_every_task_status_from_every_state_follows_the_workflow(world: World, state: str):
    w = world
    rid = w.refer(w.person())["id"]
    w.drive(rid, state)
    current = TASK_OF[state]
    legal = [t for t in ALL_TASK_STATUSES if (state, t) in PROVIDER_MOVES]
    # every illegal target, then one legal move (it changes the state); writing the current status again is a
    # harmless no-op
    for target in [t for t in ALL_TASK_STATUSES if t not in legal] + legal[:1]:
        resp = _patch(w, rid, w.coordinator, _status(target) if target == current else _move(target))
        expected = (200 if target == current or (state, target) in PROVIDER_MOVES
                    else 403 if target == "cancelled" else 409)
        assert resp.status_code == expected, (state, target, resp.text)
        fhir(resp, expected)
    task = fhir(w.client.get(f"{R4}/Task/{rid}", headers=w.caseworker.headers))
    assert task["status"] == (legal[0] if legal else current)
