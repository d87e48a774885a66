"""The provider's referral summary names who to call back at the referring organisation and the language to
speak with the person — the language only within the consent's `contact_details` category (both ways)."""

import pytest

from tests.offers_support import make_offer  # noqa: F401  (fixture)
from tests.referrals_support import World, world_fixture  # noqa: F401  (fixture)

CALLBACK = {"referrer_contact_name": "Sagsbehandler Mette Holm", "referrer_contact_phone": "+45 33 66 99 00",
            "referrer_contact_email": "mette.holm@kommune.example.org"}
GQL = """query($id: UUID!) { referral(id: $id) { person { sharedCategories preferredLanguage phone
  referrerContactName referrerContactPhone referrerContactEmail } } }"""


@pytest.mark.parametrize("consented,shared,language_shown", [
    (["contact_details", "interests"], ["contact_details", "interests"], True),
    (["interests"], ["interests"], False),  # the consent does not cover contact details
    (["contact_details", "interests"], ["interests"], False),  # the referrer did not share them
])
def test_the_summary_carries_the_callback_contact_and_the_language_within_the_consent(world: World, gql,
                                                                                      consented, shared,
                                                                                      language_shown):
    person = world.person(categories=consented, preferred_language="ar")
    referral = world.refer(person, shared_categories=shared, **CALLBACK)
    rest = world.client.get(f"/api/v1/referrals/{referral['id']}", headers=world.coordinator.headers).json()
    summary = rest["person"]
    assert summary["preferred_language"] == ("ar" if language_shown else None)
    assert (summary["phone"] is not None) == language_shown
    assert {k: summary[k] for k in CALLBACK} == CALLBACK
    node = gql(GQL, {"id": referral["id"]}, world.coordinator)["data"]["referral"]["person"]
    assert node["preferredLanguage"] == ("ar" if language_shown else None)
    assert node["referrerContactName"] == CALLBACK["referrer_contact_name"]
    assert node["referrerContactPhone"] == CALLBACK["referrer_contact_phone"]


def test_without_a_live_consent_neither_the_person_nor_the_callback_contact_is_shown(world: World):
    person = world.person(preferred_language="ar")
    referral = world.refer(person, shared_categories=["contact_details"], **CALLBACK)
    consent = world.client.get(f"/api/v1/persons/{person['id']}/consents",
                               headers=world.caseworker.headers).json()["items"][0]
    # the sharing purpose ends (the registration stays): the referral is withdrawn, the provider sees no summary
    narrowed = world.client.post(f"/api/v1/persons/{person['id']}/consents/{consent['id']}/withdraw",
                                 json={"purposes": ["referral_sharing"]}, headers=world.caseworker.headers)
    assert narrowed.status_code == 200, narrowed.text
    read = world.client.get(f"/api/v1/referrals/{referral['id']}", headers=world.coordinator.headers)
    assert read.status_code == 404 or read.json()["person"] is None
    assert "Mette" not in read.text and '"ar"' not in read.text


def test_the_callback_contact_is_validated(world: World):
    person = world.person()
    resp = world.client.post("/api/v1/referrals", headers=world.caseworker.headers, json={
        "person_id": person["id"], "offer_id": str(world.offer.id), "referrer_contact_phone": "ring mig"})
    assert resp.status_code == 422 and "ring mig" not in resp.text
