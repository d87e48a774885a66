"""Retention: what is past its period is deleted or reduced — idempotently, in batches, audited, with a dry
run that changes nothing — and deleting old audit events keeps the chain verifiable."""

import json
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service.audit import chain
from service.audit.models import AuditEvent
from service.cli import app as cli_app
from service.core.idempotency import IdempotencyRecord
from service.core.types import utcnow
from service.persons.models import Consent, ConsentPurposeRow, LonelinessMeasurement, Person
from service.referrals.models import ContactAgreement, ContactLogEntry, Referral, ReferralTransition
from service.retention import service as retention
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401

LONG_AGO = timedelta(days=5000)
NO_WEBHOOKS = {"webhook_delivered": 0, "webhook_dead": 0, "outbox_events": 0}  # see test_webhook_retention


def _sessions(connection):
    return lambda: Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _arrange(w: World) -> dict:
    """One of everything past its period, and one of everything still within it."""
    old_person, kept_person = w.person(), w.person(given_name="Beholdt")
    for p in (old_person, kept_person):
        consent = w.client.get(f"/api/v1/persons/{p['id']}/consents", headers=w.caseworker.headers).json()["items"][0]
        w.client.post(f"/api/v1/persons/{p['id']}/consents/{consent['id']}/withdraw", headers=w.caseworker.headers)
    w.db.execute(update(Person).where(Person.id == uuid.UUID(old_person["id"]))
                 .values(erased_at=utcnow() - LONG_AGO))
    live = w.person(given_name="Aktiv")
    old_ref = w.refer(live)
    w.drive(old_ref["id"], "started")
    w.client.put(f"/api/v1/referrals/{old_ref['id']}/contact-agreement", headers=w.coordinator.headers,
                 json={"channel": "phone", "cadence": "weekly"})
    for when in (utcnow() - LONG_AGO, utcnow()):
        w.client.post(f"/api/v1/referrals/{old_ref['id']}/contacts", headers=w.coordinator.headers,
                      json={"contacted_at": when.isoformat(), "duration_minutes": 15, "channel": "phone",
                            "elements": ["ro"], "note": "Snak om haven"})
    w.act(old_ref["id"], "complete", outcome="attended_regularly")
    w.db.execute(update(Referral).where(Referral.id == uuid.UUID(old_ref["id"])).values(closed_at=utcnow() - LONG_AGO))
    w.db.add_all([IdempotencyRecord(principal_key="user:x", key=k, request_path="/", request_hash="h", status_code=201,
                                    response_body="{}", created_at=when)
                  for k, when in (("old", utcnow() - LONG_AGO), ("new", utcnow()))])
    old_events = [chain_event.id for chain_event in w.db.scalars(select(AuditEvent).order_by(AuditEvent.id).limit(5))]
    w.db.execute(update(AuditEvent).where(AuditEvent.id.in_(old_events)).values(occurred_at=utcnow() - LONG_AGO))
    w.db.commit()
    return {"old_person": uuid.UUID(old_person["id"]), "kept_person": uuid.UUID(kept_person["id"]),
            "old_ref": uuid.UUID(old_ref["id"]), "old_events": old_events}


def _snapshot(db) -> dict:
    db.expire_all()
    count = lambda model: db.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {"consents": count(Consent), "purposes": count(ConsentPurposeRow), "logs": count(ContactLogEntry),
            "agreements": count(ContactAgreement), "idempotency": count(IdempotencyRecord),
            "events": count(AuditEvent), "measurements": count(LonelinessMeasurement),
            "messages": db.scalar(select(func.count()).select_from(Referral).where(Referral.message.is_not(None))),
            "notes": db.scalar(select(func.count()).select_from(ReferralTransition)
                               .where(ReferralTransition.note.is_not(None)))}


def test_dry_run_then_run_then_nothing_left(world, connection):
    w = world
    ids = _arrange(w)
    before = _snapshot(w.db)
    dry = {o.category: o for o in retention.run(_sessions(connection), dry_run=True, batch_size=2)}
    assert {k: dry[k].due for k in dry} == {"closed_persons": 1, "ended_referrals": 1, "contact_logs": 1,
                                            "idempotency": 1, "audit_events": 5, **NO_WEBHOOKS}
    assert all(o.done == 0 for o in dry.values())
    after_dry = _snapshot(w.db)
    assert {k: v for k, v in after_dry.items() if k != "events"} == {k: v for k, v in before.items() if k != "events"}

    bars: dict[str, int] = {}

    def progress(what: str, total: int):
        bars[what] = total
        return lambda n: None

    done = {o.category: o.done for o in retention.run(_sessions(connection), batch_size=2, progress=progress)}
    assert done == {"closed_persons": 1, "ended_referrals": 1, "contact_logs": 1, "idempotency": 1,
                    "audit_events": 5, **NO_WEBHOOKS}
    assert bars["audit_events"] == 5
    w.db.expire_all()
    assert w.db.scalar(select(func.count()).select_from(Consent).where(Consent.person_id == ids["old_person"])) == 0
    assert w.db.scalar(select(func.count()).select_from(Consent).where(Consent.person_id == ids["kept_person"])) > 0
    assert w.db.get(Person, ids["old_person"]).birth_year == 1990, "the statistical row stays"
    referral = w.db.get(Referral, ids["old_ref"])
    assert referral.message is None and referral.outcome == "attended_regularly"
    assert w.db.scalar(select(ContactAgreement).where(ContactAgreement.referral_id == ids["old_ref"])) is None
    assert [e.note for e in w.db.scalars(select(ContactLogEntry))] == ["Snak om haven"], "the recent entry stays"
    assert w.db.scalar(select(IdempotencyRecord.key)) == "new"
    assert not w.db.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids["old_events"]))).all()
    report = chain.verify(w.db)
    assert report.ok, report.finding
    assert report.anchor_seq >= 5

    again = retention.run(_sessions(connection), batch_size=2)
    assert all(o.due == 0 and o.done == 0 for o in again), "idempotent"
    audited = [e.criterion for e in w.db.scalars(select(AuditEvent).where(AuditEvent.action == "retention.run"))]
    assert {(c["category"], c["dry_run"]) for c in audited} >= {("audit_events", True), ("audit_events", False)}


def test_cli_retention_run_prints_what_it_did(committed):
    committed.add(IdempotencyRecord(principal_key="user:x", key=str(uuid.uuid4()), request_path="/",
                                    request_hash="h", status_code=201, response_body=json.dumps({"a": 1}),
                                    created_at=utcnow() - timedelta(days=2)))
    committed.commit()
    runner = CliRunner()
    dry = runner.invoke(cli_app, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "idempotency" in dry.output and "would act on       1" in dry.output
    real = runner.invoke(cli_app, ["retention", "run", "--no-progress"])
    assert real.exit_code == 0 and "acted on       1 stored idempotent responses" in real.output, real.output
    assert committed.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    committed.rollback()  # a reader left open would hold SQLite's shared lock against the sealer
    assert runner.invoke(cli_app, ["audit", "verify"]).exit_code == 0
