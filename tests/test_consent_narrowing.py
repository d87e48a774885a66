"""Withdrawing a consent per purpose and per recipient: the consent ends, a successor records what remains
(history kept), and the cascade follows what is live afterwards — referrals to a removed recipient are
withdrawn, a removed registration erases. A property test checks the API against a small reference model."""

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from service.persons.models import Consent
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import ALL_CATEGORIES, World, world_fixture  # noqa: F401


def _consent(w: World, pid: str) -> dict:
    return w.client.get(f"/api/v1/persons/{pid}/consents", headers=w.caseworker.headers).json()["items"]


def _withdraw(w: World, pid: str, cid: str, actor=None, **body):
    return w.client.post(f"/api/v1/persons/{pid}/consents/{cid}/withdraw", json=body,
                         headers=(actor or w.caseworker).headers)


def test_withdrawing_one_purpose_keeps_the_rest_as_a_successor(world):
    w = world
    person = w.person()
    referral = w.refer(person)
    original = _consent(w, person["id"])[0]
    resp = _withdraw(w, person["id"], original["id"], purposes=["contact"], reason="vil ikke ringes op")
    assert resp.status_code == 200, resp.text
    ended = resp.json()
    assert ended["status"] == "withdrawn" and ended["withdrawal_reason"] == "vil ikke ringes op"
    consents = {c["id"]: c for c in _consent(w, person["id"])}
    successor = consents[ended["replaced_by_consent_id"]]
    assert successor["replaces_consent_id"] == original["id"] and successor["status"] == "active"
    assert successor["purposes"] == ["outcome_followup", "referral_sharing", "registration"]
    assert successor["recipient_organisation_ids"] == [str(w.org_b.id)]
    assert successor["data_categories"] == original["data_categories"]
    assert successor["given_at"] == original["given_at"] and successor["expires_at"] == original["expires_at"]
    now = w.client.get(f"/api/v1/persons/{person['id']}", headers=w.caseworker.headers).json()
    assert now["status"] == "active" and "contact" not in now["active_consent_purposes"]
    assert w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.coordinator.headers).json()["status"] == "sent"
    shared = w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.coordinator.headers).json()["person"]
    assert shared["phone"] is None, "contact details need the contact purpose"


def test_withdrawing_one_recipient_withdraws_only_its_referrals(world, make_offer):  # noqa: F811
    w = world
    other_offer = make_offer(w.org_c, capacity=3, title="Gåtur", category="walk_and_talk")
    person = w.person(recipients=[str(w.org_b.id), str(w.org_c.id)])
    to_b, to_c = w.refer(person), w.refer(person, offer=other_offer)
    w.drive(to_b["id"], "accepted")
    assert w.seats() == 1
    original = _consent(w, person["id"])[0]
    resp = _withdraw(w, person["id"], original["id"], recipient_organisation_ids=[str(w.org_b.id)])
    assert resp.status_code == 200, resp.text
    assert w.client.get(f"/api/v1/referrals/{to_b['id']}", headers=w.coordinator.headers).status_code == 404
    mine = w.client.get(f"/api/v1/referrals/{to_b['id']}", headers=w.caseworker.headers).json()
    assert mine["status"] == "withdrawn" and mine["reason_code"] == "consent_withdrawn"
    assert w.seats() == 0
    assert w.client.get(f"/api/v1/referrals/{to_c['id']}", headers=w.outsider.headers).json()["status"] == "sent"
    successor = [c for c in _consent(w, person["id"]) if c["status"] == "active"][0]
    assert successor["recipient_organisation_ids"] == [str(w.org_c.id)]
    assert "referral_sharing" in successor["purposes"]


def test_removing_the_last_recipient_removes_sharing(world):
    w = world
    person = w.person(kinds=["civil_society"])
    original = _consent(w, person["id"])[0]
    resp = _withdraw(w, person["id"], original["id"], recipient_organisation_kinds=["civil_society"])
    successor = [c for c in _consent(w, person["id"]) if c["id"] == resp.json()["replaced_by_consent_id"]][0]
    assert successor["purposes"] == ["contact", "outcome_followup", "registration"]
    assert successor["recipient_organisation_kinds"] == [] and successor["data_categories"] == []


def test_withdrawing_the_registration_purpose_erases(world):
    w = world
    person = w.person()
    original = _consent(w, person["id"])[0]
    assert _withdraw(w, person["id"], original["id"], purposes=["registration"]).status_code == 200
    after = w.client.get(f"/api/v1/persons/{person['id']}", headers=w.caseworker.headers).json()
    assert after["status"] == "erased" and after["given_name"] is None
    assert all(c["status"] == "withdrawn" for c in _consent(w, person["id"]))


def test_refusals_change_nothing(world):
    w = world
    person = w.person(purposes=["contact"])
    original = _consent(w, person["id"])[0]
    before = w.db.scalar(select(func.count()).select_from(Consent))
    cases = [
        (w.caseworker, {"purposes": ["research"]}, 422),
        (w.caseworker, {"recipient_organisation_ids": [str(uuid.uuid4())]}, 422),
        (w.caseworker, {"purposes": ["contact", "contact"]}, 422),
        (w.caseworker, {"purposes": ["bogus"]}, 422),
        (w.outsider_caseworker, {"purposes": ["contact"]}, 404),
        (w.coordinator, {"purposes": ["contact"]}, 403),
    ]
    for actor, body, status in cases:
        assert _withdraw(w, person["id"], original["id"], actor=actor, **body).status_code == status, body
    w.db.expire_all()
    assert w.db.scalar(select(func.count()).select_from(Consent)) == before
    assert _consent(w, person["id"])[0]["status"] == "active"
    assert _withdraw(w, person["id"], original["id"], purposes=["contact"]).status_code == 200
    assert _withdraw(w, person["id"], original["id"], purposes=["contact"]).status_code == 409


def test_graphql_narrowed_withdrawal(world, gql):
    w = world
    person = w.person()
    original = _consent(w, person["id"])[0]
    result = gql("""mutation($p: UUID!, $c: UUID!) { withdrawConsent(personId: $p, consentId: $c,
                    purposes: [outcome_followup]) { ... on Consent { status replacedByConsentId }
                    ... on Problem { problemStatus: status detail } } }""",
                 {"p": person["id"], "c": original["id"]}, w.caseworker)
    assert "errors" not in result, result
    data = result["data"]["withdrawConsent"]
    assert data["status"] == "withdrawn" and data["replacedByConsentId"]
    bad = gql("""mutation($p: UUID!, $c: UUID!) { withdrawConsent(personId: $p, consentId: $c, purposes: [research])
                 { ... on Problem { status } } }""", {"p": person["id"], "c": data["replacedByConsentId"]},
              w.caseworker)
    assert bad["data"]["withdrawConsent"] == {"status": 422}


PURPOSES = ["contact", "outcome_followup", "research"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.sets(st.sampled_from(PURPOSES)), sharing=st.booleans(),
       ids=st.sets(st.integers(0, 2), min_size=1), kinds=st.sets(st.sampled_from(["civil_society", "school"])),
       drop_purposes=st.sets(st.sampled_from(["registration", "referral_sharing", *PURPOSES])),
       drop_ids=st.sets(st.integers(0, 2)), drop_kinds=st.sets(st.sampled_from(["civil_society", "school"])))
def test_narrowing_matches_a_reference_model(world, extra, sharing, ids, kinds, drop_purposes, drop_ids,
                                             drop_kinds):
    w = world
    orgs = [w.org_a.id, w.org_b.id, w.org_c.id]
    purposes = {"registration", *extra} | ({"referral_sharing"} if sharing else set())
    held_ids = {str(orgs[i]) for i in ids} if sharing else set()
    held_kinds = set(kinds) if sharing else set()
    person = w.person(purposes=sorted(purposes - {"registration"}), recipients=sorted(held_ids) or None,
                      kinds=sorted(held_kinds) or None, categories=["interests"], given_name=f"K{uuid.uuid4().hex[:8]}")
    original = _consent(w, person["id"])[0]
    body = {"purposes": sorted(drop_purposes) or None,
            "recipient_organisation_ids": sorted(str(orgs[i]) for i in drop_ids) or None,
            "recipient_organisation_kinds": sorted(drop_kinds) or None}
    body = {k: v for k, v in body.items() if v}
    resp = _withdraw(w, person["id"], original["id"], **body)

    # the reference model
    asked_ids = set(body.get("recipient_organisation_ids", []))
    if not (set(body.get("purposes", [])) <= purposes and asked_ids <= held_ids
            and set(body.get("recipient_organisation_kinds", [])) <= held_kinds):
        assert resp.status_code == 422, (body, resp.text)
        return
    assert resp.status_code == 200, resp.text
    keep = purposes - set(body.get("purposes", [])) if body else set()
    keep_ids, keep_kinds = held_ids - asked_ids, held_kinds - set(body.get("recipient_organisation_kinds", []))
    if "referral_sharing" not in keep or not (keep_ids or keep_kinds):
        keep.discard("referral_sharing")
        keep_ids, keep_kinds = set(), set()
    consents = _consent(w, person["id"])
    active = [c for c in consents if c["status"] == "active"]
    if "registration" not in keep:
        assert active == [], "no registration left: the person is erased and every consent ends"
        assert w.client.get(f"/api/v1/persons/{person['id']}", headers=w.caseworker.headers).json()["status"] \
            == "erased"
        return
    assert len(active) == 1 and active[0]["replaces_consent_id"] == original["id"]
    assert set(active[0]["purposes"]) == keep
    assert set(active[0]["recipient_organisation_ids"]) == keep_ids
    assert set(active[0]["recipient_organisation_kinds"]) == keep_kinds
