"""The offer directory over REST: filters, visibility, confidential locations, lifecycle, ETags, bad input."""

import uuid

import pytest
from sqlalchemy import func, literal, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import Uuid
from sqlmodel import col

from service.audit.models import AuditEvent
from service.offers import policy
from service.offers.models import Offer, OfferMunicipality
from service.offers.service import TRANSITIONS
from tests.offers_support import CONFIDENTIAL, SECRET_ADDRESS, SECRET_POSTCODE, VALID, count_offers, make_offer

__all__ = ["make_offer"]

LOCATION = ("address", "postcode", "latitude", "longitude")


def _titles(client, query: str = "", headers=None) -> set[str]:
    resp = client.get("/api/v1/offers" + query, headers=headers or {})
    assert resp.status_code == 200, resp.text
    return {o["title"] for o in resp.json()["items"]}


def test_coordinator_creates_reads_and_it_is_audited(client, make_user, make_org, db):
    coordinator = make_user("coordinator", make_org(kind="civil_society"))
    resp = client.post("/api/v1/offers", json={**VALID, "title": "Æbleplukning i Ørestad"},
                       headers=coordinator.headers)
    assert resp.status_code == 201, resp.text
    offer = resp.json()
    assert resp.headers["etag"] == '"1"'
    assert offer["status"] == "draft" and offer["version"] == 1 and offer["title"] == "Æbleplukning i Ørestad"
    assert offer["organisation_id"] == str(coordinator.organisation_id)
    assert offer["municipality_codes"] == ["0101"] and offer["accessibility"] == ["wheelchair_access"]
    assert offer["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TH;WKST=MO"
    assert offer["available_places"] == 30 and offer["seats_taken"] == 0 and offer["location_hidden"] is False
    # A draft is the provider's own business: invisible to the public and to other organisations.
    assert client.get(f"/api/v1/offers/{offer['id']}").status_code == 404
    assert client.get(f"/api/v1/offers/{offer['id']}", headers=make_user("caseworker").headers).status_code == 404
    own = client.get(f"/api/v1/offers/{offer['id']}", headers=coordinator.headers)
    assert own.status_code == 200 and own.json()["address"] == VALID["address"]
    events = db.scalars(select(AuditEvent).where(AuditEvent.subject_id == offer["id"])).all()
    assert [(e.action, e.purpose) for e in events] == [("offer.create", "offer_directory")]


def test_only_offer_managers_create(client, make_user, db):
    before = count_offers(db)
    for role in ("caseworker", "analyst", "system_admin"):
        assert client.post("/api/v1/offers", json=VALID, headers=make_user(role).headers).status_code == 403, role
    assert client.post("/api/v1/offers", json=VALID).status_code == 401
    assert client.post("/api/v1/offers", json=VALID, headers=make_user("org_admin").headers).status_code == 201
    assert count_offers(db) == before + 1


@pytest.fixture
def catalogue(make_org, make_offer):
    provider = make_org(kind="civil_society")
    make_offer(provider, title="A Telefonven", category="phone_friend", mode="phone", nationwide=True,
               municipality_codes=[], address=None, postcode=None, city=None, min_age=65, max_age=None,
               languages=["da", "en"], accessibility=["hearing_loop"], risk_settings=["nursing_home"], capacity=None)
    make_offer(provider, title="B Fællesspisning Aarhus", municipality_codes=["0751"], city="Aarhus",
               address="Møllevej 3", postcode="8000", min_age=None, languages=["da", "ar"],
               accessibility=["wheelchair_access", "step_free"], risk_settings=["homelessness"], capacity=2)
    make_offer(provider, title="C Gå-og-snak Odense", category="walk_and_talk", municipality_codes=["0461", "0751"],
               min_age=12, max_age=17, languages=["da"], accessibility=["wheelchair_access"],
               risk_settings=["out_of_home_placement"], capacity=1)
    make_offer(provider, title="D Online mentor", category="mentoring", mode="online", municipality_codes=["0101"],
               description="Mentorer fra ØSTERBRO", address=None, postcode=None,
               min_age=15, max_age=25, languages=["en"], accessibility=[],
               risk_settings=["out_of_home_placement", "residential_institution"], capacity=10)
    make_offer(provider, status="draft", title="E Kladde", municipality_codes=["0751"])
    make_offer(provider, status="paused", title="F Pause", municipality_codes=["0751"])
    # C is full: the referral contract takes places with a conditional UPDATE.
    return provider


def test_each_filter_alone_and_combined(client, catalogue, db):
    offer_c = db.scalar(select(Offer).where(Offer.title == "C Gå-og-snak Odense"))
    took = db.execute(text("UPDATE offer SET seats_taken = seats_taken + 1 "
                           "WHERE id = :id AND (capacity IS NULL OR seats_taken < capacity)"),
                      {"id": offer_c.id.hex if db.bind.dialect.name == "sqlite" else offer_c.id})
    assert took.rowcount == 1
    db.commit()
    everything = {"A Telefonven", "B Fællesspisning Aarhus", "C Gå-og-snak Odense", "D Online mentor"}
    assert _titles(client) == everything
    cases = {
        "?municipality_code=0751": {"A Telefonven", "B Fællesspisning Aarhus", "C Gå-og-snak Odense"},
        "?municipality_code=0101": {"A Telefonven", "D Online mentor"},
        "?municipality_code=0851": {"A Telefonven"},
        "?risk_setting=out_of_home_placement": {"C Gå-og-snak Odense", "D Online mentor"},
        "?risk_setting=nursing_home": {"A Telefonven"},
        "?category=shared_meal": {"B Fællesspisning Aarhus"},
        "?mode=online": {"D Online mentor"},
        "?mode=in_person": {"B Fællesspisning Aarhus", "C Gå-og-snak Odense"},
        "?age=16": {"B Fællesspisning Aarhus", "C Gå-og-snak Odense", "D Online mentor"},
        "?age=70": {"A Telefonven", "B Fællesspisning Aarhus"},
        "?age=12": {"B Fællesspisning Aarhus", "C Gå-og-snak Odense"},
        "?accessibility=wheelchair_access": {"B Fællesspisning Aarhus", "C Gå-og-snak Odense"},
        "?accessibility=wheelchair_access&accessibility=step_free": {"B Fællesspisning Aarhus"},
        "?accessibility=hearing_loop&accessibility=step_free": set(),
        "?language=en": {"A Telefonven", "D Online mentor"},
        "?language=ar": {"B Fællesspisning Aarhus"},
        "?has_capacity=true": {"A Telefonven", "B Fællesspisning Aarhus", "D Online mentor"},
        "?has_capacity=false": {"C Gå-og-snak Odense"},
        "?q=FÆLLESSPISNING": {"B Fællesspisning Aarhus"},
        "?q=fællesspisning": {"B Fællesspisning Aarhus"},
        "?q=odense": {"C Gå-og-snak Odense"},
        "?q=østerbro": {"D Online mentor"},  # Danish capitals fold on SQLite too
        "?q=møllevej": {"B Fællesspisning Aarhus"},  # a public address is searchable
        "?q=50%25": set(),  # LIKE wildcards are escaped
        "?municipality_code=0751&age=16": {"B Fællesspisning Aarhus", "C Gå-og-snak Odense"},
        "?municipality_code=0751&age=16&has_capacity=true": {"B Fællesspisning Aarhus"},
        "?municipality_code=0751&accessibility=wheelchair_access&language=da&mode=in_person&category=walk_and_talk":
            {"C Gå-og-snak Odense"},
        "?risk_setting=out_of_home_placement&mode=online&age=20&language=en&q=mentor": {"D Online mentor"},
        "?municipality_code=0461&risk_setting=nursing_home": {"A Telefonven"},
    }
    for query, expected in cases.items():
        assert _titles(client, query) == expected, query


def test_drafts_are_visible_to_their_provider_only(client, catalogue, make_user, make_org):
    coordinator = make_user("coordinator", catalogue)
    published = {"A Telefonven", "B Fællesspisning Aarhus", "C Gå-og-snak Odense", "D Online mentor"}
    assert _titles(client, headers=coordinator.headers) == published | {"E Kladde", "F Pause"}
    assert _titles(client, "?status=draft", coordinator.headers) == {"E Kladde"}
    assert _titles(client, "?mine=true&status=paused", coordinator.headers) == {"F Pause"}
    outsider = make_user("coordinator", make_org())
    assert _titles(client, headers=outsider.headers) == published
    assert _titles(client, "?status=draft", outsider.headers) == set()
    assert _titles(client, "?mine=true", outsider.headers) == set()
    assert _titles(client, "?status=draft") == set()
    assert client.get("/api/v1/offers?mine=true").status_code == 401


def test_cursor_pagination_is_stable_and_complete(client, catalogue):
    seen, cursor = [], None
    while True:
        resp = client.get("/api/v1/offers?limit=3" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [o["title"] for o in resp["items"]]
        cursor = resp["next_cursor"]
        if not cursor:
            break
    assert seen == ["A Telefonven", "B Fællesspisning Aarhus", "C Gå-og-snak Odense", "D Online mentor"]


def test_bad_filters_are_4xx(client):
    for query in ("?category=pub", "?municipality_code=abc", "?age=-1", "?accessibility=jetpack", "?mode=fax",
                  "?has_capacity=maybe", "?language=Danish", "?status=deleted", "?limit=500", "?q=x"):
        resp = client.get("/api/v1/offers" + query)
        assert resp.status_code == 422, query
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/offers?cursor=%%%").status_code == 400


@pytest.fixture
def hidden(make_org, make_offer):
    provider = make_org(kind="crisis_centre")
    offer = make_offer(provider, **CONFIDENTIAL)
    return provider, offer


def _assert_hidden(item: dict) -> None:
    assert item["location_hidden"] is True
    assert all(item[f] is None for f in LOCATION), item
    assert item["city"] == "København"


def test_confidential_location_is_hidden_in_list_get_and_search(client, hidden, make_user, make_org):
    provider, offer = hidden
    outsider = make_user("caseworker", make_org())
    for headers in ({}, outsider.headers):
        listed = client.get("/api/v1/offers", headers=headers)
        assert SECRET_ADDRESS not in listed.text
        _assert_hidden(listed.json()["items"][0])
        got = client.get(f"/api/v1/offers/{offer.id}", headers=headers)
        assert got.status_code == 200 and SECRET_ADDRESS not in got.text
        _assert_hidden(got.json())
        # Searching for the hidden address must not reveal that it matches.
        for q in ("skjultvej", "Skjultvej 7"):
            assert _titles(client, f"?q={q}", headers) == set()
        assert _titles(client, "?q=krisecentret", headers) == {CONFIDENTIAL["title"]}
    staff = make_user("coordinator", provider)
    own = client.get(f"/api/v1/offers/{offer.id}", headers=staff.headers).json()
    assert own["address"] == SECRET_ADDRESS and own["postcode"] == SECRET_POSTCODE and own["latitude"] == 55.6553
    assert own["location_hidden"] is False
    assert _titles(client, "?q=skjultvej", staff.headers) == {CONFIDENTIAL["title"]}


def test_location_grants_registry_extends_who_sees_the_location(client, db, hidden, make_user, make_org):
    provider, offer = hidden
    partner_org = make_org()
    partner = make_user("caseworker", partner_org)
    assert policy.organisations_with_location_access(db, offer.id) == {provider.id}

    def partner_grant():
        return select(col(Offer.id).label("offer_id"), literal(partner_org.id, Uuid()).label("organisation_id"))

    policy.register_location_grant(partner_grant)
    try:
        assert policy.organisations_with_location_access(db, offer.id) == {provider.id, partner_org.id}
        got = client.get(f"/api/v1/offers/{offer.id}", headers=partner.headers).json()
        assert got["address"] == SECRET_ADDRESS and got["location_hidden"] is False
        assert _titles(client, "?q=skjultvej", partner.headers) == {CONFIDENTIAL["title"]}
        stranger = make_user("caseworker", make_org())
        assert client.get(f"/api/v1/offers/{offer.id}", headers=stranger.headers).json()["address"] is None
        assert _titles(client, "?q=skjultvej", stranger.headers) == set()
    finally:
        policy._LOCATION_GRANTS.remove(partner_grant)
    assert client.get(f"/api/v1/offers/{offer.id}", headers=partner.headers).json()["address"] is None


def test_only_the_provider_changes_an_offer(client, make_org, make_offer, make_user, db):
    provider = make_org(kind="civil_society")
    offer = make_offer(provider)
    url = f"/api/v1/offers/{offer.id}"
    other = make_user("coordinator", make_org(kind="civil_society"))
    assert client.get(url, headers=other.headers).status_code == 200  # published: readable by all
    assert client.patch(url, json={"title": "Overtaget"}, headers={**other.headers, "If-Match": '"1"'}) \
        .status_code == 404
    assert client.post(url + "/status", json={"status": "closed"}, headers=other.headers).status_code == 404
    caseworker = make_user("caseworker", provider)
    assert client.patch(url, json={"title": "Overtaget"}, headers={**caseworker.headers, "If-Match": '"1"'}) \
        .status_code == 403
    assert client.post(url + "/status", json={"status": "closed"}, headers=caseworker.headers).status_code == 403
    assert client.patch(url, json={"title": "Overtaget"}, headers={"If-Match": '"1"'}).status_code == 401
    assert client.patch(f"/api/v1/offers/{uuid.uuid4()}", json={"title": "X"},
                        headers={**make_user("org_admin", provider).headers, "If-Match": '"1"'}).status_code == 404
    db.refresh(offer)
    assert offer.title == VALID["title"] and offer.status == "published" and offer.version == 1


def test_etag_flow(client, make_org, make_offer, make_user, db):
    provider = make_org(kind="civil_society")
    offer = make_offer(provider)
    admin = make_user("org_admin", provider)
    url = f"/api/v1/offers/{offer.id}"
    tag = client.get(url).headers["etag"]
    assert tag == '"1"'
    missing = client.patch(url, json={"title": "Ny titel"}, headers=admin.headers)
    assert missing.status_code == 428 and missing.json()["current_version"] == 1
    assert client.patch(url, json={"title": "Ny titel"}, headers={**admin.headers, "If-Match": '"7"'}) \
        .status_code == 412
    assert client.patch(url, json={"title": "Ny titel"}, headers={**admin.headers, "If-Match": "garbage"}) \
        .status_code == 412
    ok = client.patch(url, json={"title": "Ny titel", "accessibility": ["quiet_space", "easy_read"],
                                 "municipality_codes": ["0751", "0461"]}, headers={**admin.headers, "If-Match": tag})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"2"' and ok.json()["version"] == 2
    assert ok.json()["accessibility"] == ["easy_read", "quiet_space"]
    assert ok.json()["municipality_codes"] == ["0461", "0751"]
    stale = client.patch(url, json={"title": "Tabt opdatering"}, headers={**admin.headers, "If-Match": tag})
    assert stale.status_code == 412
    db.refresh(offer)
    assert offer.title == "Ny titel"
    assert db.scalar(select(func.count()).select_from(OfferMunicipality)
                     .where(OfferMunicipality.offer_id == offer.id)) == 2
    assert _titles(client, "?municipality_code=0101") == set()
    assert _titles(client, "?municipality_code=0461&accessibility=easy_read") == {"Ny titel"}
    weak = client.patch(url, json={"capacity": None}, headers={**admin.headers, "If-Match": 'W/"2"'})
    assert weak.status_code == 200 and weak.json()["available_places"] is None
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(offer.id))).all()
    assert actions.count("offer.update") == 2


def test_every_lifecycle_transition(client, make_org, make_offer, make_user, db):
    provider = make_org(kind="civil_society")
    coordinator = make_user("coordinator", provider)
    statuses = ["draft", "published", "paused", "closed"]
    for source in statuses:
        for target in statuses:
            offer = make_offer(provider, status=source, title=f"{source} → {target}")
            resp = client.post(f"/api/v1/offers/{offer.id}/status", json={"status": target},
                               headers=coordinator.headers)
            allowed = [str(s) for s in TRANSITIONS[source]]
            db.refresh(offer)
            if target in allowed:
                assert resp.status_code == 200, (source, target, resp.text)
                assert resp.json()["status"] == target and offer.status == target and offer.version == 2
            else:
                assert resp.status_code == 409, (source, target)
                problem = resp.json()
                assert problem["allowed_actions"] == allowed and problem["current_status"] == source
                assert offer.status == source and offer.version == 1
    assert TRANSITIONS["closed"] == ()


def test_publishing_sets_published_at_and_status_if_match(client, make_org, make_offer, make_user):
    provider = make_org(kind="civil_society")
    offer = make_offer(provider, status="draft")
    admin = make_user("org_admin", provider)
    url = f"/api/v1/offers/{offer.id}/status"
    assert client.post(url, json={"status": "published"}, headers={**admin.headers, "If-Match": '"9"'}) \
        .status_code == 412
    resp = client.post(url, json={"status": "published"}, headers={**admin.headers, "If-Match": '"1"'})
    assert resp.status_code == 200 and resp.json()["published_at"] is not None
    assert client.get(f"/api/v1/offers/{offer.id}").status_code == 200
    assert client.post(url, json={"status": "paused"}, headers=admin.headers).status_code == 200
    assert client.get(f"/api/v1/offers/{offer.id}").status_code == 404
    assert client.post(url, json={"status": "archived"}, headers=admin.headers).status_code == 422


BAD_BODIES = [
    ({"category": "pub_crawl"}, "category"),
    ({"min_age": 40, "max_age": 20}, None),
    ({"municipality_codes": ["9999"]}, "municipality_codes"),
    ({"municipality_codes": ["12"]}, "municipality_codes.0"),
    ({"risk_settings": ["space_travel"]}, "risk_settings"),
    ({"capacity": -1}, "capacity"),
    ({"schedule": {"freq": "weekly", "start_time": "10:00", "end_time": "11:00"}}, "schedule"),
    ({"schedule": {"freq": "daily", "weekdays": ["MO"], "start_time": "10:00", "end_time": "11:00"}},
     "schedule.freq"),
    ({"schedule": {"freq": "weekly", "weekdays": ["MO"], "start_time": "12:00", "end_time": "11:00"}}, "schedule"),
    ({"schedule": {"by_agreement": True, "weekdays": ["MO"]}}, "schedule"),
    ({"accessibility": ["jetpack"]}, "accessibility.0"),
    ({"languages": ["Danish"]}, "languages.0"),
    ({"nationwide": True}, None),
    ({"municipality_codes": []}, None),
    ({"cost_free": False}, None),
    ({"latitude": 55.6}, None),
    ({"status": "closed"}, None),
    ({"surprise": 1}, "surprise"),
    ({"title": ""}, "title"),
]


def test_bad_input_is_a_4xx_problem_and_writes_nothing(client, make_user, make_org, db):
    coordinator = make_user("coordinator", make_org(kind="civil_society"))
    before = count_offers(db)
    for patch, field in BAD_BODIES:
        resp = client.post("/api/v1/offers", json={**VALID, **patch}, headers=coordinator.headers)
        assert resp.status_code == 422, (patch, resp.text)
        problem = resp.json()
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert {"type", "title", "status", "detail", "errors"} <= problem.keys()
        fields = [e["field"] for e in problem["errors"]]
        if field is not None:
            assert field in fields, (patch, problem)
    assert count_offers(db) == before


def test_bad_patch_is_422_and_keeps_the_offer(client, make_org, make_offer, make_user, db):
    provider = make_org(kind="civil_society")
    offer = make_offer(provider, capacity=3)
    admin = make_user("org_admin", provider)
    url = f"/api/v1/offers/{offer.id}"
    db.execute(text("UPDATE offer SET seats_taken = 2 WHERE title = :t"), {"t": VALID["title"]})
    db.commit()
    for body, field in [({"min_age": 70, "max_age": 60}, None),
                        ({"municipality_codes": ["0411"]}, "municipality_codes"),
                        ({"capacity": 1}, "capacity"), ({"capacity": -5}, "capacity"), ({"mode": "fax"}, "mode")]:
        resp = client.patch(url, json=body, headers={**admin.headers, "If-Match": '"1"'})
        assert resp.status_code == 422, (body, resp.text)
        if field:
            assert field in [e["field"] for e in resp.json()["errors"]], resp.json()
    db.refresh(offer)
    assert offer.version == 1 and offer.capacity == 3 and offer.min_age == 18


def test_capacity_check_constraint_refuses_overbooking(db, make_org, make_offer):
    offer = make_offer(make_org(), capacity=1)
    key = offer.id.hex if db.bind.dialect.name == "sqlite" else offer.id
    take = text("UPDATE offer SET seats_taken = seats_taken + 1 "
                "WHERE id = :id AND (capacity IS NULL OR seats_taken < capacity)")
    assert db.execute(take, {"id": key}).rowcount == 1
    assert db.execute(take, {"id": key}).rowcount == 0
    nested = db.begin_nested()
    with pytest.raises(IntegrityError, match="ck_offer_seats_within_capacity|CHECK constraint failed"):
        db.execute(text("UPDATE offer SET seats_taken = 5 WHERE id = :id"), {"id": key})
    nested.rollback()
    db.expire_all()
    assert db.get(Offer, offer.id).seats_taken == 1


def test_check_constraints_are_named_in_the_database(engine):
    from sqlalchemy import inspect

    names = {c["name"] for c in inspect(engine).get_check_constraints("offer")}
    assert {"ck_offer_seats_within_capacity", "ck_offer_capacity_not_negative", "ck_offer_age_range"} <= names
