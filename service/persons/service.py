"""The person, consent and measurement verbs. REST and GraphQL both call these; nothing here commits.

Every query for persons is scoped by `policy.visible_persons(principal)`. Consent is evaluated at request
time in SQL (`policy.active_consent`): an expired consent counts as withdrawn. Withdrawing (or the expiry
of) the last active `registration` consent erases the person's personal fields; the pseudonymous row
(id, organisation, municipality, birth year, risk settings, T-ILS scores) stays for statistics.

Other domains react to a consent ending by registering a hook in `on_consent_withdrawn` (e.g. referrals
withdraws open referrals when `referral_sharing` ends). Hooks run inside the same transaction.
"""

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record, record_each
from service.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
)
from service.core.etag import check_version, claim_version, etag, parse_if_match  # noqa: F401  (re-exported)
from service.core.idempotency import forget_responses_about
from service.core.pagination import PageParams, keyset_page
from service.core.permissions import Permission
from service.core.principal import Principal
from service.core.settings import get_settings
from service.core.types import utcnow
from service.organisations.models import Organisation
from service.persons import cpr as cpr_codec
from service.persons import duplicates, policy, similar
from service.persons import keys as _keys  # noqa: F401  (stamps person.cpr_key_id from the ciphertext)
from service.persons.ages import age_group
from service.persons.dto import (
    ConsentCreate,
    ConsentRead,
    MeasurementCreate,
    MeasurementRead,
    PersonCreate,
    PersonRead,
    PersonSearch,
    PersonSummary,
    PersonUpdate,
    RiskSettingIn,
    RiskSettingRead,
)
from service.persons.models import (
    SEVERE_LONELINESS_MIN,
    Consent,
    ConsentPurpose,
    ConsentPurposeRow,
    ConsentRecipient,
    LonelinessMeasurement,
    Person,
    PersonRiskSetting,
    PersonStatus,
)
from service.reference.service import check_municipality_codes, check_risk_setting_codes

PURPOSE_CASEWORK = "casework"
PURPOSE_CONSENT = "consent_management"
PURPOSE_DATA_PROTECTION = "data_protection"

# (session, principal or None for the system, person, consent, the consent's purposes, cause) where cause is
# "withdrawn", "expired" or "registration_ended" (another consent's end erased the person and ended this one).
ConsentHook = Callable[[Session, Principal | None, Person, Consent, frozenset[str], str], None]
on_consent_withdrawn: list[ConsentHook] = []


def register_consent_hook(hook: ConsentHook) -> ConsentHook:
    """Call `hook` whenever a consent is withdrawn or expires (usable as a decorator)."""
    if hook not in on_consent_withdrawn:
        on_consent_withdrawn.append(hook)
    return hook


# --- read models -------------------------------------------------------------------------------------

def _consent_status(c: Consent, now: datetime) -> str:
    if c.withdrawn_at is not None:
        return "withdrawn"
    if c.expires_at is not None and c.expires_at <= now:
        return "expired"
    return "active"


def _active_purposes(session: Session, person_ids: list[uuid.UUID], now: datetime) -> dict[uuid.UUID, set[str]]:
    rows = session.execute(
        select(Consent.person_id, ConsentPurposeRow.purpose)
        .join(ConsentPurposeRow, col(ConsentPurposeRow.consent_id) == col(Consent.id))
        .where(col(Consent.person_id).in_(person_ids), policy.consent_is_active(now))
    ).all() if person_ids else []
    out: dict[uuid.UUID, set[str]] = {pid: set() for pid in person_ids}
    for person_id, purpose in rows:
        out[person_id].add(purpose)
    return out


def _risk_settings(session: Session, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[RiskSettingRead]]:
    rows = session.scalars(
        select(PersonRiskSetting).where(col(PersonRiskSetting.person_id).in_(person_ids))
        .order_by(col(PersonRiskSetting.person_id), col(PersonRiskSetting.risk_setting_code))
    ).all() if person_ids else []
    out: dict[uuid.UUID, list[RiskSettingRead]] = {pid: [] for pid in person_ids}
    for r in rows:
        out[r.person_id].append(RiskSettingRead(code=r.risk_setting_code, disability_types=r.disability_types))
    return out


def _summary_fields(person: Person, risks: list[RiskSettingRead], purposes: set[str]) -> dict[str, Any]:
    registered = person.status == PersonStatus.active and ConsentPurpose.registration in purposes
    personal = registered  # a lapsed registration shows only the pseudonymous fields until erased
    total = person.loneliness_latest_total
    return {
        "id": person.id, "organisation_id": person.organisation_id, "status": person.status,
        "registration_active": registered,
        "given_name": person.given_name if personal else None,
        "family_name": person.family_name if personal else None,
        "birth_date": person.birth_date if personal else None,
        "birth_year": person.birth_year, "age_group": age_group(person.birth_year),
        "gender": person.gender if personal else None,
        "municipality_code": person.municipality_code,
        "phone": person.phone if personal else None,
        "email": person.email if personal else None,
        "preferred_language": person.preferred_language if personal else None,
        "risk_settings": risks,
        "interests": (person.interests or []) if personal else [],
        "accessibility_needs": (person.accessibility_needs or []) if personal else [],
        "notes": person.notes if personal else None,
        "active_consent_purposes": sorted(purposes),
        "loneliness_latest_total": total, "loneliness_latest_at": person.loneliness_latest_at,
        "severe_loneliness": None if total is None else total >= SEVERE_LONELINESS_MIN,
        "version": person.version, "created_at": person.created_at, "updated_at": person.updated_at,
        "erased_at": person.erased_at,
    }


def summaries(session: Session, persons: list[Person]) -> list[PersonSummary]:
    """List read models for a page of (already visible) persons: two batch statements, whatever the size."""
    now = utcnow()
    ids = [p.id for p in persons]
    purposes, risks = _active_purposes(session, ids, now), _risk_settings(session, ids)
    return [PersonSummary(**_summary_fields(p, risks[p.id], purposes[p.id])) for p in persons]


def _detail(session: Session, principal: Principal, person: Person) -> tuple[PersonRead, bool]:
    now = utcnow()
    purposes = _active_purposes(session, [person.id], now)[person.id]
    fields = _summary_fields(person, _risk_settings(session, [person.id])[person.id], purposes)
    shown, masked = None, True
    if person.cpr_encrypted and fields["registration_active"]:
        digits = cpr_codec.decrypt(person.cpr_encrypted)
        masked = not policy.can_read_full_cpr(principal)
        shown = cpr_codec.mask(digits) if masked else cpr_codec.formatted(digits)
    return PersonRead(**fields, cpr=shown, cpr_masked=masked), shown is not None and not masked


def consent_reads(session: Session, consents: list[Consent]) -> list[ConsentRead]:
    """Consent read models with purposes and recipients: two batch statements, whatever the count."""
    ids = [c.id for c in consents]
    purposes: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    org_ids: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    kinds: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    if ids:
        for cid, purpose in session.execute(
                select(ConsentPurposeRow.consent_id, ConsentPurposeRow.purpose)
                .where(col(ConsentPurposeRow.consent_id).in_(ids)).order_by(col(ConsentPurposeRow.purpose))):
            purposes[cid].append(purpose)
        for r in session.scalars(select(ConsentRecipient).where(col(ConsentRecipient.consent_id).in_(ids))
                                 .order_by(col(ConsentRecipient.organisation_kind),
                                           col(ConsentRecipient.organisation_id))):
            if r.organisation_id is not None:
                org_ids[r.consent_id].append(r.organisation_id)
            if r.organisation_kind is not None:
                kinds[r.consent_id].append(r.organisation_kind)
    now = utcnow()
    successors: dict[uuid.UUID, uuid.UUID] = dict(session.execute(
        select(Consent.replaces_consent_id, Consent.id).where(col(Consent.replaces_consent_id).in_(ids))
    ).all()) if ids else {}  # type: ignore[arg-type]
    return [ConsentRead(
        id=c.id, person_id=c.person_id, status=_consent_status(c, now), purposes=purposes[c.id],
        recipient_organisation_ids=org_ids[c.id], recipient_organisation_kinds=kinds[c.id],
        data_categories=c.data_categories, given_by=c.given_by, representative_name=c.representative_name,
        method=c.method, evidence_reference=c.evidence_reference, consent_text_version=c.consent_text_version,
        recorded_by=c.recorded_by, given_at=c.given_at, expires_at=c.expires_at, withdrawn_at=c.withdrawn_at,
        withdrawn_by=c.withdrawn_by, withdrawal_reason=c.withdrawal_reason,
        expired_recorded_at=c.expired_recorded_at, created_at=c.created_at,
        replaces_consent_id=c.replaces_consent_id, replaced_by_consent_id=successors.get(c.id)) for c in consents]


def _visible_ids(session: Session, principal: Principal, person_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    ids = set(person_ids)
    return sorted(session.scalars(select(Person.id).where(col(Person.id).in_(ids), policy.visible_persons(principal)))
                  ) if ids else []


def read_consents(session: Session, principal: Principal,
                  person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[ConsentRead]]:
    """The batch reader for `Person.consents` (GraphQL): consents of the persons the caller may see, newest
    first, each person's read audited as REST's `consent.list` — a constant number of statements per batch.
    An invisible person is absent (the nested field answers an empty list)."""
    ids = _visible_ids(session, principal, person_ids)
    record_each(session, principal, "consent.list", purpose=PURPOSE_CONSENT, person_ids=ids)
    return consents_for_persons(session, ids)


def consents_for_persons(session: Session, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[ConsentRead]]:
    """Consents of persons already read under the rule (the export, `read_consents`), newest first."""
    ids = list(set(person_ids))
    rows = list(session.scalars(select(Consent).where(col(Consent.person_id).in_(ids))
                                .order_by(col(Consent.given_at).desc(), col(Consent.id)))) if ids else []
    out: dict[uuid.UUID, list[ConsentRead]] = {i: [] for i in ids}
    for c in consent_reads(session, rows):
        out[c.person_id].append(c)
    return out


def measurements_for_persons(session: Session, principal: Principal,
                             person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[MeasurementRead]]:
    """The batch reader for `Person.lonelinessMeasurements` (GraphQL): the T-ILS history of the persons the
    caller may see, oldest first, each person's read audited as REST's `measurement.list`."""
    ids = _visible_ids(session, principal, person_ids)
    record_each(session, principal, "measurement.list", purpose=PURPOSE_CASEWORK, person_ids=ids)
    out: dict[uuid.UUID, list[MeasurementRead]] = {i: [] for i in ids}
    if ids:
        for m in session.scalars(select(LonelinessMeasurement).where(col(LonelinessMeasurement.person_id).in_(ids))
                                 .order_by(col(LonelinessMeasurement.measured_at), col(LonelinessMeasurement.id))):
            out[m.person_id].append(measurement_read(m))
    return out


def measurement_read(m: LonelinessMeasurement) -> MeasurementRead:
    return MeasurementRead(id=m.id, person_id=m.person_id, item1=m.item1, item2=m.item2, item3=m.item3,
                           total=m.total, severe=m.total >= SEVERE_LONELINESS_MIN, measured_at=m.measured_at,
                           context=m.context, recorded_by=m.recorded_by, created_at=m.created_at)


# --- access ------------------------------------------------------------------------------------------

def _require_manage(session: Session, principal: Principal, action: str) -> None:
    if not principal.can(Permission.persons_manage):
        record(session, principal, action, purpose=PURPOSE_CASEWORK, subject_type="person", outcome="denied",
               reason="role_not_allowed")
        raise Forbidden("Your role does not allow working with persons.")


def _load(session: Session, principal: Principal, person_id: uuid.UUID, action: str,
          for_update: bool = False) -> Person:
    """The visible person or 404 — an invisible one is audited as a denied attempt."""
    stmt = select(Person).where(col(Person.id) == person_id, policy.visible_persons(principal))
    if for_update:
        stmt = stmt.with_for_update()
    person = session.scalar(stmt)
    if person is None:
        record(session, principal, action, purpose=PURPOSE_CASEWORK, subject_type="person", subject_id=person_id,
               outcome="denied", reason="not_visible")
        raise NotFound("Person not found.")
    return person


def _is_registered(session: Session, person: Person) -> bool:
    return person.status == PersonStatus.active and bool(session.scalar(
        select(policy.active_consent(ConsentPurpose.registration, person_id=person.id))))


def _require_registered(session: Session, person: Person) -> None:
    if not _is_registered(session, person):
        raise Conflict("The person's registration consent is withdrawn or expired; nothing can be changed.",
                       status_of_person=person.status)


def _touch(person: Person) -> None:
    person.version += 1
    person.updated_at = utcnow()


# --- persons -----------------------------------------------------------------------------------------

def get(session: Session, principal: Principal, person_id: uuid.UUID) -> PersonRead:
    person = _load(session, principal, person_id, "person.read")
    read, revealed = _detail(session, principal, person)
    record(session, principal, "person.read", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id, criterion={"cpr": "full"} if revealed else None)
    return read


def _search_criterion(search: PersonSearch, found: list[Person]) -> dict[str, Any]:
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
    _require_manage(session, principal, "person.search")
    stmt = select(Person).where(policy.visible_persons(principal))
    if search.name:
        stmt = stmt.where(policy.registration_active())
        for word in search.name.lower().split():
            stmt = stmt.where(or_(func.lower(Person.given_name).contains(word, autoescape=True),
                                  func.lower(Person.family_name).contains(word, autoescape=True)))
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
    rows, cursor = keyset_page(session, stmt, [col(Person.created_at), col(Person.id)], params)
    record(session, principal, "person.search", purpose=PURPOSE_CASEWORK, subject_type="person",
           criterion=_search_criterion(search, rows), person_ids=[p.id for p in rows])
    return summaries(session, rows), cursor


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
        if not _is_registered(session, person):
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
    _require_manage(session, principal, "person.create")
    _check_references(session, data.municipality_code, data.risk_settings)
    _check_recipients(session, data.consent)
    birth_date = data.birth_date or (cpr_codec.birth_date_of(data.cpr) if data.cpr else None)
    birth_year = data.birth_year or (birth_date.year if birth_date else None)
    assert birth_year is not None  # PersonCreate requires a date, a year or a CPR number
    cpr_hash = cpr_codec.keyed_hash(data.cpr) if data.cpr else None
    key = duplicates.name_key(data.given_name, data.family_name, birth_date)
    existing = _find_duplicate(session, principal.organisation_id, cpr_hash=cpr_hash, key=key)
    if existing is not None:
        raise duplicates.conflict(existing)
    fuzzy = similar.fuzzy_key(data.given_name, data.family_name, birth_date)
    possible = similar.candidates(session, principal.organisation_id, fuzzy)
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
    _insert_consent(session, principal, person, data.consent)
    session.flush()
    return _detail(session, principal, person)[0]


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
    _require_manage(session, principal, "person.update")
    person = _load(session, principal, person_id, "person.update")
    claim_version(session, "person", person, expected_version)
    _require_registered(session, person)
    changes = data.model_dump(exclude_unset=True)
    _check_references(session, changes.get("municipality_code"), data.risk_settings)
    birth_date = changes.get("birth_date", person.birth_date)
    birth_year = birth_date.year if birth_date else changes.get("birth_year", person.birth_year)
    digits = data.cpr if "cpr" in changes else (
        cpr_codec.decrypt(person.cpr_encrypted) if person.cpr_encrypted else None)
    if "birth_year" in changes and birth_date and changes["birth_year"] != birth_date.year:
        raise Unprocessable("birth_year does not match birth_date.", errors=[
            {"field": "birth_year", "message": "does not match birth_date", "code": "inconsistent"}])
    if digits and birth_date and cpr_codec.birth_date_of(digits) != birth_date:
        raise Unprocessable("The CPR number does not match the birth date.", errors=[
            {"field": "cpr", "message": "does not match birth_date", "code": "inconsistent"}])
    new_hash = cpr_codec.keyed_hash(digits) if digits else None
    key = duplicates.name_key(changes.get("given_name") or person.given_name,
                              changes.get("family_name") or person.family_name, birth_date)

    def find_existing() -> uuid.UUID | None:
        return _find_duplicate(session, person.organisation_id, cpr_hash=new_hash, key=key, exclude=person.id)

    existing = find_existing()
    if existing is not None:
        raise duplicates.conflict(existing)
    # In a savepoint from the first change on: a rival registration that wins the unique index meanwhile
    # makes this a 409, not a broken transaction.
    with duplicates.guarded(session, find_existing):
        _write_changes(person, data, changes, digits, new_hash)
        person.birth_date, person.birth_year, person.name_key = birth_date, birth_year, key
        person.fuzzy_key = similar.fuzzy_key(person.given_name, person.family_name, birth_date)
        if data.risk_settings is not None:
            _set_risk_settings(session, person.id, data.risk_settings)
        person.updated_at = utcnow()  # the version was claimed above
        session.add(person)
        session.flush()
    record(session, principal, "person.update", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id, criterion={"fields": sorted(changes)})
    return _detail(session, principal, person)[0]


def erase(session: Session, principal: Principal | None, person: Person, cause: str) -> None:
    """Null every personal field; keep the pseudonymous statistical row. Audited."""
    if person.status == PersonStatus.erased:
        return
    # Without registration nothing is left to consent to: every consent still active ends with it.
    now = utcnow()
    remaining = list(session.scalars(select(Consent).where(col(Consent.person_id) == person.id,
                                                           policy.consent_is_active(now))))
    for consent in remaining:
        consent.withdrawn_at = now
        consent.withdrawn_by = principal.id if principal else None
        consent.withdrawal_reason = "registration ended"
        session.add(consent)
        record(session, principal, "consent.withdraw", purpose=PURPOSE_DATA_PROTECTION, subject_type="person",
               subject_id=person.id, criterion={"consent_id": str(consent.id), "cause": cause},
               organisation_id=person.organisation_id, actor_type="system" if principal is None else None)
        session.flush()
        _run_hooks(session, principal, person, consent, "registration_ended")
    for field in ("given_name", "family_name", "birth_date", "gender", "phone", "email", "preferred_language",
                  "notes", "cpr_encrypted", "cpr_hash", "name_key", "fuzzy_key"):
        setattr(person, field, None)
    person.interests = None
    person.accessibility_needs = None
    person.status = PersonStatus.erased
    person.erased_at = utcnow()
    _touch(person)
    session.add(person)
    # A representative's name and the evidence reference identify the person too; a withdrawal reason is free
    # text about the person (the fact, time and author of each withdrawal stay).
    session.execute(sql_update(Consent).where(col(Consent.person_id) == person.id)
                    .values(representative_name=None, evidence_reference=None, withdrawal_reason=None)
                    .execution_options(synchronize_session="fetch"))
    # Stored responses replayed for an Idempotency-Key hold the person's name and the referral's texts.
    forget_responses_about(session, person.id)
    record(session, principal, "person.erase", purpose=PURPOSE_DATA_PROTECTION, subject_type="person",
           subject_id=person.id, criterion={"cause": cause}, organisation_id=person.organisation_id,
           actor_type="system" if principal is None else None)


# --- consents ----------------------------------------------------------------------------------------

def _check_recipients(session: Session, data: ConsentCreate) -> None:
    wanted = set(data.recipient_organisation_ids)
    if not wanted:
        return
    known = set(session.scalars(select(Organisation.id).where(col(Organisation.id).in_(wanted))))
    unknown = sorted(str(i) for i in wanted - known)
    if unknown:
        raise Unprocessable("Unknown recipient organisation.", errors=[
            {"field": "recipient_organisation_ids", "message": f"no such organisation {i}", "code": "unknown_reference"}
            for i in unknown])


def _insert_consent(session: Session, principal: Principal, person: Person, data: ConsentCreate) -> Consent:
    given_at = data.given_at or utcnow()
    expires_at = data.expires_at or given_at + timedelta(days=get_settings().consent_default_days)
    if expires_at <= utcnow():
        raise Unprocessable("The consent would already have expired.", errors=[
            {"field": "expires_at", "message": "the default expiry from given_at lies in the past",
             "code": "expired"}])
    consent = Consent(
        person_id=person.id, data_categories=[str(d) for d in data.data_categories], given_by=data.given_by,
        representative_name=data.representative_name, method=data.method, evidence_reference=data.evidence_reference,
        consent_text_version=data.consent_text_version, recorded_by=principal.id, given_at=given_at,
        expires_at=expires_at,
    )
    session.add(consent)
    session.flush()
    for purpose in data.purposes:
        session.add(ConsentPurposeRow(consent_id=consent.id, purpose=purpose))
    for org_id in data.recipient_organisation_ids:
        session.add(ConsentRecipient(consent_id=consent.id, organisation_id=org_id))
    for kind in data.recipient_organisation_kinds:
        session.add(ConsentRecipient(consent_id=consent.id, organisation_kind=kind))
    session.flush()
    record(session, principal, "consent.give", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={"consent_id": str(consent.id),
                                            "purposes": sorted(str(p) for p in data.purposes)})
    return consent


def list_consents(session: Session, principal: Principal, person_id: uuid.UUID,
                  page: PageParams) -> tuple[list[ConsentRead], str | None]:
    _require_manage(session, principal, "consent.list")
    person = _load(session, principal, person_id, "consent.list")
    record(session, principal, "consent.list", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id)
    rows, cursor = keyset_page(session, select(Consent).where(col(Consent.person_id) == person.id),
                               [col(Consent.given_at), col(Consent.id)], page)
    return consent_reads(session, rows), cursor


def get_consent(session: Session, principal: Principal, consent_id: uuid.UUID) -> ConsentRead:
    """One consent of a visible person, by its id (the FHIR door reads `Consent/<id>`); else 404, audited."""
    _require_manage(session, principal, "consent.read")
    consent = session.scalar(select(Consent).join(Person, col(Person.id) == col(Consent.person_id))
                             .where(col(Consent.id) == consent_id, policy.visible_persons(principal)))
    if consent is None:
        record(session, principal, "consent.read", purpose=PURPOSE_CONSENT, subject_type="consent",
               subject_id=consent_id, outcome="denied", reason="not_visible")
        raise NotFound("Consent not found.")
    record(session, principal, "consent.read", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=consent.person_id, criterion={"consent_id": str(consent.id)})
    return consent_reads(session, [consent])[0]


def give_consent(session: Session, principal: Principal, person_id: uuid.UUID, data: ConsentCreate) -> ConsentRead:
    _require_manage(session, principal, "consent.give")
    person = _load(session, principal, person_id, "consent.give", for_update=True)
    _require_registered(session, person)
    _check_recipients(session, data)
    consent = _insert_consent(session, principal, person, data)
    _touch(person)
    session.add(person)
    session.flush()
    return consent_reads(session, [consent])[0]


def _run_hooks(session: Session, principal: Principal | None, person: Person, consent: Consent,
               cause: str) -> frozenset[str]:
    purposes = frozenset(session.scalars(select(ConsentPurposeRow.purpose)
                                         .where(col(ConsentPurposeRow.consent_id) == consent.id)))
    for hook in list(on_consent_withdrawn):
        hook(session, principal, person, consent, purposes, cause)
    return purposes


def _consent_ended(session: Session, principal: Principal | None, person: Person, consent: Consent,
                   cause: str) -> None:
    purposes = _run_hooks(session, principal, person, consent, cause)
    if ConsentPurpose.registration in purposes and not _is_registered(session, person):
        erase(session, principal, person, cause=f"registration_consent_{cause}")


def withdraw_consent(session: Session, principal: Principal, person_id: uuid.UUID, consent_id: uuid.UUID,
                     reason: str | None = None) -> ConsentRead:
    """Withdraw one consent (all its purposes) now. Withdrawing the last registration consent erases."""
    _require_manage(session, principal, "consent.withdraw")
    person = _load(session, principal, person_id, "consent.withdraw", for_update=True)
    consent = session.scalar(select(Consent).where(col(Consent.id) == consent_id,
                                                   col(Consent.person_id) == person.id))
    if consent is None:
        raise NotFound("Consent not found.")
    if consent.withdrawn_at is not None:
        raise Conflict("The consent is already withdrawn.")
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by = principal.id
    consent.withdrawal_reason = reason
    session.add(consent)
    session.flush()
    record(session, principal, "consent.withdraw", purpose=PURPOSE_CONSENT, subject_type="person",
           subject_id=person.id, criterion={"consent_id": str(consent.id)})
    _consent_ended(session, principal, person, consent, "withdrawn")
    if person.status != PersonStatus.erased:
        _touch(person)
        session.add(person)
    session.flush()
    return consent_reads(session, [consent])[0]


def expire_consents(session: Session, now: datetime | None = None, person_id: uuid.UUID | None = None) -> int:
    """Record expiry for every consent (of one person, if given) past `expires_at` not yet recorded;
    idempotent. Returns the count."""
    at = now or utcnow()
    stmt = select(Consent).where(col(Consent.withdrawn_at).is_(None), col(Consent.expires_at).is_not(None),
                                 col(Consent.expires_at) <= at, col(Consent.expired_recorded_at).is_(None))
    if person_id is not None:
        stmt = stmt.where(col(Consent.person_id) == person_id)
    due = list(session.scalars(stmt.order_by(col(Consent.expires_at), col(Consent.id))))
    for consent in due:
        consent.expired_recorded_at = at
        session.add(consent)
        person = session.get(Person, consent.person_id)
        assert person is not None  # foreign key
        record(session, None, "consent.expire", purpose=PURPOSE_DATA_PROTECTION, subject_type="person",
               subject_id=person.id, criterion={"consent_id": str(consent.id)},
               organisation_id=person.organisation_id, actor_type="system")
        session.flush()
        _consent_ended(session, None, person, consent, "expired")
    session.flush()
    return len(due)


# --- loneliness measurements -------------------------------------------------------------------------

def record_measurement(session: Session, principal: Principal, person_id: uuid.UUID,
                       data: MeasurementCreate) -> MeasurementRead:
    _require_manage(session, principal, "measurement.record")
    person = _load(session, principal, person_id, "measurement.record", for_update=True)
    _require_registered(session, person)
    m = LonelinessMeasurement(person_id=person.id, item1=data.item1, item2=data.item2, item3=data.item3,
                              total=data.item1 + data.item2 + data.item3, measured_at=data.measured_at or utcnow(),
                              context=data.context, recorded_by=principal.id)
    session.add(m)
    if person.loneliness_latest_at is None or m.measured_at >= person.loneliness_latest_at:
        person.loneliness_latest_total, person.loneliness_latest_at = m.total, m.measured_at
    _touch(person)
    session.add(person)
    session.flush()
    record(session, principal, "measurement.record", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id, criterion={"measurement_id": str(m.id), "context": str(data.context)})
    return measurement_read(m)


def list_measurements(session: Session, principal: Principal, person_id: uuid.UUID,
                      page: PageParams) -> tuple[list[MeasurementRead], str | None]:
    _require_manage(session, principal, "measurement.list")
    person = _load(session, principal, person_id, "measurement.list")
    rows, cursor = keyset_page(session, select(LonelinessMeasurement)
                               .where(col(LonelinessMeasurement.person_id) == person.id),
                               [col(LonelinessMeasurement.measured_at), col(LonelinessMeasurement.id)], page)
    record(session, principal, "measurement.list", purpose=PURPOSE_CASEWORK, subject_type="person",
           subject_id=person.id)
    return [measurement_read(m) for m in rows], cursor
