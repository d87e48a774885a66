"""The person's access log (GDPR art. 15, CJEU C-579/21) and the subject-access export: every consultation
and change by any organisation — the provider's reads of the referral summary included — with time,
organisation, role and purpose; period filter, cursor pages, JSON and CSV; only for the holding organisation;
reading either is audited."""

import csv
import io
from datetime import timedelta

from sqlalchemy import update

from service.audit.models import AuditEvent
from service.core.types import utcnow
from tests.offers_support import make_offer  # noqa: F401
from tests.persons_helpers import events
from tests.referrals_support import World, world_fixture  # noqa: F401


def _log(w: World, pid: str, actor=None, **params) -> list[dict]:
    resp = w.client.get(f"/api/v1/persons/{pid}/access-log", params=params, headers=(actor or w.caseworker).headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def test_the_log_names_every_organisation_role_and_purpose_including_the_providers_reads(world):
    w = world
    person = w.person()
    referral = w.refer(person)
    assert w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.coordinator.headers).status_code == 200
    assert w.client.get("/api/v1/referrals", headers=w.coordinator.headers).status_code == 200
    assert w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.outsider.headers).status_code == 404
    w.client.get(f"/api/v1/persons/{person['id']}", headers=w.admin_a.headers)
    w.client.post("/api/v1/persons/search", json={"name": "Karen"}, headers=w.caseworker.headers)

    entries = _log(w, person["id"])
    by_action = {}
    for e in entries:
        by_action.setdefault(e["action"], []).append(e)
    provider_reads = [e for e in by_action["referral.read"] if e["organisation_id"] == str(w.org_b.id)]
    assert provider_reads and provider_reads[0]["actor_role"] == "coordinator"
    assert provider_reads[0]["organisation_name"] == "Besøgsvennerne"
    assert provider_reads[0]["purpose"] == "referral_coordination"
    assert provider_reads[0]["access_type"] == "consultation"
    assert any(e["organisation_id"] == str(w.org_b.id) for e in by_action["referral.list"])
    refused = [e for e in by_action["referral.read"] if e["organisation_id"] == str(w.org_c.id)]
    assert refused and refused[0]["access_type"] == "refused" and refused[0]["outcome"] == "denied"
    assert by_action["person.create"][0]["access_type"] == "change"
    assert by_action["person.create"][0]["actor_role"] == "caseworker"
    assert {e["actor_role"] for e in by_action["person.read"]} >= {"org_admin"}
    assert by_action["person.search"], "a search that showed the person is a consultation of the person"
    assert by_action["referral.create"][0]["organisation_name"] == "Eksempel Kommune"
    ids = [e["event_id"] for e in entries]
    assert ids == sorted(ids)
    assert not any("criterion" in e for e in entries), "search criteria about others are not shown"


def test_reading_the_log_is_audited_and_appears_in_it(world):
    w = world
    person = w.person()
    _log(w, person["id"])
    audited = events(w.db, "person.access_log", subject_id=person["id"])
    assert len(audited) == 1 and audited[0].criterion["format"] == "json"
    assert [e for e in _log(w, person["id"]) if e["action"] == "person.access_log"]


def test_period_filter_and_cursor_pages(world):
    w = world
    person = w.person()
    for _ in range(4):
        w.client.get(f"/api/v1/persons/{person['id']}", headers=w.caseworker.headers)
    old = events(w.db, "person.create", subject_id=person["id"])[0]
    w.db.execute(update(AuditEvent).where(AuditEvent.id == old.id).values(occurred_at=utcnow() - timedelta(days=40)))
    w.db.commit()
    today = utcnow().date()
    recent = _log(w, person["id"], period_from=str(today - timedelta(days=1)), period_to=str(today + timedelta(days=1)))
    assert "person.create" not in {e["action"] for e in recent}
    earlier = _log(w, person["id"], period_to=str(today - timedelta(days=30)))
    assert [e["action"] for e in earlier] == ["person.create"]
    inverted = w.client.get(f"/api/v1/persons/{person['id']}/access-log", headers=w.caseworker.headers,
                            params={"period_from": str(today), "period_to": str(today - timedelta(days=1))})
    assert inverted.status_code == 422
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        resp = w.client.get(f"/api/v1/persons/{person['id']}/access-log", params=params,
                            headers=w.caseworker.headers)
        page = resp.json()
        seen += [e["event_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert 'rel="next"' in resp.headers["link"]
    assert len(seen) == len(set(seen)) >= 6 and seen == sorted(seen)


def test_csv_by_format_or_accept(world):
    w = world
    person = w.person()
    for params, headers in (({"format": "csv"}, {}), ({}, {"Accept": "text/csv"})):
        resp = w.client.get(f"/api/v1/persons/{person['id']}/access-log", params=params,
                            headers={**w.caseworker.headers, **headers})
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(resp.text)))
        assert rows and rows[0]["action"] == "person.create" and rows[0]["actor_role"] == "caseworker"
        assert rows[0]["organisation_name"] == "Eksempel Kommune"


def test_only_the_holding_organisation_reads_the_log(world):
    w = world
    person = w.person()
    for actor, expected in ((w.coordinator, 403), (w.outsider_caseworker, 404), (w.analyst_a, 403)):
        for path in ("access-log", "export"):
            resp = w.client.get(f"/api/v1/persons/{person['id']}/{path}", headers=actor.headers)
            assert resp.status_code == expected, (actor, path, resp.text)
    assert w.client.get(f"/api/v1/persons/{person['id']}/access-log").status_code == 401
    denied = events(w.db, "person.access_log", outcome="denied")
    assert len(denied) >= 3


def test_graphql_access_log_and_export(world, gql):
    w = world
    person = w.person()
    query = """query($id: UUID!) { personAccessLog(personId: $id, first: 50) { items { action organisationName
               actorRole accessType purpose } nextCursor } personExport(personId: $id) }"""
    data = gql(query, {"id": person["id"]}, w.caseworker)["data"]
    assert data["personAccessLog"]["items"][0]["action"] == "person.create"
    assert data["personExport"]["person"]["given_name"] == "Karen"
    other = gql(query, {"id": person["id"]}, w.outsider_caseworker)["data"]
    assert other == {"personAccessLog": None, "personExport": None}


def test_export_holds_everything_about_the_person(world):
    w = world
    person = w.person()
    referral = w.refer(person)
    w.drive(referral["id"], "started")
    w.client.put(f"/api/v1/referrals/{referral['id']}/contact-agreement", headers=w.coordinator.headers,
                 json={"channel": "phone", "cadence": "weekly", "weekday": 1, "time_of_day": "10:00"})
    w.client.post(f"/api/v1/referrals/{referral['id']}/contacts", headers=w.coordinator.headers,
                  json={"contacted_at": utcnow().isoformat(), "duration_minutes": 20, "channel": "phone",
                        "elements": ["tryghed"], "parked_topics": ["datteren"], "note": "God snak"})
    w.client.post(f"/api/v1/persons/{person['id']}/loneliness-measurements", headers=w.caseworker.headers,
                  json={"item1": 2, "item2": 3, "item3": 2, "context": "intake"})
    resp = w.client.get(f"/api/v1/persons/{person['id']}/export", headers=w.admin_a.headers)
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    doc = resp.json()
    assert doc["format"] == "tvaers-subject-access-export/1"
    assert doc["controller"]["organisation_name"] == "Eksempel Kommune"
    assert doc["person"]["family_name"] == "Eksempelsen" and doc["person"]["cpr_masked"] is False
    assert doc["consents"][0]["purposes"] == ["contact", "outcome_followup", "referral_sharing", "registration"]
    assert doc["loneliness_measurements"][0]["total"] == 7
    exported = doc["referrals"][0]
    assert exported["offer_title"] == "Telefonven" and exported["provider_organisation_name"] == "Besøgsvennerne"
    assert [h["to_status"] for h in exported["history"]] == ["sent", "accepted", "started"]
    assert exported["contact_agreement"]["cadence"] == "weekly"
    assert exported["contact_log"][0]["parked_topics"] == ["datteren"]
    logged = {e["action"] for e in doc["access_log"]}
    assert {"contact_agreement.set", "contact_log.write", "referral.transition"} <= logged
    assert events(w.db, "person.export", subject_id=person["id"])
    masked = w.client.get(f"/api/v1/persons/{person['id']}/export", headers=w.caseworker.headers).json()
    assert masked["person"]["cpr"].endswith("XXXX")


def test_an_erased_persons_export_and_log_stay_available_to_answer_a_request(world):
    w = world
    person = w.person()
    consent = w.client.get(f"/api/v1/persons/{person['id']}/consents", headers=w.caseworker.headers).json()["items"][0]
    w.client.post(f"/api/v1/persons/{person['id']}/consents/{consent['id']}/withdraw", headers=w.caseworker.headers)
    doc = w.client.get(f"/api/v1/persons/{person['id']}/export", headers=w.caseworker.headers).json()
    assert doc["person"]["status"] == "erased" and doc["person"]["given_name"] is None
    assert any(e["action"] == "person.erase" for e in doc["access_log"])
