"""Shared builders for the persons and consents tests (fictitious people only)."""

from typing import Any

from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.persons.models import Consent, LonelinessMeasurement, Person, PersonRiskSetting

CPR = "0101901234"  # 1 January 1990, 7th digit 1 → 1900s; modulus 11 deliberately not checked
CPR_DASHED = "010190-1234"


def consent_body(**over: Any) -> dict[str, Any]:
    return {"purposes": ["registration"], "given_by": "self", "method": "written",
            "consent_text_version": "2026-1", **over}


def person_body(**over: Any) -> dict[str, Any]:
    body = {"given_name": "Karen", "family_name": "Eksempel", "birth_date": "1990-01-01",
            "municipality_code": "0101", "risk_settings": [{"code": "nursing_home"}],
            "consent": consent_body()}
    body.update(over)
    return body


def create_person(client: Any, actor: Any, **over: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/persons", json=person_body(**over), headers=actor.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def counts(db: Any) -> dict[str, int]:
    return {model.__tablename__: db.scalar(select(func.count()).select_from(model))
            for model in (Person, Consent, LonelinessMeasurement, PersonRiskSetting)}


def events(db: Any, action: str, outcome: str | None = None, subject_id: Any = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if outcome:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == str(subject_id))
    db.expire_all()
    return list(db.scalars(stmt.order_by(AuditEvent.id)))
