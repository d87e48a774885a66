"""Consent lifecycle: giving, withdrawing, expiry (= withdrawal), erasure, hooks and `tvaers consents expire`."""

import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.core.types import utcnow
from service.persons import consents as persons_service
from service.persons.models import Consent, LonelinessMeasurement, Person, PersonRiskSetting
from tests.persons_helpers import CPR, consent_body, counts, create_person, events, person_body


@pytest.fixture
def hook_calls():
    calls = []

    def hook(session, principal, person, consent, purposes, cause):
        calls.append((person.id, consent.id, purposes, cause))

    persons_service.register_consent_hook(hook)
    yield calls
    persons_service.on_consent_withdrawn.remove(hook)


def _consents(client, actor, pid):
    resp = client.get(f"/api/v1/persons/{pid}/consents", headers=actor.headers)
    assert resp.status_code == 200
    return resp.json()["items"]


def test_give_and_withdraw_a_sharing_consent_without_erasure(client, make_user, make_org, db, hook_calls):
    caseworker = make_user("caseworker")
    partner = make_org(kind="civil_society")
    pid = create_person(client, caseworker)["id"]
    resp = client.post(f"/api/v1/persons/{pid}/consents", headers=caseworker.headers, json=consent_body(
        purposes=["referral_sharing", "contact"], recipient_organisation_ids=[str(partner.id)],
        recipient_organisation_kinds=["civil_society", "municipality"],
        data_categories=["contact_details", "interests"]))
    assert resp.status_code == 201, resp.text
    sharing = resp.json()
    assert sharing["purposes"] == ["contact", "referral_sharing"] and sharing["status"] == "active"
    assert sharing["recipient_organisation_ids"] == [str(partner.id)]
    assert sorted(sharing["recipient_organisation_kinds"]) == ["civil_society", "municipality"]
    default_days = (utcnow() + timedelta(days=730)).date()
    assert sharing["expires_at"][:10] in {str(default_days), str(default_days - timedelta(days=1))}
    person = client.get(f"/api/v1/persons/{pid}", headers=caseworker.headers).json()
    assert person["active_consent_purposes"] == ["contact", "referral_sharing", "registration"]
    withdrawn = client.post(f"/api/v1/persons/{pid}/consents/{sharing['id']}/withdraw",
                            json={"reason": "ønsker ikke deling"}, headers=caseworker.headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawn_by"] == str(caseworker.id)
    again = client.post(f"/api/v1/persons/{pid}/consents/{sharing['id']}/withdraw", headers=caseworker.headers)
    assert again.status_code == 409
    person = client.get(f"/api/v1/persons/{pid}", headers=caseworker.headers).json()
    assert person["status"] == "active" and person["given_name"] == "Karen"
    assert person["active_consent_purposes"] == ["registration"]
    assert hook_calls == [(uuid.UUID(pid), uuid.UUID(sharing["id"]), frozenset({"contact", "referral_sharing"}),
                           "withdrawn")]
    assert len(events(db, "consent.give", subject_id=pid)) == 2
    assert len(events(db, "consent.withdraw", subject_id=pid)) == 1
    assert events(db, "person.erase", subject_id=pid) == []
    unknown = client.post(f"/api/v1/persons/{pid}/consents/{uuid.uuid4()}/withdraw", headers=caseworker.headers)
    assert unknown.status_code == 404


def test_withdrawing_registration_erases_personal_data_but_keeps_statistics(client, make_user, db, hook_calls):
    caseworker = make_user("caseworker")
    pid = create_person(client, caseworker, cpr=CPR, phone="+45 11 22 33 44", email="karen@example.dk",
                        interests=["strik"], accessibility_needs=["step_free"], notes="kort note", gender="female",
                        risk_settings=[{"code": "disability_at_home", "disability_types": ["physical"]}],
                        consent=consent_body(given_by="guardian", representative_name="Værge Eksempel",
                                             evidence_reference="journal 12"))["id"]
    url = f"/api/v1/persons/{pid}"
    client.post(f"{url}/loneliness-measurements", json={"item1": 3, "item2": 3, "item3": 2, "context": "intake"},
                headers=caseworker.headers)
    contact = client.post(f"{url}/consents", json=consent_body(purposes=["contact"]), headers=caseworker.headers)
    registration = [c for c in _consents(client, caseworker, pid) if "registration" in c["purposes"]][0]
    resp = client.post(f"{url}/consents/{registration['id']}/withdraw", headers=caseworker.headers)
    assert resp.status_code == 200 and resp.json()["status"] == "withdrawn"

    db.expire_all()
    row = db.get(Person, uuid.UUID(pid))
    assert row.status == "erased" and row.erased_at is not None
    for field in ("given_name", "family_name", "birth_date", "phone", "email", "notes", "interests",
                  "accessibility_needs", "cpr_encrypted", "cpr_hash", "gender"):
        assert getattr(row, field) is None, field
    assert (row.birth_year, row.municipality_code, row.loneliness_latest_total) == (1990, "0101", 8)
    assert db.scalars(select(PersonRiskSetting.disability_types)
                      .where(PersonRiskSetting.person_id == row.id)).all() == [["physical"]]
    assert db.scalars(select(LonelinessMeasurement.total).where(LonelinessMeasurement.person_id == row.id)).all() == [8]
    consents = db.scalars(select(Consent).where(Consent.person_id == row.id)).all()
    assert all(c.withdrawn_at is not None and c.representative_name is None and c.evidence_reference is None
               for c in consents)
    assert {c[3] for c in hook_calls} == {"withdrawn", "registration_ended"}
    assert {c[1] for c in hook_calls} == {uuid.UUID(registration["id"]), uuid.UUID(contact.json()["id"])}

    shown = client.get(url, headers=caseworker.headers).json()
    assert shown["status"] == "erased" and shown["given_name"] is None and shown["cpr"] is None
    assert shown["age_group"] == "30-49" and shown["registration_active"] is False
    erase_events = events(db, "person.erase", subject_id=pid)
    assert len(erase_events) == 1 and erase_events[0].criterion == {"cause": "registration_consent_withdrawn"}
    assert erase_events[0].purpose == "data_protection"
    etag = client.get(url, headers=caseworker.headers).headers["etag"]
    assert client.patch(url, json={"notes": "x"}, headers={**caseworker.headers, "If-Match": etag}).status_code == 409
    assert client.post(f"{url}/loneliness-measurements", json={"item1": 1, "item2": 1, "item3": 1,
                                                              "context": "follow_up"},
                       headers=caseworker.headers).status_code == 409
    assert client.post(f"{url}/consents", json=consent_body(), headers=caseworker.headers).status_code == 409
    assert client.post("/api/v1/persons/search", json={"cpr": CPR}, headers=caseworker.headers).json()["items"] == []
    # the person may be registered again (new consent, new record); the erased row is not a duplicate
    assert client.post("/api/v1/persons", json=person_body(cpr=CPR), headers=caseworker.headers).status_code == 201


def test_a_second_registration_consent_keeps_the_person(client, make_user, db):
    caseworker = make_user("caseworker")
    pid = create_person(client, caseworker)["id"]
    renewed = client.post(f"/api/v1/persons/{pid}/consents", json=consent_body(consent_text_version="2027-1"),
                          headers=caseworker.headers)
    assert renewed.status_code == 201
    old = [c for c in _consents(client, caseworker, pid) if c["consent_text_version"] == "2026-1"][0]
    client.post(f"/api/v1/persons/{pid}/consents/{old['id']}/withdraw", headers=caseworker.headers)
    person = client.get(f"/api/v1/persons/{pid}", headers=caseworker.headers).json()
    assert person["status"] == "active" and person["given_name"] == "Karen"
    assert events(db, "person.erase", subject_id=pid) == []


def test_expired_consent_counts_as_withdrawn_and_expire_is_idempotent(client, make_user, db, hook_calls):
    caseworker = make_user("caseworker")
    pid = create_person(client, caseworker, cpr=CPR)["id"]
    keep = create_person(client, caseworker, given_name="Ib", birth_date="1970-07-07")["id"]
    (consent,) = _consents(client, caseworker, pid)
    past = utcnow() - timedelta(minutes=5)
    db.execute(update(Consent).where(Consent.id == uuid.UUID(consent["id"])).values(expires_at=past))
    db.commit()

    # evaluated at request time: expired before any job has run
    shown = client.get(f"/api/v1/persons/{pid}", headers=caseworker.headers).json()
    assert shown["registration_active"] is False and shown["active_consent_purposes"] == []
    assert shown["given_name"] is None and shown["cpr"] is None and shown["status"] == "active"
    assert _consents(client, caseworker, pid)[0]["status"] == "expired"
    assert client.post("/api/v1/persons/search", json={"name": "Karen"}, headers=caseworker.headers).json()[
        "items"] == []
    listed = client.get("/api/v1/persons", headers=caseworker.headers).json()["items"]
    assert {p["id"]: p["given_name"] for p in listed} == {pid: None, keep: "Ib"}
    etag = client.get(f"/api/v1/persons/{pid}", headers=caseworker.headers).headers["etag"]
    assert client.patch(f"/api/v1/persons/{pid}", json={"notes": "x"},
                        headers={**caseworker.headers, "If-Match": etag}).status_code == 409
    assert client.post(f"/api/v1/persons/{pid}/consents", json=consent_body(),
                       headers=caseworker.headers).status_code == 409

    assert persons_service.expire_consents(db) == 1
    db.commit()
    assert persons_service.expire_consents(db) == 0
    db.commit()
    db.expire_all()
    row = db.get(Person, uuid.UUID(pid))
    assert row.status == "erased" and row.given_name is None and row.cpr_hash is None
    assert db.get(Person, uuid.UUID(keep)).status == "active"
    expiry = events(db, "consent.expire", subject_id=pid)
    assert len(expiry) == 1 and expiry[0].actor_type == "system"
    assert expiry[0].organisation_id == caseworker.organisation_id
    assert [e.criterion for e in events(db, "person.erase", subject_id=pid)] == [
        {"cause": "registration_consent_expired"}]
    assert hook_calls == [(uuid.UUID(pid), uuid.UUID(consent["id"]), frozenset({"registration"}), "expired")]
    assert db.get(Consent, uuid.UUID(consent["id"])).expired_recorded_at is not None


def test_consent_input_is_validated_and_nothing_is_written(client, make_user, db):
    caseworker = make_user("caseworker")
    pid = create_person(client, caseworker)["id"]
    before = counts(db)
    url = f"/api/v1/persons/{pid}/consents"
    cases = [
        (consent_body(purposes=[]), "purposes"),
        (consent_body(purposes=["marketing"]), "purposes.0"),
        (consent_body(purposes=["contact", "contact"]), None),
        (consent_body(given_by="legal_representative"), None),
        (consent_body(representative_name="Nogen Andre"), None),
        (consent_body(method="telepathy"), "method"),
        (consent_body(purposes=["referral_sharing"], data_categories=["interests"]), None),
        (consent_body(purposes=["referral_sharing"], recipient_organisation_kinds=["school"]), None),
        (consent_body(purposes=["contact"], recipient_organisation_kinds=["school"]), None),
        (consent_body(purposes=["referral_sharing"], recipient_organisation_kinds=["pub"],
                      data_categories=["interests"]), "recipient_organisation_kinds.0"),
        (consent_body(purposes=["referral_sharing"], recipient_organisation_ids=[str(uuid.uuid4())],
                      data_categories=["interests"]), "recipient_organisation_ids"),
        (consent_body(purposes=["contact"], expires_at="2000-01-01T00:00:00Z"), None),
        (consent_body(purposes=["contact"], given_at="2999-01-01T00:00:00Z"), None),
        (consent_body(purposes=["contact"], given_at="2020-01-01T00:00:00"), "given_at"),
        (consent_body(purposes=["contact"], given_at="2001-01-01T00:00:00Z"), "expires_at"),  # default already past
        (consent_body(purposes=["contact"], extra=True), "extra"),
    ]
    for body, field in cases:
        resp = client.post(url, json=body, headers=caseworker.headers)
        assert resp.status_code == 422, (body, resp.text)
        assert field in [e["field"] for e in resp.json()["errors"]], (field, resp.json())
    assert counts(db) == before
    assert client.post(url, json=consent_body(purposes=["research"], given_at="2026-01-01T00:00:00Z",
                                               expires_at="2099-01-01T00:00:00Z"),
                       headers=caseworker.headers).status_code == 201


def _cli(args, url):
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "TVAERS_ARGON2_TIME_COST": "1",
           "TVAERS_ARGON2_MEMORY_KIB": "64"}
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.slow
def test_consents_expire_command_against_a_sqlite_file(tmp_path):
    path = tmp_path / "consents.db"
    url = f"sqlite:///{path}"
    assert _cli(["db", "upgrade"], url).returncode == 0
    assert _cli(["seed-demo"], url).returncode == 0
    conn = sqlite3.connect(path)
    persons = conn.execute("select count(*) from person where status = 'active'").fetchone()[0]
    assert persons >= 3
    assert conn.execute("select count(*) from loneliness_measurement").fetchone()[0] >= 3
    person_id = conn.execute("select id from person where given_name = 'Ella'").fetchone()[0]
    conn.execute("update consent set expires_at = '2001-01-01 00:00:00.000000' where person_id = ?", (person_id,))
    conn.commit()
    first = _cli(["consents", "expire"], url)
    assert first.returncode == 0 and "expiry of 1 consent" in first.stdout, first.stderr
    second = _cli(["consents", "expire"], url)
    assert second.returncode == 0 and "expiry of 0 consent" in second.stdout
    status, name = conn.execute("select status, given_name from person where id = ?", (person_id,)).fetchone()
    assert (status, name) == ("erased", None)
    assert conn.execute("select count(*) from audit_event where action = 'consent.expire'").fetchone()[0] == 1
    assert conn.execute("select count(*) from person where status = 'active'").fetchone()[0] == persons - 1
