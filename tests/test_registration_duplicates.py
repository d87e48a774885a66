"""The database keeps one active registration per person and organisation; the service's look-up only answers
the usual case early. (Fifty real concurrent registrations: tests/test_concurrent_writers.py.)"""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from service.core.types import utcnow
from service.persons import service as persons
from service.persons.duplicates import name_key
from service.persons.models import Consent, Person
from tests.persons_helpers import CPR, counts, create_person, events, person_body


def _blind_first_look(monkeypatch: Any) -> None:
    """The race, deterministically: the first duplicate look-up misses the rival (as if it had not committed
    yet), so only the unique index stands between the request and a duplicate."""
    real = persons._find_duplicate
    calls = {"n": 0}

    def blind(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args, **kwargs)

    monkeypatch.setattr(persons, "_find_duplicate", blind)
    # the possible-duplicate look-up (persons.similar) cannot see the uncommitted rival either
    monkeypatch.setattr(persons.similar, "candidates", lambda *args, **kwargs: [])


@pytest.mark.parametrize("rival", [{"cpr": CPR, "given_name": "Anden", "family_name": "Person"},
                                   {"given_name": "KAREN", "family_name": " eksempel "}])
def test_a_registration_that_loses_the_race_gets_the_documented_409(client, make_user, db, monkeypatch, rival):
    caseworker = make_user("caseworker")
    first = create_person(client, caseworker, cpr=CPR)
    before = counts(db)
    _blind_first_look(monkeypatch)
    lost = client.post("/api/v1/persons", json=person_body(**rival), headers=caseworker.headers)
    assert lost.status_code == 409, lost.text
    problem = lost.json()
    assert problem["existing_id"] == first["id"] and problem["errors"][0]["code"] == "duplicate"
    assert CPR not in lost.text and "Karen" not in lost.text
    assert counts(db) == before


def test_a_change_that_loses_the_race_gets_the_documented_409_and_changes_nothing(client, make_user, db,
                                                                                  monkeypatch):
    caseworker = make_user("caseworker")
    first = create_person(client, caseworker, cpr=CPR)
    other = create_person(client, caseworker, given_name="Ole", birth_date="1990-01-02")
    _blind_first_look(monkeypatch)
    clash = client.patch(f"/api/v1/persons/{other['id']}", json={"given_name": "Karen", "birth_date": "1990-01-01"},
                         headers={**caseworker.headers, "If-Match": '"1"'})
    assert clash.status_code == 409 and clash.json()["existing_id"] == first["id"], clash.text
    db.expire_all()
    row = db.get(Person, uuid.UUID(other["id"]))
    assert row is not None and row.given_name == "Ole" and row.version == 1


def test_the_index_refuses_a_duplicate_written_past_the_service(db, make_org):
    """The rule holds in the database itself, whatever code writes the row."""
    org = make_org()
    key = name_key("Åse", "Ørsted", utcnow().date())
    db.add(Person(organisation_id=org.id, given_name="Åse", family_name="Ørsted", birth_year=1990,
                  municipality_code="0101", cpr_hash="h" * 64, name_key=key))
    db.flush()
    for clash in ({"cpr_hash": "h" * 64}, {"name_key": key}):
        with pytest.raises(IntegrityError), db.begin_nested():
            db.add(Person(organisation_id=org.id, birth_year=1990, municipality_code="0101", **clash))
            db.flush()
    # an erased person holds neither, and another organisation is another register
    db.add(Person(organisation_id=make_org().id, birth_year=1990, municipality_code="0101", cpr_hash="h" * 64))
    db.add(Person(organisation_id=org.id, birth_year=1990, municipality_code="0101", status="erased"))
    db.flush()


def test_names_are_compared_case_folded_and_normalised():
    born = utcnow().date()
    assert name_key("Åse", "Ørsted", born) == name_key("åSE", " ØRSTED ", born) == name_key("ÅSE", "ørsted", born)
    assert name_key("Strauß", "Ä", born) == name_key("STRAUSS", "ä", born)  # casefold, not just lower
    assert name_key("Åse Marie", "Ørsted", born) == name_key("Åse  Marie", "Ørsted", born)
    assert name_key("Åse", "Ørsted", born) != name_key("Åse", "Ørsted", born - timedelta(days=1))
    assert name_key("Åse", "Ørsted", None) is None


def test_a_lapsed_registration_not_yet_processed_does_not_block_a_new_one(client, make_user, db):
    """Its expiry is due anyway: it is settled on the spot (recorded, erased) and the new registration is made."""
    caseworker = make_user("caseworker")
    old = create_person(client, caseworker, cpr=CPR)
    db.execute(update(Consent).where(Consent.person_id == uuid.UUID(old["id"]))
               .values(expires_at=utcnow() - timedelta(days=1)))
    db.commit()
    again = client.post("/api/v1/persons", json=person_body(cpr=CPR), headers=caseworker.headers)
    assert again.status_code == 201, again.text
    db.expire_all()
    assert db.get(Person, uuid.UUID(old["id"])).status == "erased"  # type: ignore[union-attr]
    assert len(events(db, "consent.expire", subject_id=old["id"])) == 1
    assert len(events(db, "person.erase", subject_id=old["id"])) == 1


def test_an_erased_person_can_be_registered_again(client, make_user):
    caseworker = make_user("caseworker")
    old = create_person(client, caseworker, cpr=CPR)
    consent = client.get(f"/api/v1/persons/{old['id']}/consents", headers=caseworker.headers).json()["items"][0]
    assert client.post(f"/api/v1/persons/{old['id']}/consents/{consent['id']}/withdraw", json={},
                       headers=caseworker.headers).status_code == 200
    again = client.post("/api/v1/persons", json=person_body(cpr=CPR), headers=caseworker.headers)
    assert again.status_code == 201 and again.json()["id"] != old["id"]
