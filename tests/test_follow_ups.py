"""Follow-up that measures what works (issue #15): T-ILS follow-ups at 3/6/12 months after a referral starts,
the due list, recording at any point (full or the short phone version), and goals agreed and assessed."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from service.core.settings import get_settings
from service.core.types import utcnow
from service.persons.models import LonelinessMeasurement
from service.referrals.followups import months_later
from service.referrals.models import FollowUp
from service.referrals.rhythm import LOCAL
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401


def _started(w: World, **person) -> str:
    person.setdefault("given_name", f"Ib{uuid.uuid4().hex[:6]}")
    rid = w.refer(w.person(**person))["id"]
    w.drive(rid, "started")
    return rid


def _points(w: World, rid: str, actor=None) -> list[dict]:
    resp = w.client.get(f"/api/v1/referrals/{rid}/follow-ups", headers=(actor or w.caseworker).headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["next_cursor"] is None  # three points: one page
    return resp.json()["items"]


def _make_due(w: World, rid: str, months: int) -> None:
    w.db.execute(update(FollowUp).where(FollowUp.referral_id == uuid.UUID(rid), FollowUp.months == months)
                 .values(due_at=utcnow() - timedelta(days=1)))
    w.db.commit()


def test_months_later_keeps_the_local_day_and_clamps_short_months():
    start = datetime(2026, 11, 30, 9, 0, tzinfo=LOCAL)
    assert months_later(start, 3).astimezone(LOCAL) == datetime(2027, 2, 28, 9, 0, tzinfo=LOCAL)
    assert months_later(start, 12).astimezone(LOCAL) == datetime(2027, 11, 30, 9, 0, tzinfo=LOCAL)
    # across daylight saving the local time stays (winter 09:00 → summer 09:00)
    assert months_later(datetime(2026, 1, 15, 8, 0, tzinfo=UTC), 6).astimezone(LOCAL).hour == 9


def test_a_started_referral_schedules_follow_ups_and_the_due_list_shows_them(world: World):
    w = world
    rid = w.refer(w.person(given_name="Hans"))["id"]
    w.drive(rid, "accepted")
    assert _points(w, rid) == []  # not before it starts
    assert w.act(rid, "start").status_code == 200
    points = _points(w, rid)
    assert [p["months"] for p in points] == get_settings().follow_up_months == [3, 6, 12]
    started = datetime.fromisoformat(w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers)
                                     .json()["started_at"])
    assert datetime.fromisoformat(points[0]["due_at"]) == months_later(started, 3)
    assert w.client.get("/api/v1/follow-ups/due", headers=w.caseworker.headers).json()["items"] == []
    _make_due(w, rid, 3)
    due = w.client.get("/api/v1/follow-ups/due", headers=w.caseworker.headers).json()["items"]
    assert [(d["referral_id"], d["months"], d["overdue"]) for d in due] == [(rid, 3, True)]
    # the provider and other organisations do not follow up on the referrer's behalf
    assert w.client.get("/api/v1/follow-ups/due", headers=w.coordinator.headers).status_code == 403
    assert w.client.get("/api/v1/follow-ups/due", headers=w.outsider_caseworker.headers).json()["items"] == []


def test_configured_months(world: World, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(get_settings(), "follow_up_months", [1, 24])
    w = world
    rid = _started(w)
    assert [p["months"] for p in _points(w, rid)] == [1, 24]


def test_a_measurement_at_any_point_full_or_by_phone(world: World):
    w = world
    intake = w.person(given_name="Lis")
    w.client.post(f"/api/v1/persons/{intake['id']}/loneliness-measurements", headers=w.caseworker.headers,
                  json={"item1": 3, "item2": 3, "item3": 3, "context": "intake",
                        "measured_at": (utcnow() - timedelta(days=200)).isoformat()})
    rid = w.refer(intake)["id"]
    w.drive(rid, "started")
    points = {p["months"]: p for p in _points(w, rid)}
    url = f"/api/v1/referrals/{rid}/follow-up-measurements"
    # the 6-month point before the 3-month one, by the provider on the phone (the short version, same scale)
    resp = w.client.post(url, headers=w.coordinator.headers, json={
        "follow_up_id": points[6]["id"], "item1": 2, "item2": 1, "item3": 2, "form": "phone_short"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["tils_total"] is None  # the provider does not see the total
    w.db.expire_all()
    m = w.db.scalar(select(LonelinessMeasurement).where(LonelinessMeasurement.referral_id == uuid.UUID(rid)))
    assert m is not None and (m.form, m.context, m.total, m.tils_change) == ("phone_short", "follow_up", 5, -4)
    again = w.client.post(url, headers=w.caseworker.headers, json={
        "follow_up_id": points[6]["id"], "item1": 1, "item2": 1, "item3": 1})
    assert again.status_code == 409
    seen = {p["months"]: p for p in _points(w, rid)}
    assert seen[6]["tils_total"] == 5 and seen[6]["measurement_id"] == str(m.id) and seen[3]["measurement_id"] is None
    assert {p["months"]: p["tils_total"] for p in _points(w, rid, w.coordinator)}[6] is None
    # the short version uses the same scale: 0 or 4 is refused, naming no value
    for bad in ({"item1": 0}, {"item1": 4}, {"form": "long"}):
        resp = w.client.post(url, headers=w.caseworker.headers, json={
            "follow_up_id": points[3]["id"], "item1": 2, "item2": 2, "item3": 2, **bad})
        assert resp.status_code == 422, resp.text
    # a follow-up of another referral is not this referral's point
    other = _started(w)
    foreign = _points(w, other)[0]["id"]
    assert w.client.post(url, headers=w.caseworker.headers, json={
        "follow_up_id": foreign, "item1": 2, "item2": 2, "item3": 2}).status_code == 422
    # the person's measurement list uses the {items, next_cursor} envelope and shows the follow-up
    listed = w.client.get(f"/api/v1/persons/{intake['id']}/loneliness-measurements", params={"limit": 1},
                          headers=w.caseworker.headers).json()
    assert set(listed) == {"items", "next_cursor"} and listed["next_cursor"]


def test_a_follow_up_needs_the_outcome_followup_consent(world: World):
    w = world
    person = w.person(given_name="Jens", purposes=["referral_sharing", "contact"])
    rid = w.refer(person)["id"]
    w.drive(rid, "started")
    point = _points(w, rid)[0]
    resp = w.client.post(f"/api/v1/referrals/{rid}/follow-up-measurements", headers=w.caseworker.headers,
                         json={"follow_up_id": point["id"], "item1": 2, "item2": 2, "item3": 2})
    assert resp.status_code == 422 and resp.json()["missing_consent"] == "outcome_followup"
    assert _points(w, rid)[0]["measurement_id"] is None


def test_goals_agreed_at_referral_and_assessed_at_completion(world: World):
    w = world
    rid = w.refer(w.person(given_name="Kirsten"))["id"]
    url = f"/api/v1/referrals/{rid}/goals"
    first = w.client.post(url, headers=w.caseworker.headers, json={"text": "Spise med andre en gang om ugen",
                                                                   "category": "social_contact"})
    assert first.status_code == 201, first.text
    second = w.client.post(url, headers=w.caseworker.headers, json={"text": "Tage bussen selv"})
    assert second.status_code == 201 and second.json()["category"] is None
    assert w.client.post(url, headers=w.caseworker.headers, json={"text": "x", "category": "wishes"}).status_code == 422
    # not assessed while open
    assess = f"{url}/assessment"
    body = {"goals": [{"goal_id": first.json()["id"], "reached": True}]}
    assert w.client.post(assess, headers=w.caseworker.headers, json=body).status_code == 409
    w.drive(rid, "completed")
    assert w.client.post(url, headers=w.caseworker.headers, json={"text": "for sent"}).status_code == 409
    unknown = {"goals": [{"goal_id": str(uuid.uuid4()), "reached": True}, *body["goals"]]}
    assert w.client.post(assess, headers=w.coordinator.headers, json=unknown).status_code == 422
    assert all(g["reached"] is None for g in w.client.get(url, headers=w.caseworker.headers).json()["items"])
    done = w.client.post(assess, headers=w.coordinator.headers, json={"goals": [
        {"goal_id": first.json()["id"], "reached": True}, {"goal_id": second.json()["id"], "reached": False}]})
    assert done.status_code == 200, done.text
    assert [(g["text"], g["reached"]) for g in done.json()["items"]] == [("Spise med andre en gang om ugen", True),
                                                                ("Tage bussen selv", False)]
    assert w.client.get(url, headers=w.outsider.headers).status_code == 404


def test_graphql_follow_ups_and_goals(world: World, gql):
    w = world
    rid = _started(w)
    _make_due(w, rid, 3)
    read = gql("""query($r: UUID!) { followUps(referralId: $r) { items { id months } }
        followUpsDue { items { months } } }""",
               {"r": rid}, w.caseworker)
    assert "errors" not in read, read
    assert [p["months"] for p in read["data"]["followUps"]["items"]] == [3, 6, 12]
    assert read["data"]["followUpsDue"]["items"] == [{"months": 3}]
    point = read["data"]["followUps"]["items"][0]["id"]
    recorded = gql("""mutation($r: UUID!, $f: UUID!) { recordFollowUpMeasurement(referralId: $r, input: {
        followUpId: $f, item1: 1, item2: 2, item3: 1, form: phone_short}) {
        __typename ... on FollowUp { tilsTotal months } ... on Problem { status } } }""",
                   {"r": rid, "f": point}, w.caseworker)
    assert recorded["data"]["recordFollowUpMeasurement"] == {"__typename": "FollowUp", "tilsTotal": 4, "months": 3}
    goal = gql("""mutation($r: UUID!) { addReferralGoal(referralId: $r, input: {text: "Gå til strik",
        category: activity}) { __typename ... on ReferralGoal { id category } } }""", {"r": rid}, w.caseworker)
    assert goal["data"]["addReferralGoal"]["category"] == "activity"
    refused = gql("""mutation($r: UUID!, $g: UUID!) { assessReferralGoals(referralId: $r, input: [{goalId: $g,
        reached: true}]) { __typename ... on Problem { status } } }""",
                  {"r": rid, "g": goal["data"]["addReferralGoal"]["id"]}, w.caseworker)
    assert refused["data"]["assessReferralGoals"] == {"__typename": "Problem", "status": 409}
