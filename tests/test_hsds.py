"""The Open Referral HSDS 3.0 export: every document validates against the official compiled schemas."""

import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, ValidationError

from tests.offers_support import CONFIDENTIAL, SECRET_ADDRESS, SECRET_POSTCODE, make_offer

__all__ = ["make_offer"]

SCHEMAS = Path(__file__).parent / "fixtures" / "hsds-3.0"


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check(name: str, doc: dict) -> None:
    validator(name).validate(doc)


def check_page(page: dict, item_schema: str) -> None:
    check("page", page)
    for item in page["contents"]:
        check(item_schema, item)


@pytest.fixture
def directory(make_org, make_offer):
    red_cross = make_org(kind="civil_society", name="Røde Kors Telefonvenner", cvr="29000042",
                         email="kontakt@example.dk", website="https://www.rodekors.dk", phone="+45 35 25 92 00",
                         address="Blegdamsvej 27", postcode="2100", city="København")
    shelter = make_org(kind="crisis_centre", name="Krisecenter Øst", address="Skjulested 1", postcode="2450",
                       city="København")
    aarhus = make_org(kind="municipality", municipality_code="0751", name="Aarhus Kommune")
    make_org(kind="school", name="Ingen tilbud endnu")
    make_offer(red_cross, title="Telefonvenner", category="phone_friend", mode="phone", nationwide=True,
               municipality_codes=[], address=None, postcode=None, city=None, languages=["da", "en", "ar"],
               accessibility=["digital_assistance", "interpreter"], capacity=None, contact_phone="+45 35 25 92 00",
               contact_name="Vagten", contact_email="telefonven@example.dk", website="https://www.rodekors.dk/tlf",
               schedule={"by_agreement": True, "notes": "Fast tid efter aftale"})
    make_offer(aarhus, title="Fællesspisning i Gellerup", municipality_codes=["0751"], address="Gudrunsvej 20",
               postcode="8220", city="Brabrand", latitude=56.1537, longitude=10.1349, cost_free=False,
               cost_text="20 kr.", risk_settings=["homelessness", "social_housing_facility"],
               schedule={"freq": "weekly", "interval": 2, "weekdays": ["TU", "TH"], "start_time": "17:30",
                         "end_time": "19:30", "valid_from": "2026-01-01", "valid_to": "2026-12-31"})
    make_offer(aarhus, title="Læsevenner", category="intergenerational", municipality_codes=["0751"],
               schedule={"freq": "monthly", "weekdays": ["TU"], "week_of_month": 1, "start_time": "13:00",
                         "end_time": "14:30"})
    make_offer(shelter, **CONFIDENTIAL)
    make_offer(aarhus, status="draft", title="Kladde i Aarhus", municipality_codes=["0751"])
    make_offer(red_cross, status="closed", title="Lukket tilbud")
    return {"red_cross": red_cross, "shelter": shelter, "aarhus": aarhus}


def test_services_list_and_every_service_validate(client, directory):
    page = client.get("/api/v1/hsds/services").json()
    check_page(page, "service_list")
    assert page["total_items"] == 4 and page["total_pages"] == 1 and page["size"] == 4
    assert page["first_page"] and page["last_page"] and not page["empty"]
    names = [s["name"] for s in page["contents"]]
    assert "Kladde i Aarhus" not in names and "Lukket tilbud" not in names
    for item in page["contents"]:
        doc = client.get(f"/api/v1/hsds/services/{item['id']}")
        assert doc.status_code == 200
        check("service", doc.json())
        assert doc.json()["status"] == "active"


def test_service_mapping_to_taxonomy_attributes_areas_schedules(client, directory):
    contents = client.get("/api/v1/hsds/services").json()["contents"]
    by_name = {s["name"]: s["id"] for s in contents}
    phone = client.get(f"/api/v1/hsds/services/{by_name['Telefonvenner']}").json()
    terms = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"]) for a in phone["attributes"]}
    assert {("tvaers-offer-category", "phone_friend"), ("tvaers-offer-mode", "phone"),
            ("tvaers-accessibility", "digital_assistance"), ("tvaers-accessibility", "interpreter")} <= terms
    assert phone["service_areas"][0]["name"] == "Danmark"
    assert [lang["code"] for lang in phone["languages"]] == ["ar", "da", "en"]
    assert phone["schedules"][0]["description"].startswith("Efter aftale") and "freq" not in phone["schedules"][0]
    assert phone["phones"][0]["number"] == "+45 35 25 92 00" and phone["cost_options"][0]["amount"] == 0
    assert phone["interpretation_services"] and phone["contacts"][0]["name"] == "Vagten"
    meal = client.get(f"/api/v1/hsds/services/{by_name['Fællesspisning i Gellerup']}").json()
    schedule = meal["schedules"][0]
    assert (schedule["freq"], schedule["interval"], schedule["byday"]) == ("WEEKLY", 2, "TU,TH")
    assert (schedule["opens_at"], schedule["closes_at"], schedule["until"]) == ("17:30", "19:30", "2026-12-31")
    assert meal["service_areas"][0]["name"] == "Aarhus" and meal["fees_description"] == "20 kr."
    address = meal["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["address_1"], address["postal_code"], address["state_province"]) == \
        ("Gudrunsvej 20", "8220", "Region Midtjylland")
    risk = {a["taxonomy_term"]["code"] for a in meal["attributes"]
            if a["taxonomy_term"]["taxonomy"] == "tvaers-risk-setting"}
    assert risk == {"homelessness", "social_housing_facility"}
    monthly = client.get(f"/api/v1/hsds/services/{by_name['Læsevenner']}").json()["schedules"][0]
    assert (monthly["freq"], monthly["byday"]) == ("MONTHLY", "1TU")


def test_confidential_locations_are_left_out_of_the_export(client, directory):
    shelter = directory["shelter"]
    listed = client.get("/api/v1/hsds/services")
    assert SECRET_ADDRESS not in listed.text
    secret = next(s for s in listed.json()["contents"] if s["name"] == CONFIDENTIAL["title"])
    doc = client.get(f"/api/v1/hsds/services/{secret['id']}")
    assert SECRET_ADDRESS not in doc.text and SECRET_POSTCODE not in json.dumps(doc.json()["service_at_locations"])
    assert doc.json()["service_at_locations"] == []
    assert "55.6553" not in doc.text
    org = client.get(f"/api/v1/hsds/organizations/{shelter.id}")
    assert org.status_code == 200 and SECRET_ADDRESS not in org.text
    assert "Skjulested" not in org.text  # the organisation's own address is never exported
    orgs = client.get("/api/v1/hsds/organizations?per_page=200")
    assert "Skjulested" not in orgs.text and SECRET_ADDRESS not in orgs.text


def test_organizations_list_and_every_organization_validate(client, directory):
    page = client.get("/api/v1/hsds/organizations").json()
    check_page(page, "organization_list")
    names = [o["name"] for o in page["contents"]]
    assert names == sorted(names) and "Ingen tilbud endnu" not in names
    assert set(names) == {"Røde Kors Telefonvenner", "Krisecenter Øst", "Aarhus Kommune"}
    for item in page["contents"]:
        doc = client.get(f"/api/v1/hsds/organizations/{item['id']}").json()
        check("organization", doc)
        for service in doc["services"]:
            check("service", service)
    red_cross = client.get(f"/api/v1/hsds/organizations/{directory['red_cross'].id}").json()
    assert [s["name"] for s in red_cross["services"]] == ["Telefonvenner"]  # the closed offer is not exported
    assert red_cross["organization_identifiers"][0] == {**red_cross["organization_identifiers"][0],
                                                        "identifier_scheme": "DK-CVR", "identifier": "29000042"}
    assert "Blegdamsvej" not in json.dumps(red_cross)


def test_hsds_paging(client, directory):
    pages = [client.get(f"/api/v1/hsds/services?per_page=3&page={n}").json() for n in (1, 2, 3)]
    for page in pages:
        check_page(page, "service_list")
    assert [p["size"] for p in pages] == [3, 1, 0]
    assert [(p["first_page"], p["last_page"], p["empty"]) for p in pages] == \
        [(True, False, False), (False, True, False), (False, True, True)]
    assert all(p["total_items"] == 4 and p["total_pages"] == 2 for p in pages)
    ids = [s["id"] for p in pages for s in p["contents"]]
    assert len(ids) == len(set(ids)) == 4
    for query in ("page=0", "per_page=0", "per_page=201", "page=x"):
        assert client.get(f"/api/v1/hsds/services?{query}").status_code == 422, query
    empty = client.get("/api/v1/hsds/organizations?page=9").json()
    check_page(empty, "organization_list")
    assert empty["empty"] and empty["contents"] == []


def test_unpublished_or_unknown_is_404(client, directory, db):
    from sqlalchemy import select

    from service.offers.models import Offer

    draft = db.scalar(select(Offer).where(Offer.title == "Kladde i Aarhus"))
    assert client.get(f"/api/v1/hsds/services/{draft.id}").status_code == 404
    school = client.get("/api/v1/hsds/organizations").json()
    assert all(o["name"] != "Ingen tilbud endnu" for o in school["contents"])
    assert client.get("/api/v1/hsds/services/not-a-uuid").status_code == 422


def test_the_validator_is_not_a_rubber_stamp():
    with pytest.raises(ValidationError):
        check("service", {"id": "8d0cd3a6-3d9d-4c5c-9a5d-8a6f1e5f3c3e", "status": "active"})  # no name
    with pytest.raises(ValidationError):
        check("service", {"id": "not-a-uuid", "name": "X", "status": "active"})
    with pytest.raises(ValidationError):
        check("service", {"id": "8d0cd3a6-3d9d-4c5c-9a5d-8a6f1e5f3c3e", "name": "X", "status": "open"})
    with pytest.raises(ValidationError):
        check("page", {"total_items": 1, "contents": []})
