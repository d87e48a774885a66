"""The consent gate checked against a model (issue 10).

Hypothesis generates providers of several kinds, persons, their consents (purposes, recipients by id and by
kind, data categories, no expiry / future / past expiry, withdrawal — set directly, as if no nightly job had run
yet, and narrowing as a consent that names fewer recipients) and referrals in several states. A small reference
model below says what each provider may see; the service — REST and GraphQL — must agree on every case:

- the referral is visible to the provider (inbox, GET, GraphQL `referral`) iff the person has a live
  *registration* consent and a live `referral_sharing` consent naming the provider by id or by kind;
- its person summary is shown iff, besides, the referral is open or closed with an outcome, and then shows
  exactly the categories the referrer chose ∩ those the live naming consents allow, contact details only with
  a live `contact` consent.

Bounded: `TVAERS_CONSENT_MODEL_EXAMPLES` examples (default 25), derandomized in CI (`CI` set).
"""

import os
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.core.permissions import permissions_for
from service.core.security import issue_token
from service.core.types import utcnow
from service.offers.models import Offer
from service.organisations.models import Organisation
from service.persons.models import Consent, ConsentPurposeRow, ConsentRecipient, Person
from service.referrals.models import Referral
from service.users.models import User

KINDS = ["civil_society", "shelter", "school"]
CATEGORIES = ["contact_details", "risk_settings", "accessibility_needs", "interests", "loneliness_scores"]
PURPOSES = ["registration", "referral_sharing", "contact"]
STATES = ["sent", "declined", "withdrawn", "expired"]
SUMMARY_STATES = {"sent"}  # of the generated states, those in which the provider sees the summary
EXAMPLES = int(os.environ.get("TVAERS_CONSENT_MODEL_EXAMPLES", "25"))

consents = st.fixed_dictionaries({
    "purposes": st.sets(st.sampled_from(PURPOSES), min_size=1),
    "recipient_ids": st.sets(st.integers(0, 2), max_size=2),  # providers by index
    "recipient_kinds": st.sets(st.sampled_from(KINDS), max_size=2),
    "categories": st.sets(st.sampled_from(CATEGORIES), max_size=5),
    "expiry": st.sampled_from(["none", "future", "past"]),
    "withdrawn": st.booleans(),
})
persons = st.fixed_dictionaries({
    "consents": st.lists(consents, min_size=1, max_size=3),
    # per provider: no referral, or one in a state with the categories the referrer chose
    "referrals": st.lists(st.none() | st.tuples(st.sampled_from(STATES), st.sets(st.sampled_from(CATEGORIES))),
                          min_size=3, max_size=3),
})
cases = st.fixed_dictionaries({"kinds": st.lists(st.sampled_from(KINDS), min_size=3, max_size=3),
                               "persons": st.lists(persons, min_size=1, max_size=2)})


# --- the reference model -------------------------------------------------------------------------------

def _live(c: dict[str, Any]) -> bool:
    return not c["withdrawn"] and c["expiry"] != "past"


def model(case: dict[str, Any], person: dict[str, Any], provider: int) -> tuple[bool, set[str] | None]:
    """(may the provider see the referral, the categories of its summary — None: no summary)."""
    live = [c for c in person["consents"] if _live(c)]
    if not any("registration" in c["purposes"] for c in live):
        return False, None
    naming = [c for c in live if "referral_sharing" in c["purposes"]
              and (provider in c["recipient_ids"] or case["kinds"][provider] in c["recipient_kinds"])]
    if not naming:
        return False, None
    status, chosen = person["referrals"][provider]
    allowed = set().union(*(c["categories"] for c in naming))
    if status not in SUMMARY_STATES or not allowed:
        return True, None
    shown = allowed & chosen
    if not any("contact" in c["purposes"] for c in live):
        shown.discard("contact_details")
    return True, shown


# --- arranging the generated case in the database --------------------------------------------------------

def _arrange(db: Any, case: dict[str, Any]) -> tuple[list[dict[str, str]], list[list[str | None]]]:
    now = utcnow()
    referrer = Organisation(name=f"Kommune {uuid.uuid4().hex[:6]}", kind="municipality", municipality_code="0101")
    providers = [Organisation(name=f"Udbyder {i} {uuid.uuid4().hex[:6]}", kind=kind, municipality_code="0101")
                 for i, kind in enumerate(case["kinds"])]
    db.add_all([referrer, *providers])
    db.flush()
    coordinators = [User(username=f"k-{uuid.uuid4().hex[:10]}", password_hash="x", organisation_id=p.id,
                         role="coordinator") for p in providers]
    caseworker = User(username=f"c-{uuid.uuid4().hex[:10]}", password_hash="x", organisation_id=referrer.id,
                      role="caseworker")
    offers = [Offer(organisation_id=p.id, title="Telefonven", description="Vi ringer", category="phone_friend",
                    mode="phone", nationwide=True, status="published", published_at=now) for p in providers]
    db.add_all([*coordinators, caseworker, *offers])
    db.flush()
    referral_ids: list[list[str | None]] = []
    for spec in case["persons"]:
        person = Person(organisation_id=referrer.id, given_name="Karen", family_name="Modelsen", birth_year=1950,
                        municipality_code="0101", phone="+45 12 34 56 78", interests=["strik"])
        db.add(person)
        db.flush()
        for c in spec["consents"]:
            expires = {"none": None, "future": now + timedelta(days=30), "past": now - timedelta(seconds=1)}
            consent = Consent(person_id=person.id, data_categories=sorted(c["categories"]), given_by="self",
                              method="written", consent_text_version="2026-1", recorded_by=caseworker.id,
                              given_at=now - timedelta(days=1), expires_at=expires[c["expiry"]],
                              withdrawn_at=now - timedelta(seconds=1) if c["withdrawn"] else None)
            db.add(consent)
            db.flush()
            db.add_all([ConsentPurposeRow(consent_id=consent.id, purpose=p) for p in sorted(c["purposes"])])
            db.add_all([ConsentRecipient(consent_id=consent.id, organisation_id=providers[i].id)
                        for i in sorted(c["recipient_ids"])])
            db.add_all([ConsentRecipient(consent_id=consent.id, organisation_kind=k)
                        for k in sorted(c["recipient_kinds"])])
        row: list[str | None] = []
        for i, referral in enumerate(spec["referrals"]):
            if referral is None:
                row.append(None)
                continue
            status, chosen = referral
            r = Referral(person_id=person.id, offer_id=offers[i].id, referring_organisation_id=referrer.id,
                         provider_organisation_id=providers[i].id, created_by=caseworker.id, status=status,
                         shared_categories=sorted(chosen),
                         reason_code={"declined": "not_eligible", "withdrawn": "person_declined",
                                      "expired": "sla_expired"}.get(status),
                         closed_at=None if status == "sent" else now)
            db.add(r)
            row.append(str(r.id))
        referral_ids.append(row)
    db.commit()
    headers = []
    for u, p in zip(coordinators, providers, strict=True):
        token, _ = issue_token(sub=f"user:{u.id}", org=str(p.id), role="coordinator",
                               scope=" ".join(sorted(permissions_for("coordinator"))), cv=u.credentials_version)
        headers.append({"Authorization": f"Bearer {token}"})
    return headers, referral_ids


GQL = "query($id: UUID!) { referral(id: $id) { id person { sharedCategories phone } } }"


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases)
def test_the_service_agrees_with_the_consent_model(client, db, connection, case):
    savepoint = connection.begin_nested()
    try:
        headers, referral_ids = _arrange(db, case)
        for provider, h in enumerate(headers):
            inbox = client.get("/api/v1/referrals", params={"direction": "received", "limit": 100}, headers=h)
            assert inbox.status_code == 200, inbox.text
            seen = {r["id"]: r for r in inbox.json()["items"]}
            expected_inbox = set()
            for person, ids in zip(case["persons"], referral_ids, strict=True):
                rid = ids[provider]
                if rid is None:
                    continue
                visible, shown = model(case, person, provider)
                if visible:
                    expected_inbox.add(rid)
                one = client.get(f"/api/v1/referrals/{rid}", headers=h)
                assert one.status_code == (200 if visible else 404), (one.text, person, provider)
                graph = client.post("/graphql", json={"query": GQL, "variables": {"id": rid}}, headers=h).json()
                assert "errors" not in graph, graph
                node = graph["data"]["referral"]
                assert (node is not None) == visible, (graph, person, provider)
                if not visible:
                    continue
                rest_person, gql_person = one.json()["person"], node["person"]
                if shown is None:
                    assert rest_person is None and gql_person is None, (rest_person, person, provider)
                    continue
                assert rest_person is not None and gql_person is not None, (person, provider)
                assert set(rest_person["shared_categories"]) == shown, (rest_person, person, provider)
                assert set(gql_person["sharedCategories"]) == shown
                assert (rest_person["phone"] is not None) == ("contact_details" in shown)
                assert (gql_person["phone"] is not None) == ("contact_details" in shown)
                assert seen.get(rid, {}).get("person") == rest_person
            assert set(seen) == expected_inbox, (case, provider)
    finally:
        savepoint.rollback()
        db.expunge_all()
