"""The offer directory over GraphQL: same services, same visibility, typed Problems, batched loading."""

import json
import uuid

from service.offers.models import Offer
from tests.offers_support import CONFIDENTIAL, SECRET_ADDRESS, VALID, count_offers, make_offer

__all__ = ["make_offer"]

LIST = """query($filter: OfferFilter, $first: Int, $after: String) {
  offers(filter: $filter, first: $first, after: $after) {
    items { id title address postcode latitude locationHidden status rrule municipalityCodes accessibility
            schedule { freq weekdays startTime } providerName organisation { name } }
    nextCursor } }"""
CREATE = """mutation($input: OfferCreateInput!) { createOffer(input: $input) {
  __typename
  ... on Offer { id title offerStatus: status version rrule accessibility schedule { byAgreement freq weekdays } }
  ... on Problem { status errors { field code } } } }"""
UPDATE = """mutation($id: UUID!, $version: Int!, $input: OfferUpdateInput!) {
  updateOffer(id: $id, version: $version, input: $input) {
    __typename ... on Offer { title version } ... on Problem { status detail } } }"""
STATUS = """mutation($id: UUID!, $status: OfferStatus!) { changeOfferStatus(id: $id, status: $status) {
  __typename ... on Offer { offerStatus: status } ... on Problem { status detail } } }"""


def test_anonymous_reads_published_offers_with_filters(gql, make_org, make_offer):
    provider = make_org(kind="civil_society", name="Frivilligcenter Ærø")
    make_offer(provider, title="Strikkeklub", category="activity_group", accessibility=["step_free"])
    make_offer(provider, title="Madklub", accessibility=["step_free", "wheelchair_access"])
    make_offer(provider, title="Kladde", status="draft")
    result = gql(LIST, {"filter": {"accessibility": ["step_free"]}})
    assert "errors" not in result, result
    items = result["data"]["offers"]["items"]
    assert [o["title"] for o in items] == ["Madklub", "Strikkeklub"]
    assert items[0]["providerName"] == "Frivilligcenter Ærø" and items[0]["organisation"] is None
    assert items[0]["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TH;WKST=MO"
    assert items[0]["schedule"] == {"freq": "weekly", "weekdays": ["TH"], "startTime": "17:30:00"}
    only = gql(LIST, {"filter": {"category": "activity_group", "municipalityCode": "0101", "age": 30}})
    assert [o["title"] for o in only["data"]["offers"]["items"]] == ["Strikkeklub"]
    page = gql(LIST, {"first": 1})["data"]["offers"]
    assert len(page["items"]) == 1 and page["nextCursor"]
    rest = gql(LIST, {"first": 5, "after": page["nextCursor"]})["data"]["offers"]
    assert [o["title"] for o in rest["items"]] == ["Strikkeklub"]
    mine = gql(LIST, {"filter": {"mine": True}})
    assert mine["errors"][0]["extensions"]["status"] == 401


def test_confidential_location_never_reaches_graphql_outsiders(gql, make_org, make_offer, make_user):
    provider = make_org(kind="crisis_centre")
    offer = make_offer(provider, **CONFIDENTIAL)
    one = """query($id: UUID!) { offer(id: $id) { title address postcode latitude longitude locationHidden } }"""
    for actor in (None, make_user("caseworker", make_org())):
        listed = gql(LIST, {}, actor)
        assert SECRET_ADDRESS not in json.dumps(listed)
        item = listed["data"]["offers"]["items"][0]
        assert item["address"] is None and item["postcode"] is None and item["latitude"] is None
        assert item["locationHidden"] is True
        got = gql(one, {"id": str(offer.id)}, actor)
        assert SECRET_ADDRESS not in json.dumps(got) and got["data"]["offer"]["locationHidden"] is True
        searched = gql(LIST, {"filter": {"q": "skjultvej"}}, actor)
        assert searched["data"]["offers"]["items"] == []
    staff = make_user("coordinator", provider)
    own = gql(one, {"id": str(offer.id)}, staff)["data"]["offer"]
    assert own["address"] == SECRET_ADDRESS and own["locationHidden"] is False
    assert gql(LIST, {"filter": {"q": "skjultvej"}}, staff)["data"]["offers"]["items"][0]["address"] == SECRET_ADDRESS


def test_mutations_with_typed_problems(gql, make_org, make_user, db):
    coordinator = make_user("coordinator", make_org(kind="civil_society"))
    body = {k: v for k, v in VALID.items() if k not in ("category", "mode", "schedule", "accessibility")}
    created = gql(CREATE, {"input": {**{_camel(k): v for k, v in body.items()}, "category": "shared_meal",
                                     "mode": "in_person", "accessibility": ["quiet_space"],
                                     "schedule": {"byAgreement": True}}}, coordinator)
    offer = created["data"]["createOffer"]
    assert offer["__typename"] == "Offer", created
    assert offer["offerStatus"] == "draft" and offer["version"] == 1 and offer["rrule"] is None
    assert offer["schedule"] == {"byAgreement": True, "freq": None, "weekdays": []}
    before = count_offers(db)
    bad = gql(CREATE, {"input": {**{_camel(k): v for k, v in body.items()}, "category": "other",
                                 "mode": "in_person", "municipalityCodes": ["9999"]}}, coordinator)
    assert bad["data"]["createOffer"]["status"] == 422
    assert bad["data"]["createOffer"]["errors"][0]["field"] == "municipality_codes"
    bad_schedule = gql(CREATE, {"input": {**{_camel(k): v for k, v in body.items()}, "category": "other",
                                          "mode": "in_person", "schedule": {"freq": "weekly"}}}, coordinator)
    assert bad_schedule["data"]["createOffer"]["status"] == 422
    denied = gql(CREATE, {"input": {**{_camel(k): v for k, v in body.items()}, "category": "other",
                                    "mode": "in_person"}}, make_user("caseworker"))
    assert denied["data"]["createOffer"]["status"] == 403
    assert count_offers(db) == before
    oid = offer["id"]
    stale = gql(UPDATE, {"id": oid, "version": 5, "input": {"title": "Ny"}}, coordinator)
    assert stale["data"]["updateOffer"]["status"] == 412
    ok = gql(UPDATE, {"id": oid, "version": 1, "input": {"title": "Ny titel"}}, coordinator)
    assert ok["data"]["updateOffer"] == {"__typename": "Offer", "title": "Ny titel", "version": 2}
    other = gql(UPDATE, {"id": oid, "version": 2, "input": {"title": "Kapret"}},
                make_user("coordinator", make_org()))
    assert other["data"]["updateOffer"]["status"] == 404
    illegal = gql(STATUS, {"id": oid, "status": "paused"}, coordinator)["data"]["changeOfferStatus"]
    assert illegal["status"] == 409 and "published, closed" in illegal["detail"]
    published = gql(STATUS, {"id": oid, "status": "published"}, coordinator)
    assert published["data"]["changeOfferStatus"] == {"__typename": "Offer", "offerStatus": "published"}
    assert db.get(Offer, uuid.UUID(oid)).version == 3


def _camel(name: str) -> str:
    head, *tail = name.split("_")
    return head + "".join(t.title() for t in tail)


def test_statements_do_not_grow_with_page_size(gql, make_org, make_offer, make_user, count_statements):
    orgs = [make_org(kind="civil_society") for _ in range(10)]
    for i in range(50):
        make_offer(orgs[i % 10], title=f"Tilbud {i:02d}", confidential_location=i % 7 == 0,
                   accessibility=["step_free"], languages=["da", "en"], municipality_codes=["0101", "0751"])
    reader = make_user("caseworker", make_org())
    counted = {}
    for size in (5, 50):
        counter = count_statements()
        before = counter.count
        result = gql(LIST, {"first": size}, reader)
        items = result["data"]["offers"]["items"]
        assert len(items) == size and all(o["organisation"]["name"] for o in items)
        counted[size] = counter.count - before
    assert counted[5] == counted[50], counted
