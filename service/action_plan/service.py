"""Action-plan measures: what ministries do about the mapping, and which report indicators follow them."""

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.action_plan import policy
from service.action_plan.dto import MeasureCreate, MeasureRead, MeasureUpdate
from service.action_plan.models import ActionPlanMeasure, ActionPlanMeasureIndicator, ActionPlanMeasureRiskSetting
from service.audit.service import record
from service.core.errors import NotFound, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.core.versions import claim_version
from service.events import ActionPlanMeasureChanged, EventType, emit
from service.reference.service import check_risk_setting_codes, resolve_ministry

PURPOSE = "action_plan"


def _unique(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def children_of(session: Session,
                ids: list[uuid.UUID]) -> tuple[dict[uuid.UUID, list[str]], dict[uuid.UUID, list[str]]]:
    """Risk settings and indicators of many measures, one statement per child table."""
    settings: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    indicators: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    if ids:
        for mid, code in session.execute(
                select(ActionPlanMeasureRiskSetting.measure_id, ActionPlanMeasureRiskSetting.risk_setting)
                .where(ActionPlanMeasureRiskSetting.measure_id.in_(ids))  # type: ignore[attr-defined]
                .order_by(ActionPlanMeasureRiskSetting.risk_setting)):
            settings[mid].append(code)
        for mid, name in session.execute(
                select(ActionPlanMeasureIndicator.measure_id, ActionPlanMeasureIndicator.indicator)
                .where(ActionPlanMeasureIndicator.measure_id.in_(ids))  # type: ignore[attr-defined]
                .order_by(ActionPlanMeasureIndicator.indicator)):
            indicators[mid].append(name)
    return settings, indicators


def _read(measures: list[ActionPlanMeasure], session: Session) -> list[MeasureRead]:
    settings, indicators = children_of(session, [m.id for m in measures])
    return [MeasureRead.model_validate({**m.model_dump(), "risk_settings": settings[m.id],
                                        "indicators": indicators[m.id]}) for m in measures]


def _load(session: Session, measure_id: uuid.UUID) -> ActionPlanMeasure:
    measure = session.get(ActionPlanMeasure, measure_id)
    if measure is None:
        raise NotFound("Measure not found.")
    return measure


def get(session: Session, principal: Principal, measure_id: uuid.UUID) -> MeasureRead:
    policy.ensure_can_read(principal)
    return _read([_load(session, measure_id)], session)[0]


def list_measures(session: Session, principal: Principal, params: PageParams, *, status: str | None = None,
                  risk_setting: str | None = None, responsible_ministry: str | None = None,
                  indicator: str | None = None,
                  responsible_ministry_code: str | None = None) -> tuple[list[MeasureRead], str | None]:
    policy.ensure_can_read(principal)
    stmt = select(ActionPlanMeasure)
    if status:
        stmt = stmt.where(ActionPlanMeasure.status == status)
    if responsible_ministry:
        stmt = stmt.where(ActionPlanMeasure.responsible_ministry == responsible_ministry)
    if responsible_ministry_code:
        stmt = stmt.where(ActionPlanMeasure.responsible_ministry_code == responsible_ministry_code)
    if risk_setting:
        stmt = stmt.where(ActionPlanMeasure.id.in_(  # type: ignore[attr-defined]
            select(ActionPlanMeasureRiskSetting.measure_id)
            .where(ActionPlanMeasureRiskSetting.risk_setting == risk_setting)))
    if indicator:
        stmt = stmt.where(ActionPlanMeasure.id.in_(  # type: ignore[attr-defined]
            select(ActionPlanMeasureIndicator.measure_id).where(ActionPlanMeasureIndicator.indicator == indicator)))
    rows, cursor = keyset_page(session, stmt, [ActionPlanMeasure.created_at, ActionPlanMeasure.id],  # type: ignore[list-item]
                               params)
    return _read(rows, session), cursor


def _set_children(session: Session, measure_id: uuid.UUID, risk_settings: list[str] | None,
                  indicators: list[str] | None) -> None:
    if risk_settings is not None:
        session.execute(delete(ActionPlanMeasureRiskSetting)
                        .where(ActionPlanMeasureRiskSetting.measure_id == measure_id))
        session.add_all([ActionPlanMeasureRiskSetting(measure_id=measure_id, risk_setting=c) for c in risk_settings])
    if indicators is not None:
        session.execute(delete(ActionPlanMeasureIndicator).where(ActionPlanMeasureIndicator.measure_id == measure_id))
        session.add_all([ActionPlanMeasureIndicator(measure_id=measure_id, indicator=i) for i in indicators])


def create(session: Session, principal: Principal, data: MeasureCreate) -> MeasureRead:
    org = policy.ensure_can_manage(session, principal)
    risk_settings = _unique(data.risk_settings)
    check_risk_setting_codes(session, risk_settings)
    code = data.responsible_ministry_code
    if code is None and data.responsible_ministry is None:
        code = org.ministry_code  # default: the recording ministry
    ministry = resolve_ministry(session, code=code, name=data.responsible_ministry)
    if ministry is None:
        raise Unprocessable("Name the responsible ministry: your organisation is not linked to one.", errors=[
            {"field": "responsible_ministry_code", "message": "required", "code": "missing"}])
    measure = ActionPlanMeasure(title=data.title, description=data.description,
                                responsible_ministry_code=ministry.code, responsible_ministry=ministry.name,
                                status=data.status, start_date=data.start_date, end_date=data.end_date,
                                organisation_id=org.id, created_by=principal.id)
    session.add(measure)
    session.flush()
    _set_children(session, measure.id, risk_settings, _unique(data.indicators))
    session.flush()
    record(session, principal, "action_plan_measure.create", purpose=PURPOSE, subject_type="action_plan_measure",
           subject_id=measure.id, criterion={"risk_settings": risk_settings, "status": measure.status})
    emit(session, ActionPlanMeasureChanged(type=EventType.action_plan_measure_created,
                                           organisation_ids=(measure.organisation_id,), measure_id=measure.id))
    return _read([measure], session)[0]


def update(session: Session, principal: Principal, measure_id: uuid.UUID, data: MeasureUpdate,
           expected_version: int | None) -> MeasureRead:
    policy.ensure_can_manage(session, principal)
    measure = _load(session, measure_id)
    policy.ensure_owner(principal, measure.organisation_id)
    claim_version(session, "measure", measure, expected_version)
    changes = data.model_dump(exclude_unset=True)
    start = changes.get("start_date", measure.start_date)
    end = changes.get("end_date", measure.end_date)
    if end is not None and end < start:
        raise Unprocessable("The measure would end before it starts.", errors=[
            {"field": "end_date", "message": "end_date must not be before start_date", "code": "period_inverted"}])
    risk_settings = _unique(changes.pop("risk_settings")) if "risk_settings" in changes else None
    indicators = _unique(changes.pop("indicators")) if "indicators" in changes else None
    if risk_settings is not None:
        check_risk_setting_codes(session, risk_settings)
    if {"responsible_ministry", "responsible_ministry_code"} & set(changes):
        ministry = resolve_ministry(session, code=changes.pop("responsible_ministry_code", None),
                                    name=changes.pop("responsible_ministry", None))
        if ministry is not None:
            changes.update(responsible_ministry_code=ministry.code, responsible_ministry=ministry.name)
    for field, value in changes.items():
        setattr(measure, field, value)
    _set_children(session, measure.id, risk_settings, indicators)
    measure.updated_at = utcnow()
    session.add(measure)
    session.flush()
    fields = sorted([*changes, *(["risk_settings"] if risk_settings is not None else []),
                     *(["indicators"] if indicators is not None else [])])
    record(session, principal, "action_plan_measure.update", purpose=PURPOSE, subject_type="action_plan_measure",
           subject_id=measure.id, criterion={"fields": fields})
    emit(session, ActionPlanMeasureChanged(type=EventType.action_plan_measure_updated,
                                           organisation_ids=(measure.organisation_id,), measure_id=measure.id))
    return _read([measure], session)[0]
