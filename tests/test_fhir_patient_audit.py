"""Regression (found by the access matrix): a provider-role caller (referrals:receive / contacts:manage, no
persons:manage) asking the FHIR door for a person not referred to it got its 404 — but no denied audit event,
where every other refused read of a person is audited. Both the read and the search by `_id` are audited now."""

from sqlalchemy import select

from service.audit.models import AuditEvent
from tests.fhir_support import fhir, issue_code, resources
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401

R4 = "/fhir/R4"


def _denied_reads(w: World, person_id: str) -> int:
    w.db.expire_all()
    return len(list(w.db.scalars(select(AuditEvent).where(
        AuditEvent.action == "person.read", AuditEvent.outcome == "denied", AuditEvent.subject_id == person_id))))


def test_a_provider_role_refused_a_patient_is_audited(world: World):
    w = world
    person = w.person()
    w.refer(person)  # referred to B: C's coordinator is no party
    assert issue_code(w.client.get(f"{R4}/Patient/{person['id']}", headers=w.outsider.headers), 404)
    assert _denied_reads(w, person["id"]) == 1
    found = fhir(w.client.get(f"{R4}/Patient", params={"_id": person["id"]}, headers=w.outsider.headers))
    assert resources(found) == [] and _denied_reads(w, person["id"]) == 2
    # A's caseworker (persons:manage) is not a provider: persons/service audits it once, not twice
    assert fhir(w.client.get(f"{R4}/Patient/{person['id']}", headers=w.caseworker.headers))["id"] == person["id"]
    assert _denied_reads(w, person["id"]) == 2
