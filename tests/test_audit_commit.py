"""The audit write path (issue #14): events wait in the session and go out with its commit or next statement,
in the same transaction; a rolled-back savepoint takes its own along; TVAERS_AUDIT_READ_COMMIT=fast commits
a read (nothing but audit events written) without waiting for the WAL flush, and never a change to data."""

import uuid
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent, AuditEventPerson
from service.audit.service import record
from service.core.settings import get_settings
from tests.conftest import postgres_only


def _count(db: Session, action: str) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def test_an_event_is_written_with_the_next_statement_and_its_links(db):
    person = uuid.uuid4()
    record(db, None, "test.read", purpose="test", actor_type="system", subject_type="person", subject_id=person,
           person_ids=[uuid.uuid4(), uuid.uuid4()])
    assert _count(db, "test.read") == 1  # this SELECT sent the pending event first
    event_id = db.scalar(select(AuditEvent.id).where(AuditEvent.action == "test.read"))
    linked = db.scalars(select(AuditEventPerson.person_id).where(AuditEventPerson.event_id == event_id)).all()
    assert person in linked and len(linked) == 3


def test_a_rolled_back_savepoint_drops_its_events_and_keeps_the_others(db):
    record(db, None, "test.before", purpose="test", actor_type="system")
    savepoint = db.begin_nested()
    record(db, None, "test.inside", purpose="test", actor_type="system")
    savepoint.rollback()
    nested = db.begin_nested()
    record(db, None, "test.released", purpose="test", actor_type="system")
    nested.commit()
    db.commit()
    assert (_count(db, "test.before"), _count(db, "test.inside"), _count(db, "test.released")) == (1, 0, 1)


def test_a_rolled_back_transaction_writes_nothing(db):
    record(db, None, "test.lost", purpose="test", actor_type="system")
    db.rollback()
    assert _count(db, "test.lost") == 0


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TVAERS_AUDIT_READ_COMMIT", "fast")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("TVAERS_AUDIT_READ_COMMIT")
    get_settings.cache_clear()


def _statements(db: Session, work: Any) -> list[str]:
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    conn = db.connection()
    event.listen(conn, "before_cursor_execute", capture)
    try:
        work()
        db.commit()
    finally:
        event.remove(conn, "before_cursor_execute", capture)
    return sent


ASYNC = "SET LOCAL synchronous_commit = off"


@postgres_only
def test_fast_read_commit_skips_the_wal_wait_only_for_reads(db, fast, make_org):
    from service.organisations.models import Organisation

    def read() -> None:
        db.scalars(select(Organisation).limit(1)).all()
        record(db, None, "test.read", purpose="test", actor_type="system")

    assert ASYNC in _statements(db, read)

    org = make_org()

    def change() -> None:
        db.get(Organisation, org.id).phone = "12345678"  # type: ignore[union-attr]
        db.flush()
        record(db, None, "test.change", purpose="test", actor_type="system")

    assert ASYNC not in _statements(db, change)


@postgres_only
def test_durable_is_the_default(db):
    assert get_settings().audit_read_commit == "durable"
    assert ASYNC not in _statements(db, lambda: record(db, None, "test.read", purpose="test", actor_type="system"))
