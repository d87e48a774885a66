"""GraphQL for persons: mutations with typed problems, and a constant SQL statement count for lists."""

from datetime import timedelta

from service.core.types import utcnow
from service.persons.models import (
    Consent,
    ConsentPurposeRow,
    ConsentRecipient,
    LonelinessMeasurement,
    Person,
    PersonRiskSetting,
)
from tests.persons_helpers import counts, events

LIST = """{ persons(first: 200) { items { id givenName riskSettings { code } activeConsentPurposes
  consents { id purposes recipientOrganisationKinds status }
  lonelinessMeasurements { items { total severe } nextCursor } } nextCursor } }"""


def _seed(db, organisation_id, user_id, n):
    now = utcnow()
    for i in range(n):
        person = Person(organisation_id=organisation_id, given_name=f"P{i}", family_name="Tal", birth_year=1960,
                        municipality_code="0101")
        db.add(person)
        db.flush()
        db.add(PersonRiskSetting(person_id=person.id, risk_setting_code="homelessness"))
        for purposes in (["registration", "contact"], ["referral_sharing"]):
            consent = Consent(person_id=person.id, given_by="self", method="written", consent_text_version="1",
                              recorded_by=user_id, given_at=now, expires_at=now + timedelta(days=30),
                              data_categories=["interests"] if "referral_sharing" in purposes else [])
            db.add(consent)
            db.flush()
            for p in purposes:
                db.add(ConsentPurposeRow(consent_id=consent.id, purpose=p))
            if "referral_sharing" in purposes:
                db.add(ConsentRecipient(consent_id=consent.id, organisation_kind="civil_society"))
        for total in (9, 5):
            db.add(LonelinessMeasurement(person_id=person.id, item1=total - 6 if total > 6 else 1,
                                         item2=3 if total > 6 else 2, item3=3 if total > 6 else 2, total=total,
                                         measured_at=now, context="intake", recorded_by=user_id))
    db.commit()


def _statements_for_list(gql, actor, count_statements):
    counter = count_statements()
    before = counter.count
    result = gql(LIST, actor=actor)
    assert "errors" not in result, result
    return counter.count - before, result["data"]["persons"]["items"]


def test_list_with_consents_and_measurements_costs_constant_statements(gql, make_user, db, count_statements):
    small, large = make_user("caseworker"), make_user("caseworker")
    _seed(db, small.organisation_id, small.id, 10)
    _seed(db, large.organisation_id, large.id, 100)
    n_small, items_small = _statements_for_list(gql, small, count_statements)
    n_large, items_large = _statements_for_list(gql, large, count_statements)
    assert len(items_small) == 10 and len(items_large) == 100
    assert all(len(p["consents"]) == 2 and len(p["lonelinessMeasurements"]["items"]) == 2 for p in items_large)
    assert all(p["activeConsentPurposes"] == ["contact", "referral_sharing", "registration"] for p in items_large)
    assert items_large[0]["riskSettings"] == [{"code": "homelessness"}]
    assert n_small == n_large, (n_small, n_large)
    assert n_large <= 20  # + per nested field: the visibility check and its audit events (insert, links)


def test_graphql_mutations_cover_the_consent_lifecycle(gql, make_user, db):
    caseworker = make_user("caseworker")
    create = """mutation($input: PersonCreateInput!) { createPerson(input: $input) { __typename
      ... on Person { id version cpr consents { id purposes status } }
      ... on Problem { status errors { field code } } } }"""
    base = {"givenName": "Grethe", "familyName": "Fiktiv", "birthYear": 1948, "municipalityCode": "0461",
            "riskSettings": [{"code": "relative_of_seriously_ill"}], "accessibilityNeeds": ["easy_read"],
            "consent": {"purposes": ["registration"], "givenBy": "legal_representative",
                        "representativeName": "Værge Fiktiv", "method": "written", "consentTextVersion": "v2"}}
    before = counts(db)
    bad = gql(create, {"input": {**base, "cpr": "9999999999"}}, caseworker)["data"]["createPerson"]
    assert bad["__typename"] == "Problem" and bad["status"] == 422 and bad["errors"][0]["field"] == "cpr"
    no_registration = gql(create, {"input": {**base, "consent": {**base["consent"], "purposes": ["contact"]}}},
                          caseworker)["data"]["createPerson"]
    assert no_registration["status"] == 422
    unknown_risk = gql(create, {"input": {**base, "riskSettings": [{"code": "space_station"}]}},
                       caseworker)["data"]["createPerson"]
    assert unknown_risk["status"] == 422 and unknown_risk["errors"][0]["code"] == "unknown_code"
    assert counts(db) == before
    person = gql(create, {"input": base}, caseworker)["data"]["createPerson"]
    assert person["__typename"] == "Person" and person["cpr"] is None
    pid = person["id"]
    give = gql("""mutation($id: UUID!) { giveConsent(personId: $id, input: {purposes: [contact, outcome_followup],
                 givenBy: self, method: digital, consentTextVersion: "v2"}) {
                 __typename ... on Consent { id purposes status } } }""", {"id": pid}, caseworker)
    give = give["data"]["giveConsent"]
    assert give["purposes"] == ["contact", "outcome_followup"] and give["status"] == "active"
    measure = gql("""mutation($id: UUID!) { recordLonelinessMeasurement(personId: $id,
                    input: {item1: 2, item2: 3, item3: 2, context: follow_up}) {
                    __typename ... on LonelinessMeasurement { total severe } } }""", {"id": pid}, caseworker)
    assert measure["data"]["recordLonelinessMeasurement"] == {"__typename": "LonelinessMeasurement",
                                                              "total": 7, "severe": True}
    withdraw = gql("""mutation($p: UUID!, $c: UUID!) { withdrawConsent(personId: $p, consentId: $c, reason: "asked") {
                     __typename ... on Consent { status withdrawalReason } } }""",
                   {"p": pid, "c": person["consents"][0]["id"]}, caseworker)["data"]["withdrawConsent"]
    # the last registration consent: the person is erased, and the free-text reason about them with it
    assert withdraw == {"__typename": "Consent", "status": "withdrawn", "withdrawalReason": None}
    after = gql("""query($id: UUID!) { person(id: $id) { status givenName birthYear lonelinessLatestTotal
                  consents { status representativeName } } }""", {"id": pid}, caseworker)["data"]["person"]
    assert after["status"] == "erased" and after["givenName"] is None and after["birthYear"] == 1948
    assert after["lonelinessLatestTotal"] == 7
    assert [c["status"] for c in after["consents"]] == ["withdrawn", "withdrawn"]
    assert all(c["representativeName"] is None for c in after["consents"])
    assert len(events(db, "person.erase", subject_id=pid)) == 1


def test_measurements_page_like_rest_and_the_cursors_are_one(client, gql, make_user):
    """`Person.lonelinessMeasurements` is the `{items, nextCursor}` envelope of REST: the same pages, and a
    cursor from either door continues in the other."""
    from tests.persons_helpers import create_person

    own = make_user("caseworker")
    pid = create_person(client, own)["id"]
    start = utcnow() - timedelta(days=30)
    for day, total in ((0, 9), (10, 7), (20, 5)):
        resp = client.post(f"/api/v1/persons/{pid}/loneliness-measurements", headers=own.headers, json={
            "item1": total // 3, "item2": total // 3, "item3": total - 2 * (total // 3), "context": "follow_up",
            "measured_at": (start + timedelta(days=day)).isoformat()})
        assert resp.status_code == 201, resp.text
    page = """query($id: UUID!, $first: Int, $after: String) { person(id: $id) {
        lonelinessMeasurements(first: $first, after: $after) { items { total } nextCursor } } }"""

    def gql_page(first, after=None):
        answer = gql(page, {"id": pid, "first": first, "after": after}, own)
        assert "errors" not in answer, answer
        return answer["data"]["person"]["lonelinessMeasurements"]

    def rest_page(limit, cursor=None):
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = client.get(f"/api/v1/persons/{pid}/loneliness-measurements", params=params, headers=own.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()

    first = gql_page(2)
    assert [m["total"] for m in first["items"]] == [9, 7] and first["nextCursor"]
    assert first["nextCursor"] == rest_page(2)["next_cursor"]  # the dataloader's first page cuts like the service
    second = gql_page(2, first["nextCursor"])
    assert second == {"items": [{"total": 5}], "nextCursor": None}
    assert [m["total"] for m in rest_page(2, first["nextCursor"])["items"]] == [5]
    assert gql_page(5) == {"items": [{"total": 9}, {"total": 7}, {"total": 5}], "nextCursor": None}
    assert gql_page(1, rest_page(1)["next_cursor"])["items"] == [{"total": 7}]
    # out of range is REST's 422, named by the GraphQL argument
    bad = gql(page, {"id": pid, "first": 0}, own)
    assert bad.get("errors") and "first" in str(bad["errors"])
