"""Retention of the webhook tables: finished deliveries go with their attempt log after their period (dead
letters later than successes), events once no delivery refers to them; open deliveries and their events
stay — in batches, idempotently, with a dry run that deletes nothing. On both databases."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.types import utcnow
from service.events.models import OutboxEvent
from service.organisations.models import Organisation
from service.retention import service as retention
from service.webhooks import secrets
from service.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.webhooks.sender import new_secret

WEBHOOK_CATEGORIES = ("webhook_delivered", "webhook_dead", "outbox_events")


def _sessions(connection):
    return lambda: Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _days_ago(n: int) -> datetime:
    return utcnow() - timedelta(days=n)


def _arrange(db: Session) -> dict[str, int]:
    """Named events, each with (or without) one delivery in a given state, finished some days ago."""
    org = Organisation(name=f"Org {uuid.uuid4().hex[:6]}", kind="municipality", municipality_code="0101")
    db.add(org)
    db.flush()
    endpoint = WebhookEndpoint(organisation_id=org.id, url="https://hooks.example.org/h", event_types=["x"])
    secrets.store(endpoint, new_secret(), None)
    db.add(endpoint)
    db.flush()
    plan = {  # name: (event age in days, delivery status or None, days since its last attempt)
        "delivered_old": (40, DeliveryStatus.succeeded, 31), "delivered_recent": (40, DeliveryStatus.succeeded, 29),
        "dead_old": (200, DeliveryStatus.dead, 91), "dead_recent": (200, DeliveryStatus.dead, 60),
        "pending_old": (400, DeliveryStatus.pending, None), "in_flight_old": (400, DeliveryStatus.in_flight, None),
        "bare_old": (91, None, None), "bare_recent": (89, None, None)}
    seqs = {}
    for name, (age, status, finished) in plan.items():
        event_id, referral_id = uuid.uuid4(), uuid.uuid4()
        payload = {"id": str(event_id), "type": "referral.sent", "timestamp": _days_ago(age).isoformat(),
                   "organisation_id": str(org.id), "data": {"referral_id": str(referral_id)}}  # the thin envelope
        event = OutboxEvent(id=event_id, type="referral.sent", organisation_id=org.id,
                            subject=f"referral/{referral_id}", payload=payload, occurred_at=_days_ago(age))
        db.add(event)
        db.flush()
        assert event.seq is not None
        seqs[name] = event.seq
        if status is not None:
            delivery = WebhookDelivery(endpoint_id=endpoint.id, event_seq=event.seq, subject=event.subject,
                                       status=status, attempts=2, created_at=_days_ago(age),
                                       finished_at=_days_ago(finished) if finished else None)
            db.add(delivery)
            db.flush()
            db.add_all([WebhookAttempt(delivery_id=delivery.id, endpoint_id=endpoint.id, attempt=n, latency_ms=5,
                                       outcome="http_error", attempted_at=_days_ago(age)) for n in (1, 2)])
    db.commit()
    return seqs


def _left(db: Session, seqs: dict[str, int]) -> tuple[set[str], set[str], int]:
    db.expire_all()
    names = {seq: name for name, seq in seqs.items()}
    events = {names[s] for s in db.scalars(select(OutboxEvent.seq))}
    deliveries = {names[s] for s in db.scalars(select(WebhookDelivery.event_seq))}
    return events, deliveries, int(db.scalar(select(func.count()).select_from(WebhookAttempt)) or 0)


def test_finished_deliveries_then_their_events_go_open_ones_stay(db, connection):
    seqs = _arrange(db)
    everything = set(seqs)
    dry = {o.category: o for o in retention.run(_sessions(connection), dry_run=True, batch_size=2)}
    assert {c: (dry[c].due, dry[c].done) for c in WEBHOOK_CATEGORIES} == {
        "webhook_delivered": (1, 0), "webhook_dead": (1, 0), "outbox_events": (1, 0)}  # bare_old only, so far
    assert _left(db, seqs) == (everything, everything - {"bare_old", "bare_recent"}, 12)

    done = {o.category: o.done for o in retention.run(_sessions(connection), batch_size=1)}
    # the deliveries went first, so the same run also takes the old event the dead letter was holding; the
    # 40-day-old event of delivered_old stays for its own 90 days (the organisation's event feed)
    assert {c: done[c] for c in WEBHOOK_CATEGORIES} == {"webhook_delivered": 1, "webhook_dead": 1,
                                                        "outbox_events": 2}
    kept = {"delivered_recent", "dead_recent", "pending_old", "in_flight_old"}
    assert _left(db, seqs) == (kept | {"bare_recent", "delivered_old"}, kept, 8)

    again = {o.category: (o.due, o.done) for o in retention.run(_sessions(connection), batch_size=1)}
    assert all(again[c] == (0, 0) for c in WEBHOOK_CATEGORIES), "idempotent"


def test_a_redelivery_racing_the_batch_keeps_its_row(db, monkeypatch):
    seqs = _arrange(db)
    dead = next(c for c in retention.CATEGORIES if c.name == "webhook_dead")
    due, batch = dead.due, dead.batch
    cutoff = _days_ago(90)
    assert due(db, cutoff) == 1
    # an admin redelivers the old dead letter between the batch's select and its delete: the delete re-checks
    delivery = db.scalar(select(WebhookDelivery).where(WebhookDelivery.event_seq == seqs["dead_old"]))
    original = db.scalars

    def select_then_redeliver(stmt, *args, **kwargs):  # type: ignore[no-untyped-def]
        rows = list(original(stmt, *args, **kwargs))
        delivery.status = DeliveryStatus.pending
        db.flush()
        return rows

    monkeypatch.setattr(db, "scalars", select_then_redeliver)
    batch(db, cutoff, 10)
    monkeypatch.undo()
    db.expire_all()
    assert db.get(WebhookDelivery, delivery.id) is not None
    assert db.scalar(select(func.count()).select_from(WebhookAttempt)
                     .where(WebhookAttempt.delivery_id == delivery.id)) == 2, "and its log"


def test_two_concurrent_runs_delete_each_row_once(committed: Session):
    """Two retention workers (real threads, own connections) on the same categories: no errors, nothing open
    touched, and the end state is the one a single run leaves."""
    import threading

    from service.core.db import new_session
    from service.core.progress import in_batches

    seqs = _arrange(committed)
    categories = [c for c in retention.CATEGORIES if c.name in WEBHOOK_CATEGORIES]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            for category in categories:
                cutoff = category.cutoff(utcnow())
                in_batches(new_session, lambda s, c=category, cut=cutoff: c.batch(s, cut, 1), 1, lambda n: None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, [type(e).__name__ for e in errors]
    kept = {"delivered_recent", "dead_recent", "pending_old", "in_flight_old"}
    assert _left(committed, seqs) == (kept | {"bare_recent", "delivered_old"}, kept, 8)
