"""Referrals over GraphQL: the same domain rules as REST, typed problems, and dataloaders that keep the
statement count flat whatever the page size."""

from sqlalchemy import func, select

from service.offers.models import Offer
from service.referrals.models import Referral
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import FAMILY_NAME, NOTE, World, counts, world_fixture  # noqa: F401

REFERRAL_FIELDS = """
  id status reasonCode outcome holdsSeat direction allowedActions message sharedCategories
  person { givenName ageGroup municipalityCode phone interests sharedCategories }
  offer { id title seatsTaken availablePlaces }
  referringOrganisation { name } providerOrganisation { name }
  history { action fromStatus toStatus reasonCode }
"""

CREATE = """mutation($input: ReferralCreateInput!) { createReferral(input: $input) {
  __typename ... on Referral { FIELDS } ... on Problem { code: status detail errors { field code } } } }""".replace(
    "FIELDS", REFERRAL_FIELDS)

TRANSITION = """mutation($id: UUID!, $input: TransitionInput!) { transitionReferral(id: $id, input: $input) {
  __typename ... on Referral { FIELDS }
  ... on Problem { code: status type detail allowedActions currentStatus errors { field code } } } }""".replace(
    "FIELDS", REFERRAL_FIELDS)

LIST = """query($filter: ReferralFilter, $first: Int) { referrals(filter: $filter, first: $first) {
  nextCursor items { FIELDS } } }""".replace("FIELDS", REFERRAL_FIELDS)


def _create(w: World, gql, person, actor=None, **extra):
    data = gql(CREATE, {"input": {"personId": person["id"], "offerId": str(w.offer.id),
                                  "sharedCategories": ["interests"], "message": "Hej", **extra}},
               actor or w.caseworker)
    return data["data"]["createReferral"]


def _transition(gql, actor, rid, **input_):
    return gql(TRANSITION, {"id": rid, "input": input_}, actor)["data"]["transitionReferral"]


def test_lifecycle_through_graphql(world: World, gql):
    w = world
    created = _create(w, gql, w.person())
    assert created["__typename"] == "Referral", created
    rid = created["id"]
    assert created["status"] == "sent" and created["allowedActions"] == ["withdraw"]
    assert created["providerOrganisation"]["name"] == "Besøgsvennerne"
    assert created["person"]["givenName"] == "Karen" and created["person"]["phone"] is None
    assert created["person"]["interests"] == ["strik", "havearbejde"]

    accepted = _transition(gql, w.coordinator, rid, action="accept")
    assert accepted["status"] == "accepted" and accepted["holdsSeat"] is True
    assert accepted["offer"]["seatsTaken"] == 1 and accepted["offer"]["availablePlaces"] == 4
    assert _transition(gql, w.coordinator, rid, action="start")["status"] == "started"
    done = _transition(gql, w.coordinator, rid, action="complete", outcome="attended_regularly",
                       followUp={"item1": 2, "item2": 2, "item3": 2})
    assert done["status"] == "completed" and done["outcome"] == "attended_regularly"
    assert [h["action"] for h in done["history"]] == ["send", "accept", "start", "complete"]
    assert done["offer"]["seatsTaken"] == 0

    seen = gql("query($id: UUID!) { referral(id: $id) { status outcome direction } }", {"id": rid}, w.caseworker)
    assert seen["data"]["referral"] == {"status": "completed", "outcome": "attended_regularly", "direction": "sent"}
    events = gql("{ events { items { referralId action toStatus } nextCursor hasMore } }", actor=w.coordinator)
    assert [e["action"] for e in events["data"]["events"]["items"]] == ["send", "accept", "start", "complete"]
    cursor = events["data"]["events"]["nextCursor"]
    polled = gql("query($after: String) { events(after: $after) { items { id } nextCursor } }",
                 {"after": cursor}, w.coordinator)
    assert polled["data"]["events"] == {"items": [], "nextCursor": cursor}


def test_graphql_problems_and_rollback(world: World, gql):
    w = world
    rid = _create(w, gql, w.person())["id"]
    illegal = _transition(gql, w.coordinator, rid, action="start")
    assert illegal["__typename"] == "Problem" and illegal["code"] == 409
    assert illegal["allowedActions"] == ["accept", "decline"] and illegal["currentStatus"] == "sent"
    wrong_side = _transition(gql, w.caseworker, rid, action="accept")
    assert wrong_side["code"] == 403
    assert _transition(gql, w.outsider, rid, action="accept")["code"] == 404
    missing_reason = _transition(gql, w.coordinator, rid, action="decline")
    assert missing_reason["code"] == 422
    before = counts(w.db)
    no_consent = _create(w, gql, w.person(given_name="Ulla", purposes=["contact"]))
    assert no_consent["__typename"] == "Problem" and no_consent["code"] == 422
    assert no_consent["errors"][0]["code"] == "consent_missing"
    assert counts(w.db)["referral"] == before["referral"]
    # invisible referral: null, like REST's 404
    assert gql("query($id: UUID!) { referral(id: $id) { id } }", {"id": rid}, w.outsider)["data"]["referral"] is None


def test_no_capacity_through_graphql(world: World, gql, make_offer):  # noqa: F811
    w = world
    tiny = make_offer(w.org_b, title="Lille hold", capacity=1)
    first = _create(w, gql, w.person(), offerId=str(tiny.id))["id"]
    second = _create(w, gql, w.person(given_name="Søren"), offerId=str(tiny.id))["id"]
    assert _transition(gql, w.coordinator, first, action="accept")["status"] == "accepted"
    refused = _transition(gql, w.coordinator, second, action="accept")
    assert refused["code"] == 409 and refused["type"].endswith("/no-capacity")
    w.db.expire_all()
    assert w.db.scalar(select(Offer.seats_taken).where(Offer.id == tiny.id)) == 1
    statuses = sorted(w.db.scalars(select(Referral.status).where(Referral.offer_id == tiny.id)))
    assert statuses == ["accepted", "sent"]


def test_list_statements_do_not_grow_with_page_size(world: World, gql, count_statements, make_offer):  # noqa: F811
    w = world

    def run(n):
        counter = count_statements()
        before = counter.count
        data = gql(LIST, {"first": n, "filter": {"direction": "received"}}, w.coordinator)
        assert "errors" not in data, data
        assert len(data["data"]["referrals"]["items"]) == n
        return counter.count - before

    offers = [make_offer(w.org_b, title=f"Tilbud {i}") for i in range(6)]
    for i, offer in enumerate(offers):
        rid = _create(w, gql, w.person(given_name=f"P{i}"), offerId=str(offer.id))["id"]
        if i % 2:
            _transition(gql, w.coordinator, rid, action="accept")
    small, large = run(2), run(6)
    assert small == large, (small, large)
    text = str(gql(LIST, {"first": 6}, w.coordinator))
    assert FAMILY_NAME not in text and NOTE not in text


def test_contacts_through_graphql(world: World, gql):
    w = world
    rid = _create(w, gql, w.person())["id"]
    _transition(gql, w.coordinator, rid, action="accept")
    agreement = gql("""mutation($rid: UUID!) { setContactAgreement(referralId: $rid, input: {channel: phone,
        cadence: weekly, weekday: 1, timeOfDay: "09:30"}) { __typename ... on ContactAgreement { cadence
        nextContactAt } ... on Problem { status } } }""", {"rid": rid}, w.coordinator)
    assert agreement["data"]["setContactAgreement"]["cadence"] == "weekly"
    logged = gql("""mutation($rid: UUID!) { logContact(referralId: $rid, input: {contactedAt: "2026-01-05T10:00:00Z",
        durationMinutes: 20, channel: phone, elements: [tryghed, haab], parkedTopics: ["naboen"],
        nextContactAt: "2026-01-06T10:00:00Z", nextContactAgenda: "Naboen"}) { __typename
        ... on ContactLogEntry { elements parkedTopics } ... on Problem { status } } }""", {"rid": rid}, w.coordinator)
    assert logged["data"]["logContact"] == {"__typename": "ContactLogEntry", "elements": ["tryghed", "haab"],
                                            "parkedTopics": ["naboen"]}
    due = gql("{ contactsDue { items { referralId parkedTopics nextContactAgenda overdue person { givenName } } } }",
              actor=w.coordinator)
    assert due["data"]["contactsDue"]["items"] == [{"referralId": rid, "parkedTopics": ["naboen"],
                                                    "nextContactAgenda": "Naboen", "overdue": True,
                                                    "person": {"givenName": "Karen"}}]
    refused = gql("""mutation($rid: UUID!) { logContact(referralId: $rid, input: {contactedAt: "2026-01-05T10:00:00Z",
        durationMinutes: 20, channel: phone}) { __typename ... on Problem { status } } }""", {"rid": rid}, w.caseworker)
    assert refused["data"]["logContact"] == {"__typename": "Problem", "status": 403}
    assert w.db.scalar(select(func.count()).select_from(Referral)) == 1
