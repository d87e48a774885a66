"""One person, one registration per organisation: the duplicate rules and their database guard.

A registration duplicates an active person of the same organisation with the same CPR number (its keyed hash)
or with the same given and family names (case-folded, NFKC-normalised, whitespace collapsed) and birth date
(`name_key`). The service looks first, so the usual case answers 409 with the existing person's id; the partial
unique indexes on `person` (see models) decide the race the look-up cannot see — the loser's INSERT or UPDATE
fails, and `guarded` turns that into the same 409.
"""

import hashlib
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Conflict
from service.persons.cpr import hash_family
from service.persons.models import Person, PersonStatus


def _fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_key(given_name: str | None, family_name: str | None, birth_date: date | None) -> str | None:
    """The identity the name rule compares; None when the rule does not apply (no birth date or names)."""
    if birth_date is None or not given_name or not family_name:
        return None
    material = "\x1f".join((_fold(given_name), _fold(family_name), birth_date.isoformat()))
    return hashlib.sha256(material.encode()).hexdigest()


def candidates(session: Session, organisation_id: uuid.UUID, *, cpr_hash: str | None, key: str | None,
               exclude: uuid.UUID | None = None) -> list[Person]:
    """Active persons of the organisation the new values would duplicate (exactly what the indexes guard)."""
    same = []
    if cpr_hash:
        same.append(col(Person.cpr_hash).in_(hash_family(cpr_hash)))  # under every key of the ring
    if key:
        same.append(col(Person.name_key) == key)
    if not same:
        return []
    stmt = select(Person).where(col(Person.organisation_id) == organisation_id,
                                col(Person.status) == PersonStatus.active, or_(*same))
    if exclude is not None:
        stmt = stmt.where(col(Person.id) != exclude)
    return list(session.scalars(stmt.order_by(col(Person.created_at), col(Person.id))))


def conflict(existing: uuid.UUID) -> Conflict:
    return Conflict("This person is already registered in your organisation.", existing_id=str(existing),
                    errors=[{"field": None, "message": "duplicate registration", "code": "duplicate"}])


@contextmanager
def guarded(session: Session, find_existing: Callable[[], uuid.UUID | None]) -> Iterator[None]:
    """Run a person INSERT/UPDATE in a savepoint; when a concurrent registration won the unique index, answer
    the documented 409 naming it (the winner has committed by then, so the look-up sees it)."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError:
        existing = find_existing()
        if existing is None:
            raise
        raise conflict(existing) from None
