"""The sealed audit hash chain: one changed, inserted or deleted event — or a rewound head, a rewritten chain
behind an exported checkpoint — is reported as the first problem; retention deletes a prefix and the rest
still verifies. Runs on SQLite and PostgreSQL (the harness's database)."""

import json
import threading
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from typer.testing import CliRunner

from service.audit import chain
from service.audit.models import AuditChainHead, AuditEvent, AuditEventPerson
from service.audit.service import record
from service.cli import app
from service.core.types import utcnow


def _write(session, n: int, person: uuid.UUID | None = None) -> list[int]:
    ids = []
    for i in range(n):
        record(session, None, "test.event", purpose="test", actor_type="system", subject_type="person",
               subject_id=person or uuid.uuid4(), criterion={"i": i, "note": "æøå"})
        # the event is written before the session's next statement (audit.service: no flush of its own)
        ids.append(session.scalar(select(func.max(AuditEvent.id))))
    return ids


def _sealed(db, n: int = 8) -> list[AuditEvent]:
    ids = _write(db, n)
    chain.seal(db)
    db.expire_all()
    rows = list(db.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids)).order_by(AuditEvent.seal_seq)))
    assert [r.seal_seq for r in rows] == list(range(rows[0].seal_seq, rows[0].seal_seq + n))
    return rows


def test_sealing_chains_every_committed_event_and_verify_passes(db):
    rows = _sealed(db)
    assert all(r.chain_hash and r.prev_hash for r in rows)
    assert rows[1].prev_hash == rows[0].chain_hash
    report = chain.verify(db)
    assert report.ok, report.finding
    assert report.checked >= len(rows) and report.unsealed == 0
    assert chain.seal(db) == 0, "sealing is idempotent"
    _write(db, 1)
    assert chain.verify(db).unsealed == 1


def test_a_changed_event_is_reported(db):
    rows = _sealed(db)
    victim = rows[3]
    db.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(criterion={"i": 99}))
    finding = chain.verify(db).finding
    assert finding and finding.kind == "changed" and finding.event_id == victim.id


def test_a_removed_data_subject_link_is_a_change(db):
    rows = _sealed(db)
    db.execute(delete(AuditEventPerson).where(AuditEventPerson.event_id == rows[2].id))
    finding = chain.verify(db).finding
    assert finding and finding.kind == "changed" and finding.event_id == rows[2].id


def test_a_deleted_event_is_reported(db):
    rows = _sealed(db)
    victim = rows[4]
    db.execute(delete(AuditEventPerson).where(AuditEventPerson.event_id == victim.id))
    db.execute(delete(AuditEvent).where(AuditEvent.id == victim.id))
    finding = chain.verify(db).finding
    assert finding and finding.kind == "deleted" and finding.event_id == rows[5].id


def test_deleting_the_newest_events_is_reported(db):
    rows = _sealed(db)
    db.execute(delete(AuditEventPerson).where(AuditEventPerson.event_id == rows[-1].id))
    db.execute(delete(AuditEvent).where(AuditEvent.id == rows[-1].id))
    finding = chain.verify(db).finding
    assert finding and finding.kind == "deleted" and "newest" in finding.detail


def _insert_forged(db, rows: list[AuditEvent], at: int, consistent: bool) -> int:
    """Make room at rows[at] and insert a forged event there (hash computed properly or not)."""
    seq, occurred_at, prev = rows[at].seal_seq, rows[at].occurred_at, rows[at - 1]
    for event_id, old in sorted(((r.id, r.seal_seq) for r in rows[at:]), key=lambda x: -x[1]):
        db.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(seal_seq=old + 1)
                   .execution_options(synchronize_session=False))
    forged = AuditEvent(occurred_at=occurred_at, actor_type="system", action="test.event",
                        purpose="test", outcome="success", seal_seq=seq, prev_hash=prev.chain_hash)
    db.add(forged)
    db.flush()
    forged.chain_hash = chain.link_hash(prev.chain_hash, forged, []) if consistent else "f" * 64
    db.flush()
    head = db.get(AuditChainHead, 1)
    head.sealed_seq += 1  # even a head moved on (but not re-signed) is no cover
    db.flush()
    return forged.id


def test_an_inserted_event_is_reported(db):
    for consistent in (True, False):
        rows = _sealed(db)
        forged = _insert_forged(db, rows, 3, consistent)
        head = db.get(AuditChainHead, 1)
        head.signature = chain.head_signature(head)  # the strongest attacker here even holds the key
        db.flush()
        finding = chain.verify(db).finding
        assert finding and finding.kind == "inserted" and finding.event_id == forged, (consistent, finding)
        db.rollback()


def test_a_rewound_or_moved_head_fails_its_signature(db):
    rows = _sealed(db)
    db.execute(update(AuditChainHead).values(sealed_seq=rows[2].seal_seq, sealed_hash=rows[2].chain_hash))
    db.expire_all()
    finding = chain.verify(db).finding
    assert finding and finding.kind == "head"


def test_a_checkpoint_catches_a_rewrite_made_with_the_key(db):
    rows = _sealed(db)
    cp = chain.checkpoint(db)
    assert chain.verify(db, [cp]).ok
    # rewrite an event and every link after it, re-signing the head: only the checkpoint can tell
    db.execute(update(AuditEvent).where(AuditEvent.id == rows[1].id).values(criterion={"rewritten": True}))
    db.expire_all()
    prev = rows[0].chain_hash
    for r in db.scalars(select(AuditEvent).where(AuditEvent.seal_seq > rows[0].seal_seq)
                        .order_by(AuditEvent.seal_seq)).all():
        persons = [str(p) for p in db.scalars(select(AuditEventPerson.person_id)
                                              .where(AuditEventPerson.event_id == r.id))]
        r.prev_hash, r.chain_hash = prev, chain.link_hash(prev, r, persons)
        prev = r.chain_hash
    head = db.get(AuditChainHead, 1)
    head.sealed_hash = prev
    head.signature = chain.head_signature(head)
    db.flush()
    assert chain.verify(db).ok, "a rewrite with the key is consistent on its own"
    finding = chain.verify(db, [cp]).finding
    assert finding and finding.kind == "changed" and finding.seal_seq == cp["seal_seq"]
    forged = {**cp, "chain_hash": prev}
    assert chain.verify(db, [forged]).finding.kind == "checkpoint"


def test_retention_deletes_a_prefix_and_the_rest_still_verifies(db):
    _sealed(db, 6)
    newer = _write(db, 3)
    cutoff = utcnow() + timedelta(seconds=1)
    db.execute(update(AuditEvent).where(AuditEvent.id.in_(newer)).values(occurred_at=cutoff + timedelta(days=1)))
    chain.seal(db)
    cp_before = chain.checkpoint(db)
    total = 0
    while n := chain.delete_prefix(db, cutoff, batch_size=2):
        total += n
        assert chain.verify(db).ok
    assert total >= 6
    remaining = db.scalar(select(func.count()).select_from(AuditEvent))
    assert remaining == 3
    report = chain.verify(db, [cp_before])
    assert report.ok, report.finding
    head = db.get(AuditChainHead, 1)
    db.execute(update(AuditChainHead).values(anchor_seq=head.anchor_seq - 1))
    db.expire_all()
    assert chain.verify(db).finding.kind == "head", "moving the anchor needs the key"


def test_concurrent_writers_and_sealers_give_one_gapless_chain(committed):
    from service.core.db import new_session

    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(10):
                with new_session() as s:
                    _write(s, 2)
                    s.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def sealer() -> None:
        try:
            for _ in range(8):
                with new_session() as s:
                    chain.seal(s)
                    s.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)] + [threading.Thread(target=sealer)
                                                                      for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with new_session() as s:
        chain.seal(s)
        s.commit()
        seqs = list(s.scalars(select(AuditEvent.seal_seq).order_by(AuditEvent.seal_seq)))
        assert len(seqs) == 80 and seqs == list(range(seqs[0], seqs[0] + 80))
        assert chain.verify(s).ok


def test_cli_seal_verify_and_checkpoint(committed, tmp_path):
    runner = CliRunner()
    _write(committed, 5)
    committed.commit()
    sealed = runner.invoke(app, ["audit", "seal"])
    assert sealed.exit_code == 0 and "sealed 5" in sealed.output
    out = tmp_path / "cp.json"
    assert runner.invoke(app, ["audit", "checkpoint", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["seal_seq"] >= 5
    ok = runner.invoke(app, ["audit", "verify", "--checkpoint", str(out)])
    assert ok.exit_code == 0 and "intact" in ok.output, ok.output
    victim = committed.scalar(select(AuditEvent.id).order_by(AuditEvent.id).limit(1).offset(2))
    committed.execute(update(AuditEvent).where(AuditEvent.id == victim).values(outcome="denied"))
    committed.commit()
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and f"event {victim} was changed" in bad.output
