"""The person verbs: read, search, register, update. REST and GraphQL both call these; nothing here commits.

Every query for persons is scoped by `policy.visible_persons(principal)`. The neighbours: consents and
erasure in `consents`, T-ILS measurements in `measurements`, read models and batch readers in `reads`, the
shared access steps in `guards`.
"""

import uuid
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.core.versions import claim_version
from service.persons import cpr as cpr_codec
from service.persons import duplicates, policy, similar
from service.persons import keys as _keys  # noqa: F401  (stamps person.cpr_key_id from the ciphertext)
from service.persons.consents import check_recipients, expire_consents, insert_consent
from service.persons.dto import PersonCreate, PersonRead, PersonSearch, PersonSummary, PersonUpdate, RiskSettingIn
from service.persons.guards import PURPOSE_CASEWORK, is_registered, load, require_manage, require_registered
from service.persons.models import SEVERE_LONELINESS_MIN, Person, PersonRiskSetting, PersonStatus
from service.persons.reads import detail, summaries_from_rows, summary_select
from service.reference.service import check_municipality_codes, check_risk_setting_codes


def get(session: Session, principal: Principal, person_id: uuid.UUID) -> PersonRead:
    person = load(session, principal, person_id, "person.read")
    read, revealed = detail(session, principal, person)
    record(session, principal, "person.read", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id, criterion={"cpr": "full"} if revealed else None)
    return read


def _search_criterion(search: PersonSearch, found: list[Any]) -> dict[str, Any]:
    """The filters, except that a name or CPR number is recorded as "searched", never its value (not even
    hashed): an audit row is never changed once written, so it must hold nothing an erasure would have to
    remove. Who was found is recorded by id."""
    criterion: dict[str, Any] = search.model_dump(exclude_none=True, exclude={"name", "cpr"})
    criterion.update({field: "searched" for field in ("name", "cpr") if getattr(search, field)})
    return {**criterion, "results": len(found), "ids": [str(p.id) for p in found]}


def list_persons(session: Session, principal: Principal, params: PageParams,
                 search: PersonSearch | None = None) -> tuple[list[PersonSummary], str | None]:
    """Visible persons matching `search`, oldest registration first; the search is audited."""
    search = search or PersonSearch()
    require_manage(session, principal, "person.search")
    stmt = summary_select().where(policy.visible_persons(principal))
    if search.name:
        stmt = stmt.where(policy.registration_active())
        # ILIKE on PostgreSQL (served by the trigram index ix_person_organisation_names_trgm), lower() LIKE
        # lower() on SQLite
        for word in search.name.lower().split():
            stmt = stmt.where(or_(col(Person.given_name).icontains(word, autoescape=True),
                                  col(Person.family_name).icontains(word, autoescape=True)))
    if search.cpr:
        stmt = stmt.where(col(Person.cpr_hash).in_(cpr_codec.lookup_hashes(search.cpr)), policy.registration_active())
    if search.birth_year is not None:
        stmt = stmt.where(col(Person.birth_year) == search.birth_year)
    if search.municipality_code:
        stmt = stmt.where(col(Person.municipality_code) == search.municipality_code)
    if search.risk_setting:
        stmt = stmt.where(exists().where(col(PersonRiskSetting.person_id) == col(Person.id),
                                         col(PersonRiskSetting.risk_setting_code) == search.risk_setting))
    if search.severe is True:
        stmt = stmt.where(col(Person.loneliness_latest_total) >= SEVERE_LONELINESS_MIN)
    elif search.severe is False:
        stmt = stmt.where(col(Person.loneliness_latest_total) < SEVERE_LONELINESS_MIN)
    rows, cursor = keyset_page(session, stmt, [col(Person.created_at), col(Person.id)], params, plain=True)
    record(session, principal, "person.search", purpose=PURPOSE_CASEWORK, subject_type="person",
           criterion=_search_criterion(search, rows), person_ids=[p.id for p in rows])
    return summaries_from_rows(rows), cursor


def _check_references(session: Session, municipality_code: str | None,
                      risk_settings: list[RiskSettingIn] | None) -> None:
    if municipality_code is not None:
        check_municipality_codes(session, [municipality_code])
    if risk_settings is not None:
        check_risk_setting_codes(session, [r.code for r in risk_settings])


def _find_duplicate(session: Session, organisation_id: uuid.UUID, *, cpr_hash: str | None, key: str | None,
                    exclude: uuid.UUID | None = None) -> uuid.UUID | None:
    """The active person these values would duplicate. A match whose registration has lapsed but whose expiry
    `tvaers consents expire` has not processed yet is settled now (recorded, hooks run, erased), so it neither
    blocks the new registration nor is reported as a registered person."""
    for person in duplicates.candidates(session, organisation_id, cpr_hash=cpr_hash, key=key, exclude=exclude):
        if not is_registered(session, person):
            expire_consents(session, person_id=person.id)
        if person.status == PersonStatus.active:
            return person.id
    return None


def _set_risk_settings(session: Session, person_id: uuid.UUID, settings: list[RiskSettingIn]) -> None:
    session.execute(PersonRiskSetting.__table__.delete().where(  # type: ignore[attr-defined]
        PersonRiskSetting.__table__.c.person_id == person_id))  # type: ignore[attr-defined]
    for r in settings:
        session.add(PersonRiskSetting(person_id=person_id, risk_setting_code=r.code,
                                      disability_types=[str(d) for d in r.disability_types]
                                      if r.disability_types else None))


def create(session: Session, principal: Principal, data: PersonCreate) -> PersonRead:
    require_manage(session, principal, "person.create")
    _check_references(session, data.municipality_code, data.risk_settings)
    check_recipients(session, data.consent)
    birth_date = data.birth_date or (cpr_codec.birth_date_of(data.cpr) if data.cpr else None)
    birth_year = data.birth_year or (birth_date.year if birth_date else None)
    assert birth_year is not None  # PersonCreate requires a date, a year or a CPR number
    cpr_hash = cpr_codec.keyed_hash(data.cpr) if data.cpr else None
    key = duplicates.name_key(data.given_name, data.family_name, birth_date)
    # Possible duplicates are looked up *before* the exact check, so an exact duplicate always wins: a twin that
    # commits between the two look-ups is then found by the exact check (409 duplicate with its id), never
    # reported as a mere possible duplicate.
    fuzzy = similar.fuzzy_key(data.given_name, data.family_name, birth_date)
    possible = similar.candidates(session, principal.organisation_id, fuzzy)
    existing = _find_duplicate(session, principal.organisation_id, cpr_hash=cpr_hash, key=key)
    if existing is not None:
        raise duplicates.conflict(existing)
    similar.refuse_unless_confirmed(session, principal, possible, data.confirm_not_duplicate)
    person = Person(
        organisation_id=principal.organisation_id, given_name=data.given_name, family_name=data.family_name,
        birth_date=birth_date, birth_year=birth_year, gender=data.gender, municipality_code=data.municipality_code,
        phone=data.phone, email=str(data.email) if data.email else None,
        preferred_language=data.preferred_language or "da", interests=data.interests or [],
        accessibility_needs=[str(a) for a in data.accessibility_needs or []], notes=data.notes,
        cpr_encrypted=cpr_codec.encrypt(data.cpr) if data.cpr else None, cpr_hash=cpr_hash, name_key=key,
        fuzzy_key=fuzzy,
    )
    with duplicates.guarded(session, lambda: _find_duplicate(session, principal.organisation_id,
                                                             cpr_hash=cpr_hash, key=key)):
        session.add(person)
        session.flush()
    _set_risk_settings(session, person.id, data.risk_settings)
    similar.remember_not_duplicate(session, principal, person, possible)
    record(session, principal, "person.create", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id, criterion={"risk_settings": sorted(r.code for r in data.risk_settings)})
    insert_consent(session, principal, person, data.consent)
    session.flush()
    return detail(session, principal, person)[0]


_PERSONAL_TEXT = ("given_name", "family_name", "gender", "phone", "preferred_language", "notes")


def _write_changes(person: Person, data: PersonUpdate, changes: dict[str, Any], digits: str | None,
                   cpr_hash: str | None) -> None:
    for field in _PERSONAL_TEXT:
        if field in changes:
            setattr(person, field, changes[field])
    if "email" in changes:
        person.email = str(data.email) if data.email else None
    if "municipality_code" in changes:
        person.municipality_code = changes["municipality_code"]
    if "interests" in changes:
        person.interests = data.interests or []
    if "accessibility_needs" in changes:
        person.accessibility_needs = [str(a) for a in data.accessibility_needs or []]
    if "cpr" in changes:
        person.cpr_encrypted = cpr_codec.encrypt(digits) if digits else None
        person.cpr_hash = cpr_hash


def update(session: Session, principal: Principal, person_id: uuid.UUID, data: PersonUpdate,
           expected_version: int | None) -> PersonRead:
    require_manage(session, principal, "person.update")
    person = load(session, principal, person_id, "person.update")
    claim_version(session, "person", person, expected_version)
    require_registered(session, person)
    changes = data.model_dump(exclude_unset=True)
    changes.pop("confirm_not_duplicate", None)
    _check_references(session, changes.get("municipality_code"), data.risk_settings)
    birth_date = changes.get("birth_date", person.birth_date)
    birth_year = birth_date.year if birth_date else changes.get("birth_year", person.birth_year)
    digits = data.cpr if "cpr" in changes else (
        cpr_codec.decrypt(person.cpr_encrypted) if person.cpr_encrypted else None)
    # The body was checked on its own (PersonUpdate); the same rule again with the stored values merged in.
    conflict = cpr_codec.birth_conflict(birth_date, changes.get("birth_year"), digits)
    if conflict is not None:
        field, message = conflict
        raise Unprocessable(f"{message[0].upper()}{message[1:]}.", errors=[
            {"field": field, "message": message, "code": "inconsistent"}])
    new_hash = cpr_codec.keyed_hash(digits) if digits else None
    key = duplicates.name_key(changes.get("given_name") or person.given_name,
                              changes.get("family_name") or person.family_name, birth_date)

    def find_existing() -> uuid.UUID | None:
        return _find_duplicate(session, person.organisation_id, cpr_hash=new_hash, key=key, exclude=person.id)

    fuzzy = similar.fuzzy_key(changes.get("given_name") or person.given_name,
                              changes.get("family_name") or person.family_name, birth_date)
    renamed = fuzzy is not None and fuzzy != person.fuzzy_key  # a new spelling or date: look again
    possible = similar.candidates(session, person.organisation_id, fuzzy, exclude=person.id) if renamed else []
    existing = find_existing()
    if existing is not None:
        raise duplicates.conflict(existing)
    similar.refuse_unless_confirmed(session, principal, possible, data.confirm_not_duplicate, "person.update",
                                    person.id)
    # In a savepoint from the first change on: a rival registration that wins the unique index meanwhile
    # makes this a 409, not a broken transaction.
    with duplicates.guarded(session, find_existing):
        _write_changes(person, data, changes, digits, new_hash)
        person.birth_date, person.birth_year, person.name_key = birth_date, birth_year, key
        person.fuzzy_key = fuzzy
        if data.risk_settings is not None:
            _set_risk_settings(session, person.id, data.risk_settings)
        person.updated_at = utcnow()  # the version was claimed above
        session.add(person)
        session.flush()
    similar.remember_not_duplicate(session, principal, person, possible)
    record(session, principal, "person.update", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id, criterion={"fields": sorted(changes)})
    return detail(session, principal, person)[0]
