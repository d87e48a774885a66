"""Mapping entries (Recommendation 4): barriers per risk setting and municipality, and proposed changes.
The verbs return `MappingEntryRead`; `count_barriers` is the reports' aggregate."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.mapping import policy
from service.mapping.dto import MappingEntryCreate, MappingEntryRead
from service.mapping.models import MappingEntry
from service.reference.models import Ministry, Municipality, RiskSetting
from service.reference.service import check_municipality_codes, check_risk_setting_codes, resolve_ministry

PURPOSE = "rec4_mapping"


def list_entries(session: Session, principal: Principal, params: PageParams, *, risk_setting: str | None = None,
                 municipality_code: str | None = None,
                 barrier_type: str | None = None) -> tuple[list[MappingEntryRead], str | None]:
    stmt = policy.scope_entries(session, principal, select(MappingEntry))
    if risk_setting:
        stmt = stmt.where(MappingEntry.risk_setting == risk_setting)
    if municipality_code:
        stmt = stmt.where(MappingEntry.municipality_code == municipality_code)
    if barrier_type:
        stmt = stmt.where(MappingEntry.barrier_type == barrier_type)
    rows, cursor = keyset_page(session, stmt, [MappingEntry.created_at, MappingEntry.id],  # type: ignore[list-item]
                               params)
    return [MappingEntryRead.model_validate(e) for e in rows], cursor


def create(session: Session, principal: Principal, data: MappingEntryCreate) -> MappingEntryRead:
    policy.ensure_can_submit(principal)
    check_risk_setting_codes(session, [data.risk_setting], field="risk_setting")
    check_municipality_codes(session, [data.municipality_code])
    ministry = resolve_ministry(session, code=data.responsible_ministry_code, name=data.responsible_ministry)
    if ministry is None:  # the risk setting's ministry (a NOT NULL foreign key, so exactly one)
        ministry = session.scalars(select(Ministry).join(
            RiskSetting, col(RiskSetting.responsible_ministry_code) == col(Ministry.code))
            .where(col(RiskSetting.code) == data.risk_setting)).one()
    entry = MappingEntry(**data.model_dump(exclude={"responsible_ministry", "responsible_ministry_code"}),
                         responsible_ministry_code=ministry.code, responsible_ministry=ministry.name,
                         organisation_id=principal.organisation_id, submitted_by=principal.id)
    session.add(entry)
    session.flush()
    record(session, principal, "mapping_entry.create", purpose=PURPOSE, subject_type="mapping_entry",
           subject_id=entry.id, criterion={"risk_setting": entry.risk_setting, "barrier_type": entry.barrier_type})
    return MappingEntryRead.model_validate(entry)


@dataclass(frozen=True)
class BarrierFilters:
    """Filters for `count_barriers`; None means no restriction. Periods are whole UTC days, inclusive."""

    risk_settings: Sequence[str] | None = None
    municipality_codes: Sequence[str] | None = None
    region_codes: Sequence[str] | None = None
    barrier_types: Sequence[str] | None = None
    period_from: date | None = None
    period_to: date | None = None


def count_barriers(session: Session, filters: BarrierFilters | None = None) -> dict[tuple[str, str], int]:
    """Mapping entries counted by (barrier_type, risk_setting), in one GROUP BY.

    Only non-empty combinations are returned; feed them to `service.reports.disclosure` with dimensions
    ("barrier_type", "risk_setting") (e.g. through `margins_from_leaves`, the counts being additive).
    The caller applies the principal's scope by passing `risk_settings`.
    """
    f = filters or BarrierFilters()
    stmt = (select(MappingEntry.barrier_type, MappingEntry.risk_setting, func.count())
            .group_by(MappingEntry.barrier_type, MappingEntry.risk_setting))
    if f.risk_settings is not None:
        stmt = stmt.where(MappingEntry.risk_setting.in_(list(f.risk_settings)))  # type: ignore[attr-defined]
    if f.municipality_codes is not None:
        stmt = stmt.where(MappingEntry.municipality_code.in_(list(f.municipality_codes)))  # type: ignore[attr-defined]
    if f.region_codes is not None:
        stmt = stmt.where(MappingEntry.municipality_code.in_(  # type: ignore[attr-defined]
            select(Municipality.code).where(Municipality.region_code.in_(list(f.region_codes)))))  # type: ignore[attr-defined]
    if f.barrier_types is not None:
        stmt = stmt.where(MappingEntry.barrier_type.in_(list(f.barrier_types)))  # type: ignore[attr-defined]
    if f.period_from is not None:
        stmt = stmt.where(MappingEntry.created_at >= datetime.combine(f.period_from, time.min, UTC))
    if f.period_to is not None:
        stmt = stmt.where(MappingEntry.created_at < datetime.combine(f.period_to + timedelta(days=1), time.min, UTC))
    return {(barrier, setting): int(n) for barrier, setting, n in session.execute(stmt)}
