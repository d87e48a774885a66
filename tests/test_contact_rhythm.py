"""The phone-friend rhythm (issue #15): attempts and the retry rule, parked topics that live until resolved, who
calls whom and when (Copenhagen time, DST), the five elements over time, ending well, and the referrer's
contact summary behind the consent gate."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.auth.tokens import principal_from_token
from service.core.pagination import PageParams
from service.core.settings import get_settings
from service.core.types import utcnow
from service.events.models import OutboxEvent
from service.referrals import due
from service.referrals.due import DueWindow, bounds
from service.referrals.models import ContactAgreement
from service.referrals.rhythm import LOCAL
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _started(w: World, **person) -> str:
    person.setdefault("given_name", f"Ida{uuid.uuid4().hex[:6]}")
    rid = w.refer(w.person(**person))["id"]
    w.drive(rid, "started")
    return rid


def _agree(w: World, rid: str, **over):
    body = {"channel": "phone", "cadence": "weekly", "weekday": 2, "time_of_day": "10:00", **over}
    resp = w.client.put(f"/api/v1/referrals/{rid}/contact-agreement", json=body, headers=w.coordinator.headers)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def _log(w: World, rid: str, at: datetime, expect: int = 201, **over):
    body = {"contacted_at": _iso(at), "duration_minutes": 20, "channel": "phone", "elements": ["tryghed"], **over}
    resp = w.client.post(f"/api/v1/referrals/{rid}/contacts", json=body, headers=w.coordinator.headers)
    assert resp.status_code == expect, resp.text
    return resp.json()


def _agreement(w: World, rid: str) -> dict:
    return w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()


def _alerts(w: World) -> list[OutboxEvent]:
    w.db.expire_all()
    return list(w.db.scalars(select(OutboxEvent).where(OutboxEvent.type == "contact.missed_alert")))


def test_an_attempt_keeps_topics_and_agenda_and_moves_the_next_contact_by_the_retry_rule(world: World):
    w = world
    rid = _started(w)
    _agree(w, rid)
    base = utcnow() - timedelta(days=5)
    _log(w, rid, base, parked_topics=["datterens besøg"], next_contact_agenda="Haven")
    missed = _log(w, rid, base + timedelta(days=1), outcome="no_answer", duration_minutes=0, elements=[])
    assert missed["outcome"] == "no_answer" and missed["parked_topics"] == ["datterens besøg"]
    assert missed["next_contact_agenda"] == "Haven"
    a = _agreement(w, rid)
    nxt = datetime.fromisoformat(a["next_contact_at"])
    # first retry: 24 hours later on the wall clock — unless the weekly Wednesday call comes sooner
    retry = (base + timedelta(days=2)).astimezone(LOCAL)
    assert nxt.astimezone(LOCAL) <= retry and a["missed_in_a_row"] == 1
    assert [t["text"] for t in a["topics"]] == ["datterens besøg"] and a["next_contact_agenda"] == "Haven"
    # an unanswered call that claims time or elements is refused, naming no value
    bad = w.client.post(f"/api/v1/referrals/{rid}/contacts", headers=w.coordinator.headers, json={
        "contacted_at": _iso(base + timedelta(days=2)), "duration_minutes": 5, "channel": "phone",
        "outcome": "no_answer"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_two_unanswered_calls_in_a_row_alert_the_referring_caseworker_once(world: World):
    assert get_settings().contact_missed_alert_after == 2  # the default the issue asks for
    w = world
    rid = _started(w)
    _agree(w, rid, cadence="by_agreement", weekday=None, time_of_day=None)
    base = utcnow() - timedelta(days=10)
    _log(w, rid, base, outcome="no_answer", duration_minutes=0, elements=[])
    _log(w, rid, base + timedelta(days=1), outcome="rescheduled", duration_minutes=0, elements=[])  # they answered
    _log(w, rid, base + timedelta(days=2), outcome="no_answer", duration_minutes=0, elements=[])
    assert _alerts(w) == []
    _log(w, rid, base + timedelta(days=3), outcome="no_answer", duration_minutes=0, elements=[])
    alerts = _alerts(w)
    assert {e.organisation_id for e in alerts} == {w.org_a.id, w.org_b.id}
    to_referrer = next(e for e in alerts if e.organisation_id == w.org_a.id)
    assert to_referrer.payload["data"]["caseworker_id"] == str(w.caseworker.user.id)
    _log(w, rid, base + timedelta(days=4), outcome="no_answer", duration_minutes=0, elements=[])
    assert len(_alerts(w)) == 2  # once per run, not per further miss
    # by agreement (no cadence): the retry rule alone sets the next try, 48 hours after the second miss in a row
    a = _agreement(w, rid)
    assert a["missed_in_a_row"] == 3
    assert datetime.fromisoformat(a["next_contact_at"]).astimezone(LOCAL) == \
        (base + timedelta(days=4)).astimezone(LOCAL) + timedelta(hours=48)
    summary = w.client.get(f"/api/v1/referrals/{rid}/contact-summary", headers=w.caseworker.headers).json()
    assert summary["calls"] == 0 and summary["attempts"] == 5 and summary["missed_in_a_row"] == 3


def test_parked_topics_are_taken_up_and_resolved_in_later_calls(world: World):
    w = world
    rid = _started(w)
    _agree(w, rid)
    base = utcnow() - timedelta(days=7)
    first = _log(w, rid, base, parked_topics=["hoften", "barnebarnet"])
    topics = {t["text"]: t for t in _agreement(w, rid)["topics"]}
    assert {t["state"] for t in topics.values()} == {"open"}
    assert topics["hoften"]["parked_in_entry_id"] == first["id"]
    second = _log(w, rid, base + timedelta(days=1), taken_up_topic_ids=[topics["hoften"]["id"]],
                  resolved_topic_ids=[topics["barnebarnet"]["id"]])
    listed = w.client.get(f"/api/v1/referrals/{rid}/parked-topics", headers=w.coordinator.headers).json()["items"]
    by_text = {t["text"]: t for t in listed}
    assert by_text["hoften"]["state"] == "taken_up" and by_text["hoften"]["taken_up_in_entry_id"] == second["id"]
    assert by_text["barnebarnet"]["state"] == "resolved" and by_text["barnebarnet"]["resolved_in_entry_id"] == \
        second["id"]
    assert [t["text"] for t in _agreement(w, rid)["topics"]] == ["hoften"]  # lives until resolved
    only_resolved = w.client.get(f"/api/v1/referrals/{rid}/parked-topics", params={"state": "resolved"},
                                 headers=w.coordinator.headers).json()["items"]
    assert [t["text"] for t in only_resolved] == ["barnebarnet"]
    # a resolved topic cannot be taken up again; another referral's topic id is unknown here: 422, nothing written
    other = _started(w)
    _agree(w, other)
    _log(w, other, base, parked_topics=["andet"])
    foreign = _agreement(w, other)["topics"][0]["id"]
    for ids in ([by_text["barnebarnet"]["id"]], [foreign], [str(uuid.uuid4())]):
        before = len(w.client.get(f"/api/v1/referrals/{rid}/contacts", headers=w.coordinator.headers).json()["items"])
        resp = w.client.post(f"/api/v1/referrals/{rid}/contacts", headers=w.coordinator.headers, json={
            "contacted_at": _iso(base + timedelta(days=2)), "duration_minutes": 10, "channel": "phone",
            "taken_up_topic_ids": ids})
        assert resp.status_code == 422 and ids[0] not in resp.text
        after = len(w.client.get(f"/api/v1/referrals/{rid}/contacts", headers=w.coordinator.headers).json()["items"])
        assert after == before
    # the referrer's summary counts them, never shows them
    summary = w.client.get(f"/api/v1/referrals/{rid}/contact-summary", headers=w.caseworker.headers)
    assert summary.status_code == 200 and summary.json()["open_parked_topics"] == 1
    assert "hoften" not in summary.text


def test_a_named_volunteer_and_stand_in_and_the_mine_list(world: World, make_user):
    w = world
    volunteer, standin = make_user("coordinator", w.org_b), make_user("coordinator", w.org_b)
    rid = _started(w, given_name="Vera")
    other = _started(w, given_name="Olga")
    a = _agree(w, rid, volunteer_user_id=str(volunteer.user.id), standin_user_id=str(standin.user.id),
               cadence="by_agreement", weekday=None, time_of_day=None,
               next_contact_at=_iso(utcnow() - timedelta(minutes=1)))
    assert a["volunteer_user_id"] == str(volunteer.user.id) and a["standin_user_id"] == str(standin.user.id)
    _agree(w, other, cadence="by_agreement", weekday=None, time_of_day=None,
           next_contact_at=_iso(utcnow() - timedelta(minutes=2)))
    for actor, expected in ((volunteer, [rid]), (standin, [rid]), (w.coordinator, [])):
        mine = w.client.get("/api/v1/contacts/due", params={"mine": "true"}, headers=actor.headers).json()["items"]
        assert [i["referral_id"] for i in mine] == expected
    everyone = w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers).json()["items"]
    assert {i["referral_id"] for i in everyone} == {rid, other}
    # not a user of the provider, not one who keeps contacts, or the same person twice: 422, nothing changed
    caseworker_b = w.caseworker_b.user.id
    for body in ({"volunteer_user_id": str(w.caseworker.user.id)}, {"volunteer_user_id": str(caseworker_b)},
                 {"volunteer_user_id": str(volunteer.user.id), "standin_user_id": str(volunteer.user.id)},
                 {"standin_user_id": str(uuid.uuid4())}):
        resp = w.client.put(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers,
                            json={"channel": "phone", "cadence": "weekly", **body})
        assert resp.status_code == 422, (body, resp.text)
    assert _agreement(w, rid)["volunteer_user_id"] == str(volunteer.user.id)


# --- Copenhagen time: midnight and daylight saving ------------------------------------------------------

def _cph(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(("now", "window", "start", "end"), [
    # 23:30 UTC on 30 March 2026 is already 31 March (Tuesday) 01:30 in Copenhagen (summer time, UTC+2)
    (datetime(2026, 3, 30, 23, 30, tzinfo=UTC), DueWindow.today, _cph(2026, 3, 31), _cph(2026, 4, 1)),
    (datetime(2026, 3, 30, 23, 30, tzinfo=UTC), DueWindow.overdue, None, _cph(2026, 3, 31)),
    # the day summer time starts (Sunday 29 March 2026) has 23 hours
    (_cph(2026, 3, 29, 12), DueWindow.today, _cph(2026, 3, 29), _cph(2026, 3, 30)),
    # the day it ends (Sunday 25 October 2026) has 25 hours
    (_cph(2026, 10, 25, 12), DueWindow.today, _cph(2026, 10, 25), _cph(2026, 10, 26)),
    # this week runs to the end of Sunday; on a Sunday that is midnight the same night
    (_cph(2026, 10, 21, 9), DueWindow.this_week, _cph(2026, 10, 21), _cph(2026, 10, 26)),
    (_cph(2026, 10, 25, 23, 59), DueWindow.this_week, _cph(2026, 10, 25), _cph(2026, 10, 26)),
])
def test_due_windows_are_local_days_and_weeks(now, window, start, end):
    got_start, got_end, inclusive = bounds(window, now)
    assert (got_start, got_end, inclusive) == (start, end, False)
    if window == DueWindow.today and start is not None:
        assert (end - start) in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))


def test_due_list_windows_through_the_api_around_midnight(world: World):
    """At 23:30 UTC the Copenhagen date is already tomorrow: a call due at 22:30 UTC is 'today' there, one due
    at 21:30 UTC yesterday evening is overdue (UTC dates would say the opposite)."""
    w = world
    now = datetime(2026, 3, 30, 23, 30, tzinfo=UTC)  # Tuesday 01:30 in Copenhagen
    ids = {}
    for name, at in (("tonight", datetime(2026, 3, 30, 22, 30, tzinfo=UTC)),  # Tue 00:30 local: today
                     ("evening", datetime(2026, 3, 30, 21, 30, tzinfo=UTC)),  # Mon 23:30 local: overdue
                     ("sunday", _cph(2026, 4, 5, 20)),  # this week
                     ("monday", _cph(2026, 4, 6, 9))):  # next week
        rid = _started(w)
        _agree(w, rid, cadence="by_agreement", weekday=None, time_of_day=None)
        w.db.execute(ContactAgreement.__table__.update().where(  # type: ignore[attr-defined]
            ContactAgreement.referral_id == uuid.UUID(rid)).values(next_contact_at=at))
        ids[rid] = name
    w.db.commit()
    principal = principal_from_token(w.db, w.coordinator.token)

    def names(window: DueWindow) -> list[str]:
        items, _ = due.due_contacts(w.db, principal, PageParams(limit=50), window, now=now)
        return [ids[str(i.referral_id)] for i in items]

    assert names(DueWindow.today) == ["tonight"]
    assert names(DueWindow.overdue) == ["evening"]
    assert names(DueWindow.this_week) == ["tonight", "sunday"]
    assert names(DueWindow.due) == ["evening", "tonight"]
    w.db.rollback()


# --- the five elements, ending well, the consent gate ---------------------------------------------------

def test_the_five_elements_over_time_with_one_spelling(world: World):
    w = world
    rid = _started(w)
    _agree(w, rid)
    march, april = _cph(2026, 3, 31, 23, 30), _cph(2026, 4, 1, 0, 30)  # either side of a local month end
    _log(w, rid, march, elements=["tryghed", "fællesskab"])  # the old REST spelling is still accepted
    _log(w, rid, april, elements=["faellesskab", "haab"])
    _log(w, rid, april + timedelta(hours=1), outcome="no_answer", duration_minutes=0, elements=[])
    resp = w.client.get(f"/api/v1/referrals/{rid}/contact-elements", headers=w.coordinator.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    totals = {t["element"]: (t["count"], t["label_da"]) for t in body["totals"]}
    assert totals == {"tryghed": (1, "Tryghed"), "ro": (0, "Ro"), "handlekraft": (0, "Handlekraft"),
                      "faellesskab": (2, "Fællesskab"), "haab": (1, "Håb")}
    assert body["contacts"] == 2
    assert {(m["month"], m["element"], m["count"]) for m in body["months"]} == {
        ("2026-03", "tryghed", 1), ("2026-03", "faellesskab", 1), ("2026-04", "faellesskab", 1),
        ("2026-04", "haab", 1)}
    log = w.client.get(f"/api/v1/referrals/{rid}/contacts", headers=w.coordinator.headers).json()["items"]
    assert log[0]["elements"] == ["tryghed", "faellesskab"]
    # the referrer does not keep the contacts: it sees the summary, not the elements
    assert w.client.get(f"/api/v1/referrals/{rid}/contact-elements", headers=w.caseworker.headers).status_code == 403


@pytest.mark.parametrize(("body", "status"), [
    ({"ending": "planned_ending"}, 422),  # a planned ending names the next step
    ({"ending": "person_moved", "offer_id": str(uuid.UUID(int=1))}, 422),
    ({"ending": "planned_ending", "next_step": "Spisefællesskab i kirken torsdag"}, 200),
])
def test_ending_well(world: World, body, status):
    w = world
    rid = _started(w)
    _agree(w, rid, next_contact_at=_iso(utcnow() - timedelta(minutes=1)))
    resp = w.client.post(f"/api/v1/referrals/{rid}/contact-agreement/close", json=body, headers=w.coordinator.headers)
    assert resp.status_code == status, resp.text
    if status != 200:
        assert _agreement(w, rid)["closed_at"] is None
        return
    closed = resp.json()
    assert closed["ending"] == "planned_ending" and closed["next_contact_at"] is None and closed["closed_at"]
    assert w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers).json()["items"] == []
    again = w.client.post(f"/api/v1/referrals/{rid}/contact-agreement/close", json=body, headers=w.coordinator.headers)
    assert again.status_code == 409
    _log(w, rid, utcnow() - timedelta(minutes=5), expect=409)
    summary = w.client.get(f"/api/v1/referrals/{rid}/contact-summary", headers=w.caseworker.headers).json()
    assert summary["agreement_closed"] is True and summary["ending"] == "planned_ending"


def test_the_referrer_sees_the_contact_summary_only_while_the_consent_allows(world: World):
    w = world
    person = w.person(given_name="Gerda")
    rid = w.refer(person)["id"]
    w.drive(rid, "started")
    _agree(w, rid)
    _log(w, rid, utcnow() - timedelta(days=2), parked_topics=["hemmeligt emne"], note="privat note")
    _log(w, rid, utcnow() - timedelta(days=1), outcome="no_answer", duration_minutes=0, elements=[])
    url = f"/api/v1/referrals/{rid}/contact-summary"
    resp = w.client.get(url, headers=w.caseworker.headers)
    assert resp.status_code == 200, resp.text
    s = resp.json()
    assert (s["calls"], s["attempts"], s["open_parked_topics"], s["missed_in_a_row"]) == (1, 1, 1, 1)
    assert s["last_contact_at"] is not None and "hemmeligt" not in resp.text and "privat" not in resp.text
    assert w.client.get(url, headers=w.outsider.headers).status_code == 404
    assert w.client.get(url, headers=w.analyst_a.headers).status_code == 403
    # the consent is withdrawn: the gate is evaluated now, and the refusal is audited
    consent = w.client.get(f"/api/v1/persons/{person['id']}/consents", headers=w.caseworker.headers).json()["items"][0]
    w.client.post(f"/api/v1/persons/{person['id']}/consents/{consent['id']}/withdraw", json={},
                  headers=w.caseworker.headers)
    refused = w.client.get(url, headers=w.caseworker.headers)
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    w.db.expire_all()
    denied = w.db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "contact_summary.read", AuditEvent.outcome == "denied"))
    assert denied and denied >= 1
    assert w.client.get(url, headers=w.coordinator.headers).status_code == 404  # the provider lost sight of it


def test_graphql_logs_an_attempt_and_reads_the_rhythm(world: World, gql):
    w = world
    rid = _started(w)
    _agree(w, rid)
    logged = gql("""mutation($r: UUID!, $at: DateTime!) { logContact(referralId: $r, input: {contactedAt: $at,
        durationMinutes: 0, channel: phone, outcome: no_answer, parkedTopics: ["naboen"]}) {
        __typename ... on ContactLogEntry { outcome elements } ... on Problem { status detail } } }""",
                 {"r": rid, "at": _iso(utcnow() - timedelta(hours=2))}, w.coordinator)
    assert logged["data"]["logContact"] == {"__typename": "ContactLogEntry", "outcome": "no_answer", "elements": []}
    read = gql("""query($r: UUID!) { contactAgreement(referralId: $r) { missedInARow topics { id text state } }
        parkedTopics(referralId: $r) { items { text state } }
        contactElements(referralId: $r) { contacts totals { element labelDa count } }
        contactsDue(window: this_week) { items { referralId } } }""", {"r": rid}, w.coordinator)
    assert "errors" not in read, read
    assert read["data"]["contactAgreement"]["missedInARow"] == 1
    assert read["data"]["parkedTopics"]["items"] == [{"text": "naboen", "state": "open"}]
    assert [t["element"] for t in read["data"]["contactElements"]["totals"]] == [
        "tryghed", "ro", "handlekraft", "faellesskab", "haab"]
    closed = gql("""mutation($r: UUID!) { closeContactAgreement(referralId: $r, input: {ending: person_moved}) {
        __typename ... on ContactAgreement { ending closedAt } } }""", {"r": rid}, w.coordinator)
    assert closed["data"]["closeContactAgreement"]["ending"] == "person_moved"
    summary = gql("""query($r: UUID!) { contactSummary(referralId: $r) { calls attempts openParkedTopics
        agreementClosed } }""", {"r": rid}, w.caseworker)
    assert summary["data"]["contactSummary"] == {"calls": 0, "attempts": 1, "openParkedTopics": 1,
                                                 "agreementClosed": True}


def test_time_of_day_default_is_a_local_time():
    assert bounds(DueWindow.due, datetime(2026, 1, 1, tzinfo=UTC))[1] == datetime(2026, 1, 1, tzinfo=UTC)
    assert time(0) == _cph(2026, 7, 1).astimezone(LOCAL).time()
