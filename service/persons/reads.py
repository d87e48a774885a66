"""Read models of the person domain: person summaries and details, consents, T-ILS measurements, and the
policy-scoped, audited batch readers GraphQL loads them through. Each builds a page in a constant number of
statements, whatever its size."""

import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record_each
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons import cpr as cpr_codec
from service.persons import policy
from service.persons.ages import age_group
from service.persons.dto import ConsentRead, MeasurementRead, PersonRead, PersonSummary, RiskSettingRead
from service.persons.guards import PURPOSE_CASEWORK, PURPOSE_CONSENT
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


def _summary_fields(person: Any, risks: list[RiskSettingRead], purposes: set[str],
                    year: int | None = None) -> dict[str, Any]:
    registered = person.status == PersonStatus.active and ConsentPurpose.registration in purposes
    personal = registered  # a lapsed registration shows only the pseudonymous fields until erased
    total = person.loneliness_latest_total
    return {
        "id": person.id, "organisation_id": person.organisation_id, "status": person.status,
        "registration_active": registered,
        "given_name": person.given_name if personal else None,
        "family_name": person.family_name if personal else None,
        "birth_date": person.birth_date if personal else None,
        "birth_year": person.birth_year, "age_group": _age_group(person.birth_year, year or date.today().year),
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


# One page in one statement: each person's risk settings and active consent purposes come along as text
# aggregates (string_agg on PostgreSQL, group_concat on SQLite) of correlated subqueries, so the page needs no
# second and third round trip. Codes are `[a-z_]`; disability types a JSON list, so neither holds ";" or "=".
def _risk_settings_column() -> Any:
    codes = (col(PersonRiskSetting.risk_setting_code) + "="
             + func.coalesce(cast(col(PersonRiskSetting.disability_types), String), ""))
    return (select(func.aggregate_strings(codes, ";")).where(col(PersonRiskSetting.person_id) == col(Person.id))
            .correlate(Person).scalar_subquery().label("risk_settings_agg"))


def _purposes_column(now: Any) -> Any:
    return (select(func.aggregate_strings(col(ConsentPurposeRow.purpose), ";"))
            .join(Consent, col(ConsentPurposeRow.consent_id) == col(Consent.id))
            .where(col(Consent.person_id) == col(Person.id), policy.consent_is_active(now))
            .correlate(Person).scalar_subquery().label("purposes_agg"))


# "Now" for the consent purposes, taken when the statement runs: the columns are built once per process (building
# the two correlated subqueries cost as much Python as reading the page's rows).
_NOW = policy.CONSENT_NOW


# The columns a summary shows or decides by: never the CPR ciphertext, hash or key, nor the matching keys (a
# list has no use for them, and every column costs the driver a column description per page).
SUMMARY_COLUMNS = ("id", "organisation_id", "status", "given_name", "family_name", "birth_date", "birth_year",
                   "gender", "municipality_code", "phone", "email", "preferred_language", "interests",
                   "accessibility_needs", "notes", "loneliness_latest_total", "loneliness_latest_at", "version",
                   "created_at", "updated_at", "erased_at")


@lru_cache(maxsize=1)
def _summary_columns() -> tuple[Any, ...]:
    table = Person.__table__  # type: ignore[attr-defined]
    return (*[table.c[name] for name in SUMMARY_COLUMNS], _risk_settings_column(), _purposes_column(_NOW))


def summary_select() -> Select[Any]:
    """SELECT the summary's person columns plus the two aggregates; add the WHERE clauses and read plain rows."""
    return select(*_summary_columns())


def _parse_risks(aggregate: str | None) -> list[RiskSettingRead]:
    out = []
    for item in sorted((aggregate or "").split(";")) if aggregate else []:
        code, _, types = item.partition("=")
        out.append(RiskSettingRead(code=code, disability_types=json.loads(types) if types else None))
    return out


@lru_cache(maxsize=256)
def _age_group(birth_year: int, year: int) -> str:
    return age_group(birth_year, year)


def summaries_from_rows(rows: list[Any]) -> list[PersonSummary]:
    """Read models of rows from `summary_select` (no further statement). Each row is read as a namespace (an
    attribute of a result row is a lookup by name in Python; of a namespace, a dictionary lookup)."""
    year = date.today().year
    out = []
    for row in rows:
        fields = SimpleNamespace(**row._asdict())
        purposes = set(fields.purposes_agg.split(";")) if fields.purposes_agg else set()
        out.append(PersonSummary(**_summary_fields(fields, _parse_risks(fields.risk_settings_agg), purposes, year)))
    return out


def detail(session: Session, principal: Principal, person: Person) -> tuple[PersonRead, bool]:
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
