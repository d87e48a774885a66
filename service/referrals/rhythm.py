"""The rhythm of the phone-friend practice: attempts and the retry rule, parked topics that live until resolved,
and the five elements over time (Red Cross guide, DOMAIN.md).

`next_after` is the one rule for where the next contact lands after a log entry; it is pure so that a
property-based test can hold it against a reference model (tests/test_contact_rhythm_property.py).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Unprocessable
from service.referrals.models import ContactElement, ContactLogEntry, ContactOutcome, ParkedTopic, TopicState

LOCAL = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class Step:
    """Where the next contact lands after an entry, the unanswered calls in a row it makes, and whether this
    entry is the one that reaches the alert threshold (the alert fires once per run)."""

    next_contact_at: datetime | None
    missed_in_a_row: int
    alert: bool


def wall_clock_later(at: datetime, hours: int) -> datetime:
    """`hours` later on the Copenhagen wall clock: a retry "tomorrow" stays at the same local time across a
    daylight-saving change (23- or 25-hour days)."""
    local = at.astimezone(LOCAL).replace(tzinfo=None) + timedelta(hours=hours)
    return local.replace(tzinfo=LOCAL).astimezone(at.tzinfo)


def next_after(outcome: ContactOutcome, at: datetime, missed_before: int, explicit: datetime | None,
               regular: datetime | None, retry_hours: Sequence[int], alert_after: int) -> Step:
    """The next contact after an entry at `at`.

    - An explicit agreed time always wins.
    - A held call: the next regular slot (cadence); the run of unanswered calls ends.
    - An attempt (no answer, rescheduled, ended early): retry by the rule — the k-th unanswered call in a row
      waits `retry_hours[k-1]` (the last value repeats; a rescheduled or cut-short call counts as the first) —
      but never later than the next regular slot, which would come anyway.
    """
    missed = missed_before + 1 if outcome == ContactOutcome.no_answer else 0
    alert = outcome == ContactOutcome.no_answer and missed == alert_after
    if explicit is not None:
        return Step(explicit, missed, alert)
    if outcome == ContactOutcome.held:
        return Step(regular, missed, alert)
    k = max(missed, 1)
    retry = wall_clock_later(at, retry_hours[min(k, len(retry_hours)) - 1])
    if regular is not None and at < regular < retry:
        retry = regular
    return Step(retry, missed, alert)


def missed_before(session: Session, referral_id: uuid.UUID, before: datetime) -> int:
    """Unanswered calls in a row among the entries up to `before` (newest first, stopping at anything else)."""
    run = 0
    stmt = (select(ContactLogEntry.outcome).where(col(ContactLogEntry.referral_id) == referral_id,
                                                  col(ContactLogEntry.contacted_at) <= before)
            .order_by(col(ContactLogEntry.contacted_at).desc(), col(ContactLogEntry.created_at).desc()).limit(50))
    for outcome in session.scalars(stmt):
        if outcome != ContactOutcome.no_answer:
            break
        run += 1
    return run


# --- parked topics -----------------------------------------------------------------------------------

def park(session: Session, entry: ContactLogEntry, texts: Sequence[str]) -> None:
    """New topics parked in this entry (a text already open or taken up is not parked twice)."""
    live = set(session.scalars(select(ParkedTopic.text).where(
        col(ParkedTopic.referral_id) == entry.referral_id, col(ParkedTopic.state) != TopicState.resolved)))
    for text in dict.fromkeys(texts):
        if text not in live:
            session.add(ParkedTopic(referral_id=entry.referral_id, text=text, parked_in_entry_id=entry.id,
                                    parked_at=entry.contacted_at))


def take_up(session: Session, entry: ContactLogEntry, taken_up: Sequence[uuid.UUID],
            resolved: Sequence[uuid.UUID]) -> None:
    """Record topics talked about (taken up) or settled (resolved) in this entry. Ids that are not the
    referral's live topics are refused (422) without naming them."""
    wanted = set(taken_up) | set(resolved)
    if not wanted:
        return
    topics = {t.id: t for t in session.scalars(select(ParkedTopic).where(
        col(ParkedTopic.referral_id) == entry.referral_id, col(ParkedTopic.id).in_(wanted),
        col(ParkedTopic.state) != TopicState.resolved).with_for_update())}
    unknown = [name for name, ids in (("taken_up_topic_ids", taken_up), ("resolved_topic_ids", resolved))
               if any(i not in topics for i in ids)]
    if unknown:
        raise Unprocessable("Some topics are not this referral's open parked topics.", errors=[
            {"field": name, "message": "not an open parked topic of this referral", "code": "unknown_topic"}
            for name in unknown])
    for topic_id in taken_up:
        t = topics[topic_id]
        t.state, t.taken_up_at, t.taken_up_in_entry_id = TopicState.taken_up, entry.contacted_at, entry.id
        session.add(t)
    for topic_id in resolved:
        t = topics[topic_id]
        if t.taken_up_at is None:
            t.taken_up_at, t.taken_up_in_entry_id = entry.contacted_at, entry.id
        t.state, t.resolved_at, t.resolved_in_entry_id = TopicState.resolved, entry.contacted_at, entry.id
        session.add(t)


def live_topics(session: Session, referral_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ParkedTopic]]:
    """Open and taken-up topics per referral, oldest first (one statement)."""
    out: dict[uuid.UUID, list[ParkedTopic]] = {i: [] for i in referral_ids}
    if referral_ids:
        for t in session.scalars(select(ParkedTopic).where(
                col(ParkedTopic.referral_id).in_(referral_ids), col(ParkedTopic.state) != TopicState.resolved)
                .order_by(col(ParkedTopic.parked_at), col(ParkedTopic.id))):
            out[t.referral_id].append(t)
    return out


def forget_topics(session: Session, referral_ids: object) -> None:
    """Erasure: the parked topics' texts are about the person."""
    session.execute(delete(ParkedTopic).where(col(ParkedTopic.referral_id).in_(referral_ids))  # type: ignore[arg-type]
                    .execution_options(synchronize_session="fetch"))


# --- the five elements over time ---------------------------------------------------------------------

def record_elements(session: Session, entry: ContactLogEntry) -> None:
    month = entry.contacted_at.astimezone(LOCAL).strftime("%Y-%m")
    for code in entry.elements or []:
        session.add(ContactElement(entry_id=entry.id, referral_id=entry.referral_id, element=code, local_month=month))
