"""Delivery by real workers to a real receiver: signatures (standardwebhooks), rotation overlap, retries with
back-off, ordering per subject, dead letters, disabling, no duplicates with two workers; scheduled jobs."""

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.audit.models import AuditEvent
from service.core.db import new_session
from service.core.settings import get_settings
from service.core.types import utcnow
from service.events import EventType, ReferralChanged, emit
from service.events.models import OutboxEvent
from service.organisations.models import Organisation
from service.webhooks import secrets as webhook_secrets
from service.webhooks.delivery import deliver_due
from service.webhooks.models import JobRun, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.webhooks.sender import new_secret
from service.wiring import wire
from service.worker.jobs import JOBS, run_due
from tests.webhook_support import Receiver, start_receiver

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    wire()
    settings = get_settings()
    monkeypatch.setattr(settings, "webhook_allowed_targets", ["127.0.0.1"])
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 0.01)
    monkeypatch.setattr(settings, "webhook_timeout_seconds", 5.0)
    r, server = start_receiver()
    yield r
    server.shutdown()
    server.server_close()


def _setup(session: Session, url: str, previous: str | None = None) -> tuple[Organisation, WebhookEndpoint]:
    org = Organisation(name=f"Org {uuid.uuid4().hex[:6]}", kind="municipality", municipality_code="0101")
    session.add(org)
    session.flush()
    endpoint = WebhookEndpoint(organisation_id=org.id, url=url, event_types=[str(t) for t in EventType],
                               previous_until=utcnow() + timedelta(hours=1) if previous else None)
    webhook_secrets.store(endpoint, new_secret(), previous)
    session.add(endpoint)
    session.commit()
    return org, endpoint


def _emit(session: Session, org: Organisation, referral_id: uuid.UUID, action: str = "accept") -> None:
    row: Any = type("R", (), {"id": referral_id, "offer_id": uuid.uuid4(), "referring_organisation_id": org.id,
                              "provider_organisation_id": org.id})
    emit(session, ReferralChanged.of(action, row))


def _drain(rounds: int = 200) -> None:
    for _ in range(rounds):
        deliver_due(new_session)
        with new_session() as s:
            if not s.scalar(select(WebhookDelivery.id).where(WebhookDelivery.status.in_(["pending", "in_flight"]))):
                return
        threading.Event().wait(0.02)


def test_signed_delivery_verifies_with_both_secrets_during_rotation(committed: Session, receiver: Receiver):
    old = new_secret()
    org, endpoint = _setup(committed, receiver.url, previous=old)
    _emit(committed, org, uuid.uuid4())
    committed.commit()
    _drain()
    assert len(receiver.received) == 1
    got = receiver.received[0]
    for secret in (webhook_secrets.current(endpoint), old):  # both sign during the overlap
        payload = Webhook(secret).verify(got.body, got.headers)
        assert payload["type"] == "referral.accepted" and payload["organisation_id"] == str(org.id)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(got.body, got.headers)
    event_id = committed.scalar(select(OutboxEvent.id))
    assert got.headers["webhook-id"] == str(event_id)
    attempt = committed.scalar(select(WebhookAttempt))
    assert attempt is not None and attempt.status_code == 200 and attempt.outcome == "success"


def test_retries_keep_order_per_subject(committed: Session, receiver: Receiver):
    org, _ = _setup(committed, receiver.url)
    first, second = uuid.uuid4(), uuid.uuid4()
    receiver.script = [500, 503]  # the first delivery fails twice
    for action in ("send", "accept", "start"):
        _emit(committed, org, first, action)
    _emit(committed, org, second, "send")
    committed.commit()
    _drain()
    by_subject: dict[str, list[str]] = {}
    ids: Counter[str] = Counter()
    for r in receiver.received:
        p = r.payload
        ids[r.headers["webhook-id"]] += 1
        by_subject.setdefault(p["data"]["referral_id"], []).append(p["type"])
    seen = by_subject[str(first)]
    # a failed event is retried before anything later about the same referral goes out: runs, never interleaved
    assert [t for i, t in enumerate(seen) if i == 0 or seen[i - 1] != t] == [
        "referral.sent", "referral.accepted", "referral.started"]
    assert set(by_subject[str(second)]) == {"referral.sent"}
    assert len(receiver.received) == 6 and len(ids) == 4
    attempts = list(committed.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))
    assert [a.outcome for a in attempts].count("http_error") == 2
    assert {d.status for d in committed.scalars(select(WebhookDelivery))} == {"succeeded"}


def test_dead_letter_disable_notify_and_redeliver(committed: Session, receiver: Receiver,
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(get_settings(), "webhook_retry_hours", 0.001)
    monkeypatch.setattr(get_settings(), "webhook_disable_after_hours", 0.001)
    receiver.default = 500
    org, endpoint = _setup(committed, receiver.url)
    _emit(committed, org, uuid.uuid4())
    committed.commit()
    deliver_due(new_session)
    committed.execute(update(WebhookDelivery).values(window_started_at=utcnow() - timedelta(hours=1),
                                                     next_attempt_at=utcnow()))
    committed.execute(update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(hours=1)))
    committed.commit()
    deliver_due(new_session)
    committed.expire_all()
    assert committed.scalar(select(WebhookDelivery.status)) == "dead"
    disabled = committed.get(WebhookEndpoint, endpoint.id)
    assert disabled is not None and not disabled.enabled and disabled.disabled_reason == "failing"
    feed = [e.type for e in committed.scalars(select(OutboxEvent).where(OutboxEvent.organisation_id == org.id))]
    assert "webhook_endpoint.disabled" in feed
    assert committed.scalar(select(AuditEvent.id).where(AuditEvent.action == "webhook_endpoint.disable"))


def test_two_workers_never_deliver_twice(committed: Session, receiver: Receiver):
    org, _ = _setup(committed, receiver.url)
    for _ in range(40):
        _emit(committed, org, uuid.uuid4())
    committed.commit()
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        for _ in range(60):
            if deliver_due(new_session, limit=3) == 0:
                threading.Event().wait(0.05)
                if deliver_due(new_session, limit=3) == 0:
                    return

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    ids = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(ids) == 40 and set(ids.values()) == {1}


def test_each_job_slot_runs_once_with_two_workers(committed: Session, receiver: Receiver):
    results: list[list[JobRun]] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        results.append(run_due(new_session))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    made = [r.job for runs in results for r in runs]
    assert sorted(made) == sorted(j.name for j in JOBS)  # every job once, across both workers
    rows = list(committed.scalars(select(JobRun)))
    assert {r.outcome for r in rows} == {"succeeded"} and len(rows) == len(JOBS)
    assert len(list(committed.scalars(select(AuditEvent).where(AuditEvent.action == "job.run")))) == len(JOBS)
    committed.rollback()  # (SQLite: end the reading transaction, it holds the write lock)
    assert run_due(new_session) == []  # the same slots again: nothing


def test_two_worker_processes_never_deliver_twice(committed: Session, receiver: Receiver):
    """`tvaers worker --once` twice at the same time, against the same database (a slow receiver keeps both busy)."""
    import os
    import subprocess
    import sys

    org, _ = _setup(committed, receiver.url)
    for _ in range(30):
        _emit(committed, org, uuid.uuid4())
    committed.commit()
    receiver.delay = 0.05
    env = {**os.environ, "TVAERS_WEBHOOK_ALLOWED_TARGETS": '["127.0.0.1"]', "TVAERS_LOG_LEVEL": "WARNING"}
    procs = [subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--once", "--no-jobs"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
    ids = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(ids) == 30 and set(ids.values()) == {1}


def test_serve_can_run_the_worker_in_process(committed: Session, receiver: Receiver,
                                             monkeypatch: pytest.MonkeyPatch):
    from fastapi.testclient import TestClient

    from service.main import create_app

    monkeypatch.setattr(get_settings(), "worker_in_process", True)
    monkeypatch.setattr(get_settings(), "worker_poll_seconds", 0.05)
    org, _ = _setup(committed, receiver.url)
    _emit(committed, org, uuid.uuid4())
    committed.commit()
    with TestClient(create_app()):
        for _ in range(300):
            if receiver.received:
                break
            threading.Event().wait(0.05)
    assert len(receiver.received) == 1
