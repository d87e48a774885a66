"""U+0000 cannot be stored in PostgreSQL text: every door refuses it with a 422 and writes nothing, on both DBs."""

from sqlalchemy import func, select

from service.offers.models import Offer
from service.organisations.models import Organisation
from tests.persons_helpers import counts, person_body

NUL = "Karen\x00Eksempel"


def _is_nul_problem(resp, field):
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in resp.json()["errors"] if "must not contain NUL" in e["message"]] == [field]
    assert "Karen" not in resp.text


def test_bodies_with_nul_are_refused_field_by_field(client, make_user, db):
    admin, caseworker, coordinator = make_user("system_admin"), make_user("caseworker"), make_user("coordinator")
    orgs_before, persons_before = db.scalar(select(func.count()).select_from(Organisation)), counts(db)
    _is_nul_problem(client.post("/api/v1/organisations", json={"name": NUL, "kind": "school",
                                                              "municipality_code": "0101"}, headers=admin.headers),
                    "name")
    _is_nul_problem(client.post("/api/v1/persons", json=person_body(interests=["strik", NUL]),
                                headers=caseworker.headers), "interests")
    _is_nul_problem(client.post("/api/v1/persons/search", json={"name": NUL}, headers=caseworker.headers), "name")
    _is_nul_problem(client.post("/api/v1/offers", json={"title": NUL, "description": "x", "category": "phone_friend",
                                                        "mode": "phone", "nationwide": True},
                                headers=coordinator.headers), "title")
    assert db.scalar(select(func.count()).select_from(Organisation)) == orgs_before
    assert counts(db) == persons_before and db.scalar(select(func.count()).select_from(Offer)) == 0


def test_query_parameters_with_nul_are_refused(client, make_user):
    caseworker = make_user("caseworker")
    _is_nul_problem(client.get("/api/v1/offers", params={"q": NUL}), "q")
    _is_nul_problem(client.get("/api/v1/organisations", params={"q": NUL}, headers=caseworker.headers), "q")
    _is_nul_problem(client.get("/api/v1/hsds/services/%00"), "service_id")


def test_graphql_refuses_nul_in_inputs_and_arguments(gql, make_user, db):
    admin = make_user("system_admin")
    before = db.scalar(select(func.count()).select_from(Organisation))
    created = gql("""mutation($input: OrganisationCreateInput!) { createOrganisation(input: $input) {
                     __typename ... on Problem { status errors { field } } } }""",
                  {"input": {"name": NUL, "kind": "school", "municipalityCode": "0101"}}, admin)
    assert created["data"]["createOrganisation"] == {"__typename": "Problem", "status": 422,
                                                     "errors": [{"field": "name"}]}
    assert db.scalar(select(func.count()).select_from(Organisation)) == before
    searched = gql("query($q: String) { offers(filter: {q: $q}) { items { id } } }", {"q": NUL})
    assert searched["data"] is None and "Karen" not in str(searched)
    assert searched["errors"][0]["extensions"]["status"] == 422
    assert searched["errors"][0]["extensions"]["errors"][0]["field"] == "q"


def test_graphql_query_arguments_that_fail_validation_are_4xx_not_internal_errors(gql, make_user):
    caseworker = make_user("caseworker")
    found = gql('{ persons(filter: {birthYear: 3000, name: "Karen Eksempel"}) { items { id } } }', actor=caseworker)
    error = found["errors"][0]
    assert error["extensions"]["status"] == 422 and error["extensions"]["errors"][0]["field"] == "birth_year"
    assert "Karen" not in str(found) and error["message"] == "The input did not pass validation; see errors."
