"""Key ids on stored ciphertexts, the startup check of the key ring, and `tvaers keys rotate`.

- Every CPR ciphertext names its key (`cpr.encrypt`); a mapper hook copies that id to `person.cpr_key_id`
  whenever a person is written, so the create/update paths need not know about keys.
- `check_keys` runs at app start and before CLI commands that touch CPR numbers or documents: a key id
  used by stored data but missing from the ring, or a key that does not decrypt and re-hash a sample of its
  data, refuses the start with a message naming the key id — instead of a 500 for every person with a CPR,
  a CPR search that silently finds nothing and a duplicate check that passes.
- `rotate` re-encrypts and re-hashes everything not yet under the current key, in batches, each batch its
  own transaction, each row a compare-and-set (a concurrent edit wins; the row is already current then).
  Interrupted, it resumes where the data says it stopped.
- Other domains' data under the same ring (webhook signing secrets) is a `KeyedStore` that
  `service.wiring.wire()` registers (`register_keyed_store`): the check and the rotation cover it without this
  module importing the domain above it.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.progress import in_batches
from service.core.types import utcnow
from service.persons import cpr as cpr_codec
from service.persons import keyring
from service.persons.models import ConsentDocument, Person

log = logging.getLogger(__name__)


class KeyRingError(RuntimeError):
    """The configured key ring cannot read the stored data. The message names key ids only."""


Batch = Callable[[Session, uuid.UUID | None, int], tuple[int, int, uuid.UUID | None]]  # -> seen, moved, last id


@dataclass(frozen=True)
class KeyedStore:
    """Data of another domain encrypted under the key ring, registered by `service.wiring.wire()`."""

    name: str  # the count's name in the rotation result and its audit criterion
    used_key_ids: Callable[[Session], set[str]]
    check_sample: Callable[[Session, str], None]  # decrypt one row under the key id; keyring.UnknownKey if not
    stale: Callable[[], Any]  # a select of the rows not under the current key
    reencrypt_batch: Batch


_KEYED_STORES: list[KeyedStore] = []


def register_keyed_store(store: KeyedStore) -> KeyedStore:
    """Called by `service.wiring.wire()`, never at import time."""
    if store not in _KEYED_STORES:
        _KEYED_STORES.append(store)
    return store


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _stamp_key_id(_mapper: Any, _connection: Any, person: Person) -> None:
    person.cpr_key_id = cpr_codec.key_id_of(person.cpr_encrypted) if person.cpr_encrypted else None


def _used_key_ids(session: Session) -> set[str]:
    persons = session.scalars(select(Person.cpr_key_id).where(col(Person.cpr_encrypted).is_not(None)).distinct())
    documents = session.scalars(select(ConsentDocument.key_id).distinct())
    others = {k for store in _KEYED_STORES for k in store.used_key_ids(session)}
    return {k for k in persons if k} | set(documents) | others


def check_keys(session: Session) -> list[str]:
    """Raise KeyRingError unless every key id in use is configured and fits a sample of its data."""
    used = _used_key_ids(session)
    ring = set(keyring.key_ids())
    missing = sorted(used - ring)
    if missing:
        raise KeyRingError(f"stored data was encrypted with key id(s) {', '.join(missing)}, which the key ring "
                           "does not hold (TVAERS_KEY_RING, TVAERS_CPR_ENCRYPTION_KEY/TVAERS_CPR_HASH_KEY for k1); "
                           "restore the key from your backup")
    for key_id in sorted(used):
        sample = session.execute(select(Person.cpr_encrypted, Person.cpr_hash).where(
            col(Person.cpr_key_id) == key_id, col(Person.cpr_encrypted).is_not(None)).limit(1)).first()
        try:
            if sample is not None:
                digits = cpr_codec.decrypt(sample[0])
                if keyring.keyed_hash(key_id, digits) != sample[1]:
                    raise KeyRingError(f"the hash key of key id {key_id} does not reproduce the stored look-up "
                                       "hashes; it is not the key the data was written with")
            document = session.scalar(select(ConsentDocument).where(col(ConsentDocument.key_id) == key_id).limit(1))
            if document is not None:
                from service.persons.documents import decrypt_document

                decrypt_document(document)
            for store in _KEYED_STORES:
                store.check_sample(session, key_id)
        except keyring.UnknownKey:
            raise KeyRingError(f"the encryption key of key id {key_id} does not decrypt the stored data; it is "
                               "not the key the data was written with") from None
    return sorted(used)


def check_at_startup() -> None:
    """App start: refuse to serve with a ring that cannot read the data (a database that is not reachable or
    not migrated yet is /readyz's business, not a reason to refuse)."""
    from sqlalchemy.orm import Session

    from service.core.db import get_engine, read_only

    try:
        # Read-only: on SQLite it must not queue for the write lock behind a running writer.
        with read_only(get_engine().connect()) as conn, Session(bind=conn) as session:
            check_keys(session)
    except SQLAlchemyError:
        log.warning("key ring not checked: the database is not ready")


@dataclass
class RotationResult:
    key_id: str
    persons: int
    documents: int
    remaining: int
    webhook_secrets: int = 0


Progress = Callable[[str, int], Callable[[int], None]]  # (what, total) -> advance(n)


def _stale_persons() -> Any:
    current = keyring.current_key_id()
    return select(Person.id, Person.cpr_encrypted).where(
        col(Person.cpr_encrypted).is_not(None),
        or_(col(Person.cpr_key_id).is_(None), col(Person.cpr_key_id) != current))


def _stale_documents() -> Any:
    return select(ConsentDocument.id).where(col(ConsentDocument.key_id) != keyring.current_key_id())


def _stale() -> list[Any]:
    return [_stale_persons(), _stale_documents(), *(store.stale() for store in _KEYED_STORES)]


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def remaining(session: Session) -> int:
    return sum(_count(session, stmt) for stmt in _stale())


def _rotate_person_batch(session: Session, after: uuid.UUID | None, size: int) -> tuple[int, int, uuid.UUID | None]:
    stmt = _stale_persons().order_by(col(Person.id)).limit(size)
    if after is not None:
        stmt = stmt.where(col(Person.id) > after)
    rows = session.execute(stmt).all()
    moved = 0
    for person_id, token in rows:
        digits = cpr_codec.decrypt(token)
        result = session.execute(
            update(Person).where(col(Person.id) == person_id, col(Person.cpr_encrypted) == token)
            .values(cpr_encrypted=cpr_codec.encrypt(digits), cpr_hash=str(cpr_codec.keyed_hash(digits)),
                    cpr_key_id=keyring.current_key_id()).execution_options(synchronize_session=False))
        moved += result.rowcount or 0  # type: ignore[attr-defined]
    return len(rows), moved, rows[-1][0] if rows else None


def rotate(open_session: Callable[[], Session], batch_size: int = 500, progress: Progress | None = None,
           ) -> RotationResult:
    """Move every CPR ciphertext/hash, consent document and webhook signing secret to the current key; one
    transaction per batch."""
    from service.audit.service import record
    from service.persons.documents import reencrypt_batch

    with open_session() as session:
        check_keys(session)
        totals = [_count(session, stmt) for stmt in _stale()]
    batches: list[Batch] = [_rotate_person_batch, reencrypt_batch, *(s.reencrypt_batch for s in _KEYED_STORES)]
    moved = dict.fromkeys(["persons", "documents", *(s.name for s in _KEYED_STORES)], 0)
    for what, total, batch in zip(moved, totals, batches, strict=True):
        after: list[uuid.UUID | None] = [None]

        def step(session: Session, what: str = what, batch: Any = batch, after: list = after) -> int:
            seen, count, after[0] = batch(session, after[0], batch_size)
            moved[what] += count
            return int(seen)

        in_batches(open_session, step, batch_size, progress(what, int(total)) if progress else lambda n: None)
    with open_session() as session:
        left = remaining(session)
        record(session, None, "keys.rotate", purpose="key_management", actor_type="system", criterion={
            "key_id": keyring.current_key_id(), **moved, "remaining": left, "at": utcnow().isoformat()})
        session.commit()
    return RotationResult(keyring.current_key_id(), moved["persons"], moved["documents"], left,
                          moved.get("webhook_secrets", 0))
