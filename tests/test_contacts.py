"""The phone-friend practice: contact agreements, the contact log with parked topics, and the due list."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from service.audit.models import AuditEvent
from service.core.types import utcnow
from service.referrals.contacts import LOCAL, next_slot
from service.referrals.models import ContactAgreement
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, counts, world_fixture  # noqa: F401


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _active(w: World, status: str = "started", **person) -> str:
    rid = w.refer(w.person(**person))["id"]
    w.drive(rid, status)
    return rid


def _agree(w: World, rid: str, actor=None, **over):
    body = {"channel": "phone", "cadence": "every_other_week", "weekday": 2, "time_of_day": "10:00", **over}
    return w.client.put(f"/api/v1/referrals/{rid}/contact-agreement", json=body,
                        headers=(actor or w.coordinator).headers)


def _log(w: World, rid: str, actor=None, **over):
    body = {"contacted_at": _iso(utcnow() - timedelta(hours=1)), "duration_minutes": 25, "channel": "phone",
            "elements": ["tryghed", "fællesskab"], "parked_topics": ["datterens besøg"], **over}
    return w.client.post(f"/api/v1/referrals/{rid}/contacts", json=body, headers=(actor or w.coordinator).headers)


def test_agreement_defaults_the_next_contact_to_the_agreed_weekday_and_time(world: World):
    w = world
    rid = _active(w, "accepted")
    resp = _agree(w, rid)
    assert resp.status_code == 201, resp.text
    a = resp.json()
    nxt = datetime.fromisoformat(a["next_contact_at"]).astimezone(LOCAL)
    assert nxt.weekday() == 2 and nxt.time() == time(10, 0) and nxt > utcnow()
    assert nxt - utcnow() <= timedelta(days=7)
    assert a["parked_topics"] == [] and a["last_contact_at"] is None
    again = _agree(w, rid, channel="visit", cadence="monthly", weekday=None, time_of_day=None,
                   next_contact_at=_iso(utcnow() + timedelta(days=3)))
    assert again.status_code == 200 and again.json()["channel"] == "visit" and again.json()["id"] == a["id"]
    got = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers)
    assert got.status_code == 200 and got.json()["cadence"] == "monthly"


def test_contact_log_parks_topics_for_next_time_and_moves_the_next_contact(world: World):
    w = world
    rid = _active(w)
    _agree(w, rid)
    first = _log(w, rid, contacted_at=_iso(utcnow() - timedelta(days=14)),
                 next_contact_at=_iso(utcnow() - timedelta(days=1)), next_contact_agenda="Tal om haven")
    assert first.status_code == 201, first.text
    assert first.json()["elements"] == ["tryghed", "faellesskab"]  # the old spelling is accepted, the ASCII code stored
    agreement = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()
    assert agreement["parked_topics"] == ["datterens besøg"] and agreement["next_contact_agenda"] == "Tal om haven"
    assert agreement["next_contact_at"] == first.json()["next_contact_at"]

    # an older entry logged late does not move the agreement
    late = _log(w, rid, contacted_at=_iso(utcnow() - timedelta(days=20)), parked_topics=["gammelt emne"],
                next_contact_at=_iso(utcnow() + timedelta(days=30)))
    assert late.status_code == 201
    agreement = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()
    assert agreement["parked_topics"] == ["datterens besøg"]
    assert agreement["next_contact_at"] == first.json()["next_contact_at"]

    # the newest entry without an explicit time: next slot by cadence (every other week, Wednesday 10:00)
    newest = _log(w, rid, parked_topics=["flytning"], elements=["håb", "handlekraft", "ro"])
    assert newest.status_code == 201
    agreement = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()
    nxt = datetime.fromisoformat(agreement["next_contact_at"]).astimezone(LOCAL)
    assert nxt.weekday() == 2 and nxt.time() == time(10, 0)
    assert timedelta(days=13) < nxt - datetime.fromisoformat(newest.json()["contacted_at"]) <= timedelta(days=21)
    assert agreement["parked_topics"] == ["flytning"]
    log = w.client.get(f"/api/v1/referrals/{rid}/contacts", headers=w.coordinator.headers).json()["items"]
    assert [e["parked_topics"] for e in log] == [["gammelt emne"], ["datterens besøg"], ["flytning"]]


def test_due_list_shows_due_and_overdue_contacts_with_parked_topics(world: World):
    w = world
    overdue = _active(w, given_name="Anna")
    _agree(w, overdue)
    _log(w, overdue, contacted_at=_iso(utcnow() - timedelta(days=10)), next_contact_at=_iso(utcnow() - timedelta(
        days=3)), parked_topics=["hoftenyt"], next_contact_agenda="Hvordan gik lægebesøget?")
    due_now = _active(w, "accepted", given_name="Birte")
    # due earlier today (Copenhagen) but not overdue — clamped so the test holds just after midnight too
    today_start = datetime.now(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)
    _agree(w, due_now, next_contact_at=_iso(max(utcnow() - timedelta(minutes=5), today_start.astimezone(UTC))))
    later = _active(w, given_name="Carl")
    _agree(w, later, next_contact_at=_iso(utcnow() + timedelta(days=2)))
    by_agreement = _active(w, given_name="Dora")
    _agree(w, by_agreement, cadence="by_agreement", weekday=None, time_of_day=None)
    finished = _active(w, given_name="Erik")
    _agree(w, finished, next_contact_at=_iso(utcnow() - timedelta(days=1)))
    w.act(finished, "complete", outcome="attended_regularly")

    resp = w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers)
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [i["referral_id"] for i in items] == [overdue, due_now]
    assert items[0]["overdue"] is True and items[0]["parked_topics"] == ["hoftenyt"]
    assert items[0]["next_contact_agenda"] == "Hvordan gik lægebesøget?"
    assert items[0]["person"]["given_name"] == "Anna" and "family_name" not in items[0]["person"]
    assert items[1]["parked_topics"] == [] and items[1]["overdue"] is False
    page = w.client.get("/api/v1/contacts/due", params={"limit": 1}, headers=w.coordinator.headers).json()
    rest = w.client.get("/api/v1/contacts/due", params={"limit": 1, "cursor": page["next_cursor"]},
                        headers=w.coordinator.headers).json()
    assert [page["items"][0]["referral_id"], rest["items"][0]["referral_id"]] == [overdue, due_now]
    # other organisations and roles
    assert w.client.get("/api/v1/contacts/due", headers=w.outsider.headers).json()["items"] == []
    assert w.client.get("/api/v1/contacts/due", headers=w.caseworker.headers).status_code == 403
    w.db.expire_all()
    assert w.db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.due")).first() is not None


def test_due_list_drops_a_contact_when_the_consent_ends(world: World):
    w = world
    rid = _active(w)
    _agree(w, rid, next_contact_at=_iso(utcnow() - timedelta(hours=1)))
    assert len(w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers).json()["items"]) == 1
    person_id = w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers).json()["person_id"]
    consent = w.client.get(f"/api/v1/persons/{person_id}/consents", headers=w.caseworker.headers).json()["items"][0]
    w.client.post(f"/api/v1/persons/{person_id}/consents/{consent['id']}/withdraw", json={},
                  headers=w.caseworker.headers)
    assert w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers).json()["items"] == []
    assert w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).status_code == 404


@pytest.mark.parametrize("who,expected", [("caseworker", 403), ("admin_a", 403), ("caseworker_b", 403),
                                          ("outsider", 404), ("analyst_a", 403)])
def test_only_the_provider_keeps_contacts(world: World, who, expected):
    w = world
    rid = _active(w)
    actor = getattr(w, who)
    before = counts(w.db)
    assert _agree(w, rid, actor=actor).status_code == expected
    assert _log(w, rid, actor=actor).status_code == expected
    assert w.client.get(f"/api/v1/referrals/{rid}/contacts", headers=actor.headers).status_code == expected
    assert counts(w.db) == before
    w.db.expire_all()
    assert w.db.scalars(select(AuditEvent).where(AuditEvent.action == "contact_log.write",
                                                 AuditEvent.outcome == "denied")).first() is not None


@pytest.mark.parametrize("status", ["sent", "declined", "completed", "withdrawn"])
def test_contacts_need_an_accepted_or_started_referral(world: World, status):
    w = world
    rid = _active(w, status)
    before = counts(w.db)
    resp = _agree(w, rid)
    assert resp.status_code == 409 and resp.json()["current_status"] == status
    assert _log(w, rid).status_code == 409
    assert counts(w.db) == before


@pytest.mark.parametrize("over,field", [
    ({"elements": ["tryghed", "glæde"]}, "elements.1"),
    ({"elements": ["ro", "ro"]}, None),
    ({"duration_minutes": -5}, "duration_minutes"),
    ({"channel": "letter"}, "channel"),
    ({"contacted_at": "2026-01-01T10:00:00"}, "contacted_at"),  # no time zone
    ({"contacted_at": _iso(datetime.now(UTC) + timedelta(days=2))}, None),  # future
    ({"parked_topics": ["x" * 201]}, "parked_topics.0"),
    ({"mood": "good"}, "mood"),
])
def test_bad_contact_log_input_is_422_and_writes_nothing(world: World, over, field):
    w = world
    rid = _active(w)
    _agree(w, rid)
    before = counts(w.db)
    resp = _log(w, rid, **over)
    assert resp.status_code == 422, resp.text
    if field:
        assert field in [e["field"] for e in resp.json()["errors"]]
    assert counts(w.db) == before


def test_bad_agreement_input_is_422(world: World):
    w = world
    rid = _active(w)
    for over in ({"weekday": 7}, {"cadence": "daily"}, {"time_of_day": "25:00"}, {"next_contact_at": "soon"}):
        assert _agree(w, rid, **over).status_code == 422
    assert counts(w.db)["contact_agreement"] == 0


def test_first_log_without_agreement_makes_one(world: World):
    w = world
    rid = _active(w)
    nxt = utcnow() + timedelta(days=5)
    assert _log(w, rid, next_contact_at=_iso(nxt), next_contact_agenda="Aftal næste gang").status_code == 201
    a = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()
    assert a["cadence"] == "by_agreement" and a["next_contact_agenda"] == "Aftal næste gang"
    assert abs(datetime.fromisoformat(a["next_contact_at"]) - nxt) < timedelta(seconds=1)


def test_erasure_scrubs_contact_free_text(world: World):
    w = world
    rid = _active(w)
    _agree(w, rid, note="Ring på fastnet")
    _log(w, rid, note="Talte om sorg", next_contact_agenda="Mere om sorg")
    person_id = w.client.get(f"/api/v1/referrals/{rid}", headers=w.caseworker.headers).json()["person_id"]
    consent = w.client.get(f"/api/v1/persons/{person_id}/consents", headers=w.caseworker.headers).json()["items"][0]
    w.client.post(f"/api/v1/persons/{person_id}/consents/{consent['id']}/withdraw", json={},
                  headers=w.caseworker.headers)
    w.db.expire_all()
    agreement = w.db.scalar(select(ContactAgreement).where(ContactAgreement.referral_id == uuid.UUID(rid)))
    assert agreement is not None and agreement.note is None
    from service.referrals.models import ContactLogEntry

    entry = w.db.scalar(select(ContactLogEntry).where(ContactLogEntry.referral_id == uuid.UUID(rid)))
    assert entry.note is None and entry.parked_topics == [] and entry.next_contact_agenda is None


def test_next_slot_by_cadence():
    wednesday_morning = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Copenhagen
    weekly = next_slot("weekly", None, None, wednesday_morning)
    assert weekly == wednesday_morning + timedelta(days=7)
    fortnight = next_slot("every_other_week", 4, time(14, 30), wednesday_morning)  # Friday 14:30
    local = fortnight.astimezone(LOCAL)
    assert (local.date().isoformat(), local.time()) == ("2026-03-20", time(14, 30))
    monthly = next_slot("monthly", None, None, datetime(2026, 1, 31, 12, 0, tzinfo=UTC))
    assert monthly.astimezone(LOCAL).date().isoformat() == "2026-02-28"
    first = next_slot("weekly", 2, time(10, 0), wednesday_morning - timedelta(hours=2), first=True)
    assert first.astimezone(LOCAL).date().isoformat() == "2026-03-04"  # later the same day
    assert next_slot("weekly", 2, time(10, 0), wednesday_morning + timedelta(hours=1), first=True) > \
        wednesday_morning + timedelta(days=6)
    assert next_slot("by_agreement", 1, time(9, 0), wednesday_morning) is None


def test_overdue_agreement_listed_once_sorted(world: World):
    w = world
    rids = [_active(w, given_name=f"Due{i}") for i in range(3)]
    for i, rid in enumerate(rids):
        _agree(w, rid, next_contact_at=_iso(utcnow() + timedelta(days=1)))
        w.db.execute(update(ContactAgreement).where(ContactAgreement.referral_id == uuid.UUID(rid))
                     .values(next_contact_at=utcnow() - timedelta(hours=3 - i)))
    w.db.commit()
    items = w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers).json()["items"]
    assert [i["referral_id"] for i in items] == rids


def test_a_missed_call_keeps_the_parked_topics_and_the_agenda(world: World):
    """Regression: an attempt (no minutes, no elements) used to become the newest entry with no topics and no
    agenda, so the agreement and the due list forgot what was to be taken up next time."""
    w = world
    rid = _active(w)
    _agree(w, rid)
    now = utcnow()
    talk = _log(w, rid, contacted_at=_iso(now - timedelta(days=3)), parked_topics=["datterens besøg"],
                next_contact_agenda="Spørg til haven")
    assert talk.status_code == 201, talk.text
    missed = _log(w, rid, contacted_at=_iso(now - timedelta(hours=2)), duration_minutes=0, elements=[],
                  parked_topics=[], next_contact_at=_iso(now - timedelta(hours=1)))
    assert missed.status_code == 201, missed.text
    assert missed.json()["parked_topics"] == ["datterens besøg"]
    assert missed.json()["next_contact_agenda"] == "Spørg til haven"
    agreement = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()
    assert agreement["parked_topics"] == ["datterens besøg"] and agreement["next_contact_agenda"] == "Spørg til haven"
    due = w.client.get("/api/v1/contacts/due", headers=w.coordinator.headers).json()["items"]
    assert [(d["parked_topics"], d["next_contact_agenda"]) for d in due] == [(["datterens besøg"], "Spørg til haven")]
    # a second attempt may park one more topic and set a new agenda; the old topic stays
    again = _log(w, rid, contacted_at=_iso(now - timedelta(minutes=30)), duration_minutes=0, elements=[],
                 parked_topics=["lægebesøget", "datterens besøg"], next_contact_agenda="Ring om formiddagen")
    assert again.json()["parked_topics"] == ["datterens besøg", "lægebesøget"]
    assert again.json()["next_contact_agenda"] == "Ring om formiddagen"
    # a call that took place decides afresh what is parked
    held = _log(w, rid, contacted_at=_iso(now - timedelta(minutes=10)), parked_topics=[])
    agreement = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()
    assert held.status_code == 201 and agreement["parked_topics"] == [] and agreement["next_contact_agenda"] is None


def test_a_missed_call_cannot_push_the_parked_topics_past_their_limit(world: World):
    w = world
    rid = _active(w)
    topics = [f"emne {i}" for i in range(20)]
    first = _log(w, rid, contacted_at=_iso(utcnow() - timedelta(hours=3)), parked_topics=topics)
    assert first.status_code == 201, first.text
    before = counts(w.db)
    refused = _log(w, rid, contacted_at=_iso(utcnow() - timedelta(hours=1)), duration_minutes=0, elements=[],
                   parked_topics=["et emne mere"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "parked_topics"
    assert counts(w.db) == before
    kept = _log(w, rid, contacted_at=_iso(utcnow() - timedelta(hours=1)), duration_minutes=0, elements=[],
                parked_topics=[])
    assert kept.status_code == 201 and kept.json()["parked_topics"] == topics
