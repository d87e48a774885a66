"""The HSDS 3.0 API as its OpenAPI defines it: `/`, `/services` with search, taxonomy_term_id, taxonomy_id,
organization_id, modified_after, minimal/full and paging, `/taxonomies`, `/taxonomy_terms`,
`/service_at_locations`; unknown parameters are 400; texts in Danish; every document validates against the
HSDS schemas."""

import json
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from sqlalchemy import update

from service.core.types import utcnow
from service.offers.models import Offer
from service.reference.models import RiskSetting
from tests.offers_support import CONFIDENTIAL, SECRET_ADDRESS, make_offer  # noqa: F401  (fixture)
from tests.test_hsds import SCHEMAS, check, check_page, directory  # noqa: F401  (fixture)

H = "/api/v1/hsds"


@cache
def _nested(name: str) -> Draft202012Validator:
    """taxonomy_term and taxonomy as the compiled (official) service schema defines them."""
    service = json.loads((SCHEMAS / "service.json").read_text())
    term = service["properties"]["attributes"]["items"]["properties"]["taxonomy_term"]
    schema = term if name == "taxonomy_term" else term["properties"]["taxonomy_detail"]
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _page_of(client: Any, url: str, item: str) -> dict[str, Any]:
    resp = client.get(url)
    assert resp.status_code == 200, resp.text
    page = resp.json()
    if item in ("taxonomy_term", "taxonomy"):
        check("page", page)
        for doc in page["contents"]:
            _nested(item).validate(doc)
    else:
        check_page(page, item)
    return page


def _names(page: dict[str, Any]) -> set[str]:
    return {s["name"] for s in page["contents"]}


def test_api_info(client):
    info = client.get(f"{H}/").json()
    assert info["version"] == "3.0" and info["openapi_url"].endswith("/openapi.json") and info["profile"]


def test_services_filters_as_specified(client, directory, db):  # noqa: F811
    everything = _names(_page_of(client, f"{H}/services", "service_list"))
    assert len(everything) == 4
    assert _names(_page_of(client, f"{H}/services?search=gellerup", "service_list")) == {"Fællesspisning i Gellerup"}
    aarhus = directory["aarhus"].id
    assert _names(_page_of(client, f"{H}/services?organization_id={aarhus}", "service_list")) == {
        "Fællesspisning i Gellerup", "Læsevenner"}
    assert _page_of(client, f"{H}/services?organization_id=unknown", "service_list")["empty"]
    terms = _page_of(client, f"{H}/taxonomy_terms?per_page=200", "taxonomy_term")["contents"]
    phone = next(t for t in terms if (t["taxonomy"], t["code"]) == ("tvaers-offer-category", "phone_friend"))
    assert _names(_page_of(client, f"{H}/services?taxonomy_term_id={phone['id']}", "service_list")) == {
        "Telefonvenner"}
    housing = next(t for t in terms if t["code"] == "social_housing_facility")
    assert _names(_page_of(client, f"{H}/services?taxonomy_term_id={housing['id']}", "service_list")) == {
        "Fællesspisning i Gellerup"}
    interpreter = next(t for t in terms if t["code"] == "interpreter")
    assert _names(_page_of(client, f"{H}/services?taxonomy_term_id={interpreter['id']}&taxonomy_id="
                                   f"{interpreter['taxonomy_id']}", "service_list")) == {"Telefonvenner"}
    assert _page_of(client, f"{H}/services?taxonomy_term_id=unknown", "service_list")["empty"]
    assert _page_of(client, f"{H}/services?taxonomy_id=unknown", "service_list")["empty"]
    # modified_after: on or after; a date means its midnight (UTC)
    db.execute(update(Offer).where(Offer.title == "Læsevenner").values(updated_at=utcnow() - timedelta(days=30)))
    db.commit()
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    assert "Læsevenner" not in _names(_page_of(client, f"{H}/services?modified_after={since}", "service_list"))
    assert len(_names(_page_of(client, f"{H}/services?modified_after=2000-01-01T00:00:00Z", "service_list"))) == 4
    assert client.get(f"{H}/services?modified_after=yesterday").status_code == 422


def test_minimal_and_full(client, directory):  # noqa: F811
    minimal = client.get(f"{H}/services?minimal=true").json()
    check("page", minimal)
    assert minimal["total_items"] == 4 and all(set(s) == {"id", "last_modified"} for s in minimal["contents"])
    full = client.get(f"{H}/services?full=true&per_page=2").json()
    check("page", full)
    for doc in full["contents"]:
        check("service", doc)
        assert "attributes" in doc and "schedules" in doc
    assert full["size"] == 2 and not full["last_page"]
    orgs = client.get(f"{H}/organizations?full=true&full_service=true").json()
    for org in orgs["contents"]:
        check("organization", org)
        assert all("attributes" in s for s in org["services"])
    assert _names(client.get(f"{H}/organizations?search=røde").json()) == {"Røde Kors Telefonvenner"}


def test_texts_are_in_the_directorys_language(client, directory, db):  # noqa: F811
    label = db.get(RiskSetting, "homelessness").label_da
    meal = next(s for s in client.get(f"{H}/services?search=gellerup&full=true").json()["contents"])
    assert label in meal["eligibility_description"]
    phone = client.get(f"{H}/services?search=telefonvenner&full=true").json()["contents"][0]
    assert phone["fees_description"] == "Gratis" and phone["service_areas"][0]["description"] == "Hele landet"
    for term in client.get(f"{H}/taxonomy_terms?per_page=200").json()["contents"]:
        assert term["language"] == "da"
    texts = json.dumps(client.get(f"{H}/services?full=true&per_page=200").json(), ensure_ascii=False)
    assert "free of charge" not in texts and "by agreement" not in texts and "nationwide" not in texts


def test_taxonomies_and_terms(client, directory):  # noqa: F811
    taxonomies = _page_of(client, f"{H}/taxonomies", "taxonomy")["contents"]
    assert len(taxonomies) == 4
    one = client.get(f"{H}/taxonomies/{taxonomies[0]['id']}")
    assert one.status_code == 200 and one.json() == taxonomies[0]
    terms = _page_of(client, f"{H}/taxonomy_terms?taxonomy_id={taxonomies[1]['id']}", "taxonomy_term")
    assert {t["taxonomy"] for t in terms["contents"]} == {taxonomies[1]["name"]}
    term = terms["contents"][0]
    assert client.get(f"{H}/taxonomy_terms/{term['id']}").json() == term
    assert _page_of(client, f"{H}/taxonomy_terms?parent_id={term['id']}", "taxonomy_term")["empty"]
    assert client.get(f"{H}/taxonomies/nope").status_code == 404
    assert client.get(f"{H}/taxonomy_terms/nope").status_code == 404


def test_service_at_locations(client, directory):  # noqa: F811
    page = _page_of(client, f"{H}/service_at_locations", "service_at_location_list")
    assert page["total_items"] == 2  # the phone service has no place; the shelter's is confidential
    everything = client.get(f"{H}/service_at_locations?full=true").json()
    assert SECRET_ADDRESS not in json.dumps(everything) and CONFIDENTIAL["title"] not in json.dumps(everything)
    assert {s["service"]["name"] for s in everything["contents"]} == {"Fællesspisning i Gellerup", "Læsevenner"}
    full = everything["contents"][0]
    check("service_at_location", full)
    one = client.get(f"{H}/service_at_locations/{full['id']}")
    assert one.status_code == 200 and one.json()["id"] == full["id"]
    check("service_at_location", one.json())
    assert client.get(f"{H}/service_at_locations/nope").status_code == 404
    assert _page_of(client, f"{H}/service_at_locations?search=telefon", "service_at_location_list")["empty"]


ENDPOINTS = {
    "/services": ["search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id", "organization_id",
                  "modified_after", "minimal", "full"],
    "/service_at_locations": ["search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id",
                              "organization_id", "modified_after", "full"],
    "/organizations": ["search", "page", "per_page", "format", "full", "full_service"],
    "/taxonomies": ["search", "page", "per_page", "format"],
    "/taxonomy_terms": ["search", "page", "per_page", "format", "taxonomy_id", "top_only", "parent_id"],
    "/": [],
}
VALUES = {"search": "ab", "page": "1", "per_page": "5", "format": "json", "modified_after": "2026-01-01",
          "minimal": "false", "full": "true", "full_service": "false", "top_only": "true"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(sorted(ENDPOINTS)), data=st.data())
def test_unknown_parameters_are_400_known_ones_never(client, endpoint, data):
    allowed = ENDPOINTS[endpoint]
    known = data.draw(st.lists(st.sampled_from(allowed), unique=True) if allowed else st.just([]))
    unknown = data.draw(st.lists(st.sampled_from(["q", "limit", "postcode", "proximity", "sort", "minimal", "id"])
                                 .filter(lambda n: n not in allowed), unique=True, max_size=2))
    query = "&".join(f"{n}={VALUES.get(n, 'x')}" for n in known + unknown)
    resp = client.get(f"{H}{endpoint}?{query}" if query else f"{H}{endpoint}")
    if unknown:
        assert resp.status_code == 400, resp.text
        assert {e["field"] for e in resp.json()["errors"]} == set(unknown)
    else:
        assert resp.status_code == 200, (query, resp.text)


@pytest.mark.parametrize("url", [f"{H}/services?page=1&page=2", f"{H}/services?format=ndjson",
                                 f"{H}/services/00000000-0000-0000-0000-000000000000?full=true",
                                 f"{H}/organizations/00000000-0000-0000-0000-000000000000?minimal=true"])
def test_repeats_formats_and_parameters_of_single_documents(client, url):
    assert client.get(url).status_code == 400
