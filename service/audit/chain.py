"""Tamper evidence for the audit trail: one global hash chain, sealed after the fact.

Why global: every event (also those with no organisation, e.g. failed logins) sits in one order, so deleting
or inserting anywhere shows, one sealer and one verifier walk cover everything, and the signed head and
checkpoints are one pair of numbers. An organisation's events are still read through the ordinary scope.

Why sealed after the fact: every request writes audit events (reads too). Chaining inside the request would
serialise all requests on the chain head. Instead `record()` writes events cheaply (seal columns NULL) and the
sealer — `tvaers audit seal`, `tvaers audit verify`, retention, later the scheduled worker — takes the one head
row's lock and chains the committed, unsealed events in id order, numbering them `seal_seq`. An event is
unprotected only until the next sealer run (the unsealed window; see the README).

Each link: chain_hash = SHA-256(prev_hash + "\\n" + canonical JSON of the event's content and its data
subjects). The head row (last sealed seq/hash and the retention anchor) is signed with HMAC-SHA256 under
TVAERS_AUDIT_CHECKPOINT_KEY, so rewinding the head or moving the anchor needs the key; exported checkpoints
carry the same signature and can be kept outside the database.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.models import AuditChainHead, AuditEvent, AuditEventPerson
from service.core.settings import get_settings
from service.core.types import utcnow

GENESIS = "0" * 64
CHECKPOINT_FORMAT = "tvaers-audit-checkpoint/1"


class ChainHeadInvalid(RuntimeError):
    """The head row's signature does not verify: sealing on top of it would legitimise a change."""


def _sign(*parts: object) -> str:
    message = "|".join(str(p) for p in parts).encode()
    return hmac.new(get_settings().audit_checkpoint_key.encode(), message, hashlib.sha256).hexdigest()


def head_signature(head: AuditChainHead) -> str:
    return _sign("head", head.sealed_seq, head.sealed_hash, head.anchor_seq, head.anchor_hash)


def canonical(event: AuditEvent, persons: list[str]) -> bytes:
    doc = {
        "id": event.id, "occurred_at": event.occurred_at.isoformat(), "actor_type": event.actor_type,
        "actor_id": event.actor_id, "actor_role": event.actor_role,
        "organisation_id": str(event.organisation_id) if event.organisation_id else None,
        "action": event.action, "subject_type": event.subject_type, "subject_id": event.subject_id,
        "criterion": event.criterion, "purpose": event.purpose, "outcome": event.outcome, "reason": event.reason,
        "persons": sorted(persons),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link_hash(prev_hash: str, event: AuditEvent, persons: list[str]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(event, persons)).hexdigest()


def _persons(session: Session, event_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in event_ids}
    if event_ids:
        for event_id, person_id in session.execute(select(AuditEventPerson.event_id, AuditEventPerson.person_id)
                                                   .where(col(AuditEventPerson.event_id).in_(event_ids))):
            out[event_id].append(str(person_id))
    return out


def lock_head(session: Session) -> AuditChainHead:
    """The head row, locked for this transaction (created on first use); serialises sealers and retention."""
    for _ in range(2):
        taken = session.execute(update(AuditChainHead).where(col(AuditChainHead.id) == 1)
                                .values(updated_at=utcnow()).execution_options(synchronize_session=False))
        if taken.rowcount:  # type: ignore[attr-defined]
            break
        try:
            with session.begin_nested():
                head = AuditChainHead(id=1, sealed_seq=0, sealed_hash=GENESIS, anchor_seq=0, anchor_hash=GENESIS)
                head.signature = head_signature(head)
                session.add(head)
        except IntegrityError:
            continue  # another sealer created it first; take its lock
    locked = session.scalar(select(AuditChainHead).where(col(AuditChainHead.id) == 1)
                            .execution_options(populate_existing=True))
    assert locked is not None
    if locked.signature != head_signature(locked):
        raise ChainHeadInvalid("the audit chain head's signature does not verify; run `tvaers audit verify`")
    return locked


def seal(session: Session, batch_size: int = 1000) -> int:
    """Chain every committed unsealed event, in id order. The caller commits. Returns how many."""
    head = lock_head(session)
    sealed = 0
    while True:
        events = list(session.scalars(select(AuditEvent).where(col(AuditEvent.seal_seq).is_(None))
                                      .order_by(col(AuditEvent.id)).limit(batch_size)))
        if not events:
            break
        persons = _persons(session, [e.id for e in events if e.id is not None])
        rows = []
        for e in events:
            assert e.id is not None
            seq, digest = head.sealed_seq + 1, link_hash(head.sealed_hash, e, persons[e.id])
            rows.append({"id": e.id, "seal_seq": seq, "prev_hash": head.sealed_hash, "chain_hash": digest})
            head.sealed_seq, head.sealed_hash = seq, digest
        session.execute(update(AuditEvent), rows)
        sealed += len(rows)
    head.signature = head_signature(head)
    session.add(head)
    session.flush()
    return sealed


# --- verification ------------------------------------------------------------------------------------

@dataclass
class Finding:
    kind: str  # changed | inserted | deleted | head | checkpoint
    detail: str
    event_id: int | None = None
    seal_seq: int | None = None


@dataclass
class Report:
    checked: int = 0
    sealed_seq: int = 0
    anchor_seq: int = 0
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None
    checkpoints: int = 0
    finding: Finding | None = None
    hashes: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.finding is None


def _walk(session: Session, after_seq: int, batch_size: int) -> Iterator[tuple[AuditEvent, list[str]]]:
    while True:
        events = list(session.scalars(select(AuditEvent).where(col(AuditEvent.seal_seq) > after_seq)
                                      .order_by(col(AuditEvent.seal_seq)).limit(batch_size)))
        if not events:
            return
        persons = _persons(session, [e.id for e in events if e.id is not None])
        for e in events:
            yield e, persons[e.id or 0]
        after_seq = events[-1].seal_seq or after_seq
        for e in events:
            session.expunge(e)  # a long walk keeps one batch in memory


def _self_consistent(event: AuditEvent, persons: list[str]) -> bool:
    return event.prev_hash is not None and link_hash(event.prev_hash, event, persons) == event.chain_hash


def verify(session: Session, checkpoints: list[dict[str, Any]] | None = None, batch_size: int = 1000) -> Report:
    """Walk the chain from the retention anchor to the signed head; report the first changed, inserted or
    deleted event (and any exported checkpoint that does not match)."""
    head = session.get(AuditChainHead, 1) or AuditChainHead(sealed_seq=0, sealed_hash=GENESIS, anchor_seq=0,
                                                            anchor_hash=GENESIS)
    if head.id is None:
        head.signature = head_signature(head)
    report = Report(sealed_seq=head.sealed_seq, anchor_seq=head.anchor_seq)
    report.unsealed, report.oldest_unsealed_at = session.execute(
        select(func.count(), func.min(AuditEvent.occurred_at)).where(col(AuditEvent.seal_seq).is_(None))).one()
    wanted = {int(c["seal_seq"]) for c in checkpoints or []}
    if head.signature != head_signature(head):
        report.finding = Finding("head", "the chain head (sealed head or retention anchor) was changed without the "
                                 "audit key: its signature does not verify")
        return report
    report.finding = _walk_links(session, head, report, wanted, batch_size)
    if report.finding is None:
        report.finding = _check_checkpoints(head, report, checkpoints or [])
    return report


def _walk_links(session: Session, head: AuditChainHead, report: Report, wanted: set[int],
                batch_size: int) -> Finding | None:
    prev_hash, last = head.anchor_hash, None
    before_prev: str | None = None  # the link before `prev_hash`, to recognise a well-forged insertion
    window = _walk(session, head.anchor_seq, batch_size)
    current = next(window, None)
    while current is not None:
        event, persons = current
        following = next(window, None)
        if event.seal_seq is not None and event.seal_seq > head.sealed_seq:
            return Finding("inserted", f"event {event.id} is sealed beyond the signed head (seq {head.sealed_seq})",
                           event.id, event.seal_seq)
        self_ok = _self_consistent(event, persons)
        if not (self_ok and event.prev_hash == prev_hash):
            if self_ok and last is not None and event.prev_hash == before_prev:
                return Finding("inserted", f"event {last.id} was inserted into the chain (event {event.id} "
                               "links past it)", last.id, last.seal_seq)
            return _classify(event, following, prev_hash, last.id if last else None, self_ok)
        before_prev, prev_hash, last = prev_hash, event.chain_hash or "", event
        report.checked += 1
        if event.seal_seq in wanted:
            report.hashes[event.seal_seq] = prev_hash
        current = following
    if prev_hash != head.sealed_hash:
        return Finding("deleted", f"the newest sealed events are missing: the chain ends after event "
                       f"{last.id if last else None} before the signed head (seq {head.sealed_seq})",
                       last.id if last else None)
    return None


def _classify(event: AuditEvent, following: tuple[AuditEvent, list[str]] | None, prev_hash: str,
              last_id: int | None, self_ok: bool) -> Finding:
    if following is not None and following[0].prev_hash == prev_hash and _self_consistent(*following):
        return Finding("inserted", f"event {event.id} was inserted into the chain (the next event links past it)",
                       event.id, event.seal_seq)
    if not self_ok:
        return Finding("changed", f"event {event.id} was changed after it was sealed", event.id, event.seal_seq)
    return Finding("deleted", f"one or more events were deleted between event {last_id} and event {event.id}",
                   event.id, event.seal_seq)


def _check_checkpoints(head: AuditChainHead, report: Report, checkpoints: list[dict[str, Any]]) -> Finding | None:
    for cp in checkpoints:
        seq, digest = int(cp["seal_seq"]), str(cp["chain_hash"])
        if cp.get("signature") != _sign("checkpoint", seq, digest, cp.get("created_at")):
            return Finding("checkpoint", f"the checkpoint at seq {seq} is not signed with the audit key")
        report.checkpoints += 1
        if seq < head.anchor_seq:
            continue  # before the retention anchor: that part of the chain was deleted on purpose
        held = head.anchor_hash if seq == head.anchor_seq else report.hashes.get(seq)
        if held is None:
            return Finding("deleted", f"the chain no longer reaches the checkpoint at seq {seq}", seal_seq=seq)
        if held != digest:
            return Finding("changed", f"the chain was rewritten: seq {seq} no longer has the checkpoint's hash",
                           seal_seq=seq)
    return None


def checkpoint(session: Session) -> dict[str, Any]:
    """A signed statement of the current sealed head, to keep outside the database."""
    head = session.get(AuditChainHead, 1)
    seq, digest = (head.sealed_seq, head.sealed_hash) if head else (0, GENESIS)
    created_at = utcnow().isoformat()
    event_id = session.scalar(select(AuditEvent.id).where(col(AuditEvent.seal_seq) == seq)) if seq else None
    return {"format": CHECKPOINT_FORMAT, "seal_seq": seq, "chain_hash": digest, "event_id": event_id,
            "created_at": created_at, "signature": _sign("checkpoint", seq, digest, created_at)}


# --- retention ---------------------------------------------------------------------------------------

def deletable_until(session: Session, head: AuditChainHead, cutoff: datetime) -> int:
    """The last seq of the sealed prefix whose events are all older than `cutoff`."""
    newer = session.scalar(select(func.min(AuditEvent.seal_seq)).where(
        col(AuditEvent.seal_seq) > head.anchor_seq, col(AuditEvent.occurred_at) >= cutoff))
    return head.sealed_seq if newer is None else int(newer) - 1


def delete_prefix(session: Session, cutoff: datetime, batch_size: int) -> int:
    """Delete one batch of the oldest sealed events older than `cutoff`; the anchor moves to the last deleted
    event (signed), so the remaining chain still verifies. The caller commits. Returns how many."""
    head = lock_head(session)
    upto = min(deletable_until(session, head, cutoff), head.anchor_seq + batch_size)
    if upto <= head.anchor_seq:
        return 0
    anchor_hash = session.scalar(select(AuditEvent.chain_hash).where(col(AuditEvent.seal_seq) == upto))
    ids = select(AuditEvent.id).where(col(AuditEvent.seal_seq) > head.anchor_seq, col(AuditEvent.seal_seq) <= upto)
    session.execute(delete(AuditEventPerson).where(col(AuditEventPerson.event_id).in_(ids.scalar_subquery()))
                    .execution_options(synchronize_session=False))
    removed = session.execute(delete(AuditEvent).where(col(AuditEvent.seal_seq) > head.anchor_seq,
                                                       col(AuditEvent.seal_seq) <= upto)
                              .execution_options(synchronize_session=False))
    head.anchor_seq, head.anchor_hash = upto, anchor_hash or GENESIS
    head.signature = head_signature(head)
    session.add(head)
    session.flush()
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]
