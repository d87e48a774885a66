"""Possible duplicates: the same person typed a little differently, within one organisation.

The exact rule (`persons.duplicates`) compares case-folded names and the birth date. People are registered
from paper forms, phone calls and keyboards without Danish letters, so the same resident arrives as
`Sørensen` and `Soerensen`, `Åse` and `Aase`, or with day and month of birth swapped (03-04 for 04-03).
`fuzzy_key` folds all of those to one value — Danish letters spelled out (æ→ae, ø→oe, å→aa), other accents
dropped, case, spaces, hyphens and punctuation ignored, and the birth date's day and month in sorted order —
so possible duplicates are one index-backed equality (`ix_person_organisation_fuzzy_key`).

Registration answers 409 `possible-duplicate` with the candidates' ids (never their names: the caseworker
opens them with the ordinary, audited person read) unless the request says `confirm_not_duplicate: true`;
then the person is created and a `not_duplicate` link records the decision, so the pair is not flagged again.
Changing a registered person's name or birth date (PATCH, `updatePerson`) applies the same rule to the new
values, leaving out the person itself and the pairs already declared not duplicates.
Only the organisation's own active, registered persons are ever candidates.
"""

import hashlib
import unicodedata
import uuid
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict
from service.core.principal import Principal
from service.persons import policy
from service.persons.models import Person, PersonLink, PersonLinkKind, PersonStatus


class PossibleDuplicate(Conflict):
    slug = "possible-duplicate"


# Spelled-out forms of the letters a Danish keyboard has and others lack (also German umlauts, common in names).
_SPELLED_OUT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold_name(name: str) -> str:
    """`Sørensen`, `SOERENSEN`, `Sø-rensen` → `soerensen`; `Åse`, `Aase` → `aase`; `José` → `jose`."""
    spelled = unicodedata.normalize("NFKC", name).casefold().translate(_SPELLED_OUT)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def fuzzy_key(given_name: str | None, family_name: str | None, birth_date: date | None) -> str | None:
    """The value possible duplicates share; None when the rule does not apply (no birth date or no names)."""
    if birth_date is None or not given_name or not family_name:
        return None
    given, family = fold_name(given_name), fold_name(family_name)
    if not given or not family:
        return None
    low, high = sorted((birth_date.month, birth_date.day))
    material = "\x1f".join((given, family, f"{birth_date.year:04d}", f"{low:02d}", f"{high:02d}"))
    return hashlib.sha256(material.encode()).hexdigest()


def candidates_statement(organisation_id: uuid.UUID, key: str) -> Select[tuple[uuid.UUID]]:
    """The look-up, served by `ix_person_organisation_fuzzy_key` (organisation, key, status: with the status in
    the index SQLite's planner no longer prefers `ix_person_status`; tests/test_person_moves_plans.py)."""
    return select(Person.id).where(col(Person.organisation_id) == organisation_id, col(Person.fuzzy_key) == key,
                                   col(Person.status) == PersonStatus.active, policy.registration_active())


def candidates(session: Session, organisation_id: uuid.UUID, key: str | None,
               exclude: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Active, registered persons of the organisation sharing the key, oldest first — except those a
    caseworker already declared `not_duplicate` of `exclude`."""
    if key is None:
        return []
    stmt = candidates_statement(organisation_id, key)
    if exclude is not None:
        decided = select(PersonLink.id).where(or_(
            and_(col(PersonLink.person_id) == exclude, col(PersonLink.other_person_id) == col(Person.id)),
            and_(col(PersonLink.other_person_id) == exclude, col(PersonLink.person_id) == col(Person.id))),
            col(PersonLink.kind) == PersonLinkKind.not_duplicate)
        stmt = stmt.where(col(Person.id) != exclude, ~decided.exists())
    return list(session.scalars(stmt.order_by(col(Person.created_at), col(Person.id)).limit(10)))


def refuse_unless_confirmed(session: Session, principal: Principal, found: list[uuid.UUID],
                            confirmed: bool, action: str = "person.create",
                            subject_id: uuid.UUID | None = None) -> None:
    """The registration's (or a name/birth-date change's) 409 when possible duplicates exist and the caseworker
    has not confirmed. Audited as a refused `action` linked to each candidate (their existence was disclosed),
    naming no value."""
    if not found or confirmed:
        return
    record(session, principal, action, purpose="casework", subject_type="person", subject_id=subject_id,
           outcome="refused", reason="possible_duplicate", criterion={"candidates": len(found)}, person_ids=found)
    again = "register again" if action == "person.create" else "send the change again"
    raise PossibleDuplicate("This may be a person already registered in your organisation. Open the candidates; if "
                            f"none is the same person, {again} with confirm_not_duplicate: true.",
                            candidate_ids=[str(i) for i in found],
                            errors=[{"field": None, "message": "possible duplicate registration",
                                     "code": "possible_duplicate"}])


def remember_not_duplicate(session: Session, principal: Principal, person: Person, found: list[uuid.UUID]) -> None:
    """The caseworker registered despite the candidates: record the decision (links + audit)."""
    for other in found:
        session.add(PersonLink(organisation_id=person.organisation_id, person_id=person.id, other_person_id=other,
                               kind=PersonLinkKind.not_duplicate, created_by=principal.id))
    if found:
        session.flush()
        record(session, principal, "person.link", purpose="casework", subject_type="person", subject_id=person.id,
               criterion={"kind": "not_duplicate", "candidates": len(found)}, person_ids=found)
