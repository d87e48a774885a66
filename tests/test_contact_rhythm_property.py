"""Property-based: the retry rule and the missed-calls alert (`service/referrals/rhythm.next_after`) against a
small reference model written here, over generated sequences of outcomes, times, cadences and settings —
and, for a few sequences, the same through the API (the agreement's next contact and the alerts written)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.core.settings import get_settings
from service.core.types import utcnow
from service.events.models import OutboxEvent
from service.referrals.contacts import next_slot
from service.referrals.models import ContactOutcome
from service.referrals.rhythm import LOCAL, next_after
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401

OUTCOMES = list(ContactOutcome)


def _model_wall_clock(at: datetime, hours: int) -> datetime:
    """The reference: whole days on the local calendar, then the remaining hours on the local clock."""
    local = at.astimezone(LOCAL)
    day = date.fromordinal(local.date().toordinal() + hours // 24)
    naive = datetime.combine(day, local.time().replace(tzinfo=None)) + timedelta(hours=hours % 24)
    return naive.replace(tzinfo=LOCAL).astimezone(UTC)


def model(steps: list[tuple[ContactOutcome, datetime, datetime | None, datetime | None]], retry: list[int],
          alert_after: int) -> list[tuple[datetime | None, bool]]:
    """(next contact, alert) after each entry: a run of no-answers counts; anything else ends it."""
    run, out = 0, []
    for outcome, at, explicit, regular in steps:
        run = run + 1 if outcome == ContactOutcome.no_answer else 0
        alert = outcome == ContactOutcome.no_answer and run == alert_after
        if explicit is not None:
            nxt = explicit
        elif outcome == ContactOutcome.held:
            nxt = regular
        else:
            wait = retry[-1] if max(run, 1) > len(retry) else retry[max(run, 1) - 1]
            nxt = _model_wall_clock(at, wait)
            if regular is not None and at < regular < nxt:
                nxt = regular
        out.append((nxt, alert))
    return out


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(UTC))
gaps = st.integers(min_value=1, max_value=24 * 20).map(lambda h: timedelta(hours=h))


@st.composite
def sequences(draw):
    start = draw(instants)
    cadence = draw(st.sampled_from(["weekly", "every_other_week", "monthly", "by_agreement"]))
    weekday = draw(st.none() | st.integers(0, 6))
    time_of_day = draw(st.none() | st.times().map(lambda t: t.replace(microsecond=0)))
    steps, at = [], start
    for _ in range(draw(st.integers(1, 12))):
        at = at + draw(gaps)
        outcome = draw(st.sampled_from(OUTCOMES))
        explicit = draw(st.none() | gaps.map(lambda g, a=at: a + g))
        steps.append((outcome, at, explicit, next_slot(cadence, weekday, time_of_day, at)))
    return steps


@given(steps=sequences(), retry=st.lists(st.integers(1, 24 * 14), min_size=1, max_size=4),
       alert_after=st.integers(1, 5))
@settings(max_examples=300, deadline=None)
def test_next_after_matches_the_reference_model(steps, retry, alert_after):
    missed, got = 0, []
    for outcome, at, explicit, regular in steps:
        step = next_after(outcome, at, missed, explicit, regular, retry, alert_after)
        missed = step.missed_in_a_row
        got.append((step.next_contact_at, step.alert))
    assert got == model(steps, retry, alert_after)
    # invariants the model must hold too: the next contact is later; alerts = runs that reach the threshold
    for (nxt, _), (outcome, at, explicit, regular) in zip(got, steps, strict=True):
        if nxt is not None and explicit is None and (outcome != ContactOutcome.held or regular is not None):
            assert nxt > at
    runs, run = 0, 0
    for outcome, *_ in steps:
        run = run + 1 if outcome == ContactOutcome.no_answer else 0
        runs += run == alert_after
    assert sum(alert for _, alert in got) == runs


@given(at=instants, days=st.integers(1, 30))
@settings(max_examples=300, deadline=None)
def test_a_retry_in_whole_days_keeps_the_local_time(at, days):
    """Across daylight-saving changes a retry "in 24 hours" lands at the same Copenhagen clock time (unless that
    time does not exist that day, 02:00–03:00 on the last Sunday of March)."""
    step = next_after(ContactOutcome.no_answer, at, 0, None, None, [24 * days], 99)
    assert step.next_contact_at is not None
    before, after = at.astimezone(LOCAL), step.next_contact_at.astimezone(LOCAL)
    assert after.date() == before.date() + timedelta(days=days)
    if not (after.month == 3 and after.hour in (2, 3)):
        assert after.time() == before.time()


@pytest.mark.slow
@given(outcomes=st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=6),
       gaps_hours=st.lists(st.integers(1, 60), min_size=6, max_size=6))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_follows_the_model(world: World, outcomes, gaps_hours):
    w = world
    rid = w.refer(w.person(given_name=f"Pia{uuid.uuid4().hex[:6]}"))["id"]
    w.drive(rid, "started")
    resp = w.client.put(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers,
                        json={"channel": "phone", "cadence": "weekly", "weekday": 3, "time_of_day": "10:30"})
    assert resp.status_code == 201, resp.text
    at = utcnow().replace(microsecond=0) - timedelta(days=30)
    steps = []
    for outcome, gap in zip(outcomes, gaps_hours, strict=False):
        at += timedelta(hours=gap)
        held = outcome == ContactOutcome.held or outcome == ContactOutcome.ended_early
        body = {"contacted_at": at.isoformat(), "channel": "phone", "outcome": str(outcome),
                "duration_minutes": 15 if held else 0, "elements": ["ro"] if held else []}
        assert w.client.post(f"/api/v1/referrals/{rid}/contacts", json=body,
                             headers=w.coordinator.headers).status_code == 201
        steps.append((outcome, at, None, next_slot("weekly", 3, clock(10, 30), at)))
    s = get_settings()
    expected = model(steps, s.contact_retry_hours, s.contact_missed_alert_after)
    agreement = w.client.get(f"/api/v1/referrals/{rid}/contact-agreement", headers=w.coordinator.headers).json()
    assert datetime.fromisoformat(agreement["next_contact_at"]) == expected[-1][0]
    w.db.expire_all()
    alerts = list(w.db.scalars(select(OutboxEvent).where(OutboxEvent.type == "contact.missed_alert",
                                                         OutboxEvent.subject == f"referral:{rid}",
                                                         OutboxEvent.organisation_id == w.org_a.id)))
    assert len(alerts) == sum(alert for _, alert in expected)
    assert w.act(rid, "complete").status_code == 200  # frees the offer's place for the next example
